"""Wraps an ncbench.nc/1 checkpoint so every generated frame is multiplied by GAIN (darker):
a planted regression for `ncbench compare` tests, exported the way users export (torch.jit).

    /usr/bin/python3 degrade_checkpoint.py IN.pt OUT.pt [--gain 0.9]
"""
import argparse
import json
from typing import List

import torch


class Darker(torch.nn.Module):
    def __init__(self, inner: torch.jit.ScriptModule, gain: float):
        super().__init__()
        self.inner = inner
        self.gain = gain

    @torch.jit.export
    def rollout(self, first_frame: torch.Tensor, prompts: List[str], actions: torch.Tensor, num_frames: int,
                seed: int) -> torch.Tensor:
        out = self.inner.rollout(first_frame, prompts, actions, num_frames, seed)
        return torch.clamp(out * self.gain, 0.0, 1.0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("inp")
    ap.add_argument("out")
    ap.add_argument("--gain", type=float, default=0.9)
    a = ap.parse_args()
    extra = {"nc_spec.json": ""}
    inner = torch.jit.load(a.inp, _extra_files=extra)
    spec = json.loads(extra["nc_spec.json"])
    spec["name"] = spec["name"] + "-darker"
    torch.jit.save(torch.jit.script(Darker(inner, a.gain)), a.out, _extra_files={"nc_spec.json": json.dumps(spec)})


if __name__ == "__main__":
    main()
