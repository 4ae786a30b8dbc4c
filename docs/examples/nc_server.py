#!/usr/bin/env python3
"""Reference model server for ncbench's `process` adapter (protocol ncbench.nc-process/1).

Serves any PyTorch NC to `ncbench eval --checkpoint process:'python3 nc_server.py ...'`:

  # a TorchScript archive of the ncbench.nc/1 contract (its nc_spec.json inside)
  python3 nc_server.py --torchscript model.pt
  # any Python object with the contract's methods, made by a factory you name
  python3 nc_server.py --factory my_package.my_module:make_nc --spec nc_spec.json [--device cuda]

The object needs rollout(first_frame, prompts, actions, num_frames, seed) -> [B,T,3,H,W]
and may have init(first_frame, prompts, seed) -> state and step(state, action) ->
(state, [B,3,H,W]): the methods of ncbench.nc/1 (docs/checkpoints.md). The factory is
called with no arguments, or with the --factory-arg strings.

The protocol. Every message, both ways, is one line of JSON followed by the raw bytes of
the tensors its "tensors" list describes ({"name", "dtype": "float32", "shape"}), float32
little-endian, C order, one after another.
  server -> {"protocol": "ncbench.nc-process/1", "spec": {...}, "methods": [...],
             "max_batch": N, "server": {...}, "model_files": [...]}    (once, at start, no tensors)
  ncbench -> {"op": "rollout", "ids", "prompts", "seed", "num_frames",
              "tensors": [first_frame [B,3,H,W], actions [B,T,A]]}
          <- {"ok": true, "tensors": [frames [B,T,3,H,W]]}
  ncbench -> {"op": "init", "ids", "prompts", "seed", "num_frames", "tensors": [first_frame]}
          <- {"ok": true, "tensors": []}
  ncbench -> {"op": "step", "t", "tensors": [action [B,A]]}     (t = 0, 1, ...: makes frame k = t + 1)
          <- {"ok": true, "tensors": [frame [B,3,H,W]]}
Reply tensors carry the names above ("frames", "frame"); another name is refused.
  a request the model fails: <- {"ok": false, "error": "..."}  (the server stays up)
End of input: the server exits. Anything the model prints goes to standard error, never to
the protocol stream.
"""
import argparse
import importlib
import json
import os
import sys
import traceback

import numpy as np
import torch

PROTOCOL = "ncbench.nc-process/1"


def read_message(inp):
    line = inp.readline()
    if not line:
        return None, []
    header = json.loads(line)
    tensors = []
    for d in header.get("tensors", []):
        if d.get("dtype") != "float32":
            raise ValueError("tensor %r: dtype %r, expected float32" % (d.get("name"), d.get("dtype")))
        shape = [int(s) for s in d["shape"]]
        n = int(np.prod(shape)) if shape else 1
        raw = inp.read(4 * n)
        if len(raw) != 4 * n:
            raise EOFError("tensor %r: %d of %d bytes" % (d.get("name"), len(raw), 4 * n))
        tensors.append(torch.from_numpy(np.frombuffer(raw, dtype="<f4").copy().reshape(shape)))
    return header, tensors


def write_message(out, header, tensors=()):
    arrays = [t.detach().to("cpu", torch.float32).contiguous().numpy() for t in tensors]
    header = dict(header)
    header["tensors"] = [{"name": name, "dtype": "float32", "shape": list(a.shape)}
                         for name, a in zip(header.pop("names", []), arrays)]
    out.write((json.dumps(header) + "\n").encode("utf-8"))
    for a in arrays:
        out.write(a.astype("<f4", copy=False).tobytes())
    out.flush()


class TorchScriptModel:
    """A TorchScript archive of ncbench.nc/1, as the torchscript adapter would load it."""

    def __init__(self, path, device):
        extra = {"nc_spec.json": ""}
        self.module = torch.jit.load(path, map_location=device, _extra_files=extra)
        self.module.eval()
        self.spec = json.loads(extra["nc_spec.json"])
        can_step = hasattr(self.module, "init") and hasattr(self.module, "step")
        self.methods = ["rollout"] + (["init", "step"] if can_step else [])

    def rollout(self, *args):
        return self.module.rollout(*args)

    def init(self, *args):
        return self.module.init(*args)

    def step(self, *args):
        return self.module.step(*args)


def load_factory(target, args):
    mod_name, _, fn_name = target.partition(":")
    if not fn_name:
        raise SystemExit("--factory: expected module:function, got %r" % target)
    return getattr(importlib.import_module(mod_name), fn_name)(*args)


def serve(model, spec, methods, device, inp, out, max_batch=None, server_info=None, model_files=()):
    hello = {"protocol": PROTOCOL, "spec": spec, "methods": methods,
             "server": server_info or {"name": "nc_server.py", "torch": torch.__version__}}
    if max_batch:
        hello["max_batch"] = max_batch
    if model_files:  # ncbench hashes them into the checkpoint's identity (report: checkpoint.sha256)
        hello["model_files"] = list(model_files)
    write_message(out, hello)
    state = None
    with torch.no_grad():
        while True:
            header, tensors = read_message(inp)
            if header is None:
                return
            op = header.get("op")
            try:
                if op == "rollout":
                    first, actions = (t.to(device) for t in tensors)
                    frames = model.rollout(first, list(header["prompts"]), actions,
                                           int(header["num_frames"]), int(header["seed"]))
                    write_message(out, {"ok": True, "names": ["frames"]}, [frames])
                elif op == "init":
                    state = model.init(tensors[0].to(device), list(header["prompts"]), int(header["seed"]))
                    write_message(out, {"ok": True})
                elif op == "step":
                    state, frame = model.step(state, tensors[0].to(device))
                    write_message(out, {"ok": True, "names": ["frame"]}, [frame])
                else:
                    write_message(out, {"ok": False, "error": "unknown op %r" % op})
            except Exception as e:  # the model failed this request; the server goes on
                traceback.print_exc(file=sys.stderr)
                write_message(out, {"ok": False, "error": "%s: %s" % (type(e).__name__, e)})


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--torchscript", help="a TorchScript archive with nc_spec.json (ncbench.nc/1)")
    src.add_argument("--factory", help="module:function returning the model object")
    ap.add_argument("--factory-arg", action="append", default=[], help="passed to the factory (repeatable)")
    ap.add_argument("--spec", help="nc_spec.json for --factory")
    ap.add_argument("--model-file", action="append", default=[],
                    help="a file the --factory model is made of (weights, config), named in the handshake so that "
                         "ncbench identifies the model by its content (repeatable)")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--max-batch", type=int, default=0, help="largest batch the model takes (0: any)")
    ap.add_argument("--threads", type=int, default=0, help="torch.set_num_threads (0: torch's default)")
    a = ap.parse_args(argv)
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    # The protocol owns the real standard output; whatever the model prints (Python or C
    # code) goes to standard error.
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    inp = sys.stdin.buffer
    if a.torchscript:
        model = TorchScriptModel(a.torchscript, a.device)
        spec, methods = model.spec, model.methods
        files = [a.torchscript]
    else:
        if not a.spec:
            raise SystemExit("--factory needs --spec nc_spec.json")
        with open(a.spec) as f:
            spec = json.load(f)
        model = load_factory(a.factory, a.factory_arg)
        methods = ["rollout"] + (["init", "step"] if hasattr(model, "init") and hasattr(model, "step") else [])
        files = a.model_file + [a.spec]
    serve(model, spec, methods, a.device, inp, out, a.max_batch or None, model_files=files)


if __name__ == "__main__":
    main()
