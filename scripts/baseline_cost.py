#!/usr/bin/python3
"""What the static baseline costs: every `eval` of a finished main job again with --baselines none.

  scripts/baseline_cost.py [OUT_DIR]   (default: out/default, as scripts/main_job.sh writes it)

Reads each OUT_DIR/reports/*/report.json made by `ncbench eval` with baselines and runs its own
command line (context.command_line) twice more, with `--baselines static` and with `--baselines
none` (and --no-html), into temporary folders, one after the other on the same machine and the
same caches, and prints both wall times (throughput.wall_s, the eval's whole run: load, rollout,
metrics, probes, report) and the ratio, per run and in all.
The issue's target: the baselines add at most 15% to an eval's wall time.
"""
import json
import pathlib
import shlex
import subprocess
import sys
import tempfile


def run(cmd, baselines):
    """Wall time of `cmd` with --baselines BASELINES, into a temporary folder."""
    with tempfile.TemporaryDirectory() as tmp:
        cmd = list(cmd)
        cmd[cmd.index("--out") + 1] = tmp
        subprocess.run(cmd + ["--baselines", baselines, "--no-html", "--quiet"], check=False,
                       stdout=subprocess.DEVNULL)
        return json.load(open(pathlib.Path(tmp) / "report.json"))["throughput"]["wall_s"]


def main():
    out = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "out/default")
    rows = []
    for report in sorted(out.glob("reports/*/report.json")):
        r = json.load(open(report))
        if not r.get("config", {}).get("baselines") or "throughput" not in r:
            continue
        cmd = r["context"]["command_line"]  # one string, as typed (shell-quoted where needed)
        cmd = shlex.split(cmd) if isinstance(cmd, str) else list(cmd)
        # The same inputs and caches for both: with the baselines first (so it, not the run
        # without, pays for any cache still cold), then without.
        rows.append((report.parent.name, run(cmd, "static"), run(cmd, "none")))
    print(f"{'run':<22} {'baselines s':>12} {'none s':>9} {'ratio':>7}")
    for name, a, b in rows:
        print(f"{name:<22} {a:12.1f} {b:9.1f} {a / b:7.3f}")
    total_with, total_without = sum(r[1] for r in rows), sum(r[2] for r in rows)
    print(f"{'all':<22} {total_with:12.1f} {total_without:9.1f} {total_with / total_without:7.3f}")


if __name__ == "__main__":
    main()
