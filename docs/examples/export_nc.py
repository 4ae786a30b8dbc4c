#!/usr/bin/env python3
"""Export a PyTorch model as an ncbench.nc/1 checkpoint (see docs/checkpoints.md).

The model here is a small recurrent latent NC, h_t = F(h_{t-1}, x_t, u_t), x_{t+1} = G(h_t):
a convolutional encoder of the first frame, a prompt embedding (hashed bytes, so no tokenizer
is needed), a recurrent update and a decoder. Its weights are random (seeded) — replace the
class with your model; what matters is the three methods and the spec file.

    python3 export_nc.py --out model.pt --height 128 --width 192 --fps 15

Works with PyTorch >= 1.13 (Debian 12's python3-torch).
"""
import argparse
import json
from typing import List, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F


class TinyNC(nn.Module):
    def __init__(self, height: int, width: int, action_dim: int = 0, latent: int = 16):
        super().__init__()
        self.height = height
        self.width = width
        self.action_dim = action_dim
        self.encoder = nn.Conv2d(3, latent, kernel_size=4, stride=4)
        self.update = nn.Conv2d(latent, latent, kernel_size=3, padding=1)
        self.prompt_embedding = nn.Embedding(256, latent)
        self.action_proj = nn.Linear(max(action_dim, 1), latent)
        self.decoder = nn.ConvTranspose2d(latent, 3, kernel_size=4, stride=4)

    def _prompt_vector(self, prompts: List[str]) -> torch.Tensor:
        rows: List[torch.Tensor] = []
        for p in prompts:
            codes = [ord(c) % 256 for c in p[:256]]
            if len(codes) == 0:
                codes = [0]
            idx = torch.tensor(codes, dtype=torch.long, device=self.prompt_embedding.weight.device)
            rows.append(self.prompt_embedding(idx).mean(0))
        return torch.stack(rows)

    def _decode(self, h: torch.Tensor, first_frame: torch.Tensor) -> torch.Tensor:
        residual = self.decoder(h)
        residual = F.interpolate(residual, size=[self.height, self.width], mode="bilinear",
                                 align_corners=False)
        return (first_frame + 0.1 * torch.tanh(residual)).clamp(0.0, 1.0)

    @torch.jit.export
    def init(self, first_frame: torch.Tensor, prompts: List[str], seed: int) -> torch.Tensor:
        h = torch.tanh(self.encoder(first_frame))
        h = h + self._prompt_vector(prompts)[:, :, None, None]
        # Seeded noise without torch.Generator (not scriptable in 1.13): a hash-like sequence.
        n = torch.arange(h.numel(), dtype=torch.float32, device=h.device)
        noise = torch.frac(torch.sin(n * 12.9898 + float(seed) * 78.233) * 43758.5453)
        noise = (noise.reshape(h.shape) - 0.5) * 0.02
        # The state carries the first frame so that step() can decode residuals onto it.
        return torch.cat([h + noise, F.interpolate(first_frame, size=h.shape[-2:])], dim=1)

    @torch.jit.export
    def step(self, state: torch.Tensor, action: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        latent = self.update.in_channels
        h = state[:, :latent]
        small_first = state[:, latent:]
        if self.action_dim > 0:
            h = h + self.action_proj(action)[:, :, None, None]
        h = torch.tanh(self.update(h))
        first = F.interpolate(small_first, size=[self.height, self.width], mode="nearest")
        frame = self._decode(h, first)
        return torch.cat([h, small_first], dim=1), frame

    @torch.jit.export
    def rollout(self, first_frame: torch.Tensor, prompts: List[str], actions: torch.Tensor,
                num_frames: int, seed: int) -> torch.Tensor:
        state = self.init(first_frame, prompts, seed)
        frames: List[torch.Tensor] = []
        for t in range(num_frames):
            state, frame = self.step(state, actions[:, t])
            frames.append(frame)
        return torch.stack(frames, dim=1)

    def forward(self, first_frame: torch.Tensor) -> torch.Tensor:
        return first_frame


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--height", type=int, default=128)
    ap.add_argument("--width", type=int, default=192)
    ap.add_argument("--fps", type=float, default=15.0)
    ap.add_argument("--name", default="tiny-nc-python")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    torch.manual_seed(args.seed)
    model = TinyNC(args.height, args.width).eval()
    scripted = torch.jit.script(model)
    spec = {
        "contract": "ncbench.nc/1",
        "name": args.name,
        "modality": "cli",
        "height": args.height,
        "width": args.width,
        "fps": args.fps,
        "action_dim": 0,
        "action_encoding": "none",
    }
    torch.jit.save(scripted, args.out, _extra_files={"nc_spec.json": json.dumps(spec)})
    print(f"wrote {args.out}: {json.dumps(spec)}")


if __name__ == "__main__":
    main()
