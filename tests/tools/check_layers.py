#!/usr/bin/env python3
"""Checks that ncbench's folders depend on each other one way only (README "Where things are").

  check_layers.py SOURCE_DIR

Every #include "folder/..." of a project file is a dependency of the file's module on the
included file's module. A module may depend only on the modules listed for it below, so the
layers read, from the top: cli -> run -> {probes, train, peers} -> {rollout, metrics,
reports} -> checkpoint -> datasets -> core. Tests and micro-benchmarks may use anything.
Exit status 1, listing each offending include with file and line, when a dependency points
another way.
"""
import os
import re
import sys

# module -> the modules it may include (besides itself)
ALLOWED = {
    "core": set(),
    "datasets": {"core"},
    "datasets/record": {"core", "datasets"},
    "checkpoint": {"core", "datasets"},
    "metrics": {"core"},
    "reports": {"core"},
    "rollout": {"core", "datasets", "checkpoint"},
    "probes": {"core", "datasets", "checkpoint", "rollout", "metrics"},
    "train": {"core", "datasets", "checkpoint", "rollout"},
    "peers": {"core", "datasets", "metrics", "reports"},
    "run": {"core", "datasets", "checkpoint", "rollout", "metrics", "probes", "reports"},
    "cli": {"core", "datasets", "datasets/record", "checkpoint", "rollout", "metrics", "probes", "reports",
            "train", "peers", "run"},
}
# folder prefix -> module (longest prefix wins)
FOLDERS = {
    "core": "core",
    "datasets": "datasets",
    "datasets/record": "datasets/record",
    "bench/checkpoint": "checkpoint",
    "bench/rollout": "rollout",
    "bench/run": "run",
    "bench/cli": "cli",
    "bench/train": "train",
    "bench/peers": "peers",
    "metrics": "metrics",
    "probes": "probes",
    "reports": "reports",
}
UNCHECKED = ("tests/", "bench/micro/", "build", ".git/")
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def module_of(path):
    best = None
    for prefix, module in FOLDERS.items():
        if path == prefix or path.startswith(prefix + "/"):
            if best is None or len(prefix) > len(best[0]):
                best = (prefix, module)
    return best[1] if best else None


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else "."
    bad, files, edges = [], 0, set()
    for root, dirs, names in os.walk(src):
        rel_root = os.path.relpath(root, src).replace(os.sep, "/")
        rel_root = "" if rel_root == "." else rel_root
        dirs[:] = [d for d in dirs if not (rel_root + "/" + d).lstrip("/").startswith(UNCHECKED)]
        for name in names:
            if not name.endswith((".h", ".cpp")):
                continue
            rel = (rel_root + "/" + name).lstrip("/")
            mod = module_of(rel)
            if mod is None:
                continue
            files += 1
            with open(os.path.join(root, name), encoding="utf-8") as f:
                for n, line in enumerate(f, 1):
                    m = INCLUDE.match(line)
                    if not m:
                        continue
                    dep = module_of(m.group(1))
                    if dep is None or dep == mod:
                        continue
                    edges.add((mod, dep))
                    if dep not in ALLOWED[mod]:
                        bad.append("%s:%d: %s includes \"%s\" (%s); %s may use only: %s" % (
                            rel, n, mod, m.group(1), dep, mod, ", ".join(sorted(ALLOWED[mod])) or "nothing"))
    if files == 0:
        print("check_layers: no source files under %s" % src)
        return 1
    for b in bad:
        print(b)
    print("check_layers: %d files, %d module dependencies, %d pointing the wrong way" % (files, len(edges), len(bad)))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
