#!/usr/bin/env python3
"""Exports torchvision's r3d_18 (Kinetics-400) as the TorchScript feature extractor that
ncbench's `fvd` metric uses with `--metric-option fvd.detector=r3d18` (the Neural Computers
paper's FVD protocol, App. B.3).

The model takes [B, 3, 16, 112, 112] clips already transformed as torchvision's Kinetics
evaluation preset does (ncbench does this: resize 128x171, centre crop 112, Kinetics mean/std)
and returns the 512-d prelogits (the classifier replaced by identity).

    pip install torch torchvision   # or Debian's python3-torchvision
    python3 docs/examples/export_r3d18.py weights/r3d18_kinetics400.pt

The weights are downloaded by torchvision on first use (network needed once).
`--random-weights` skips them (same architecture and interface; ncbench's tests use it offline).
"""
import sys

import torch
import torchvision


def build(random_weights):
    video = torchvision.models.video
    if random_weights:
        torch.manual_seed(0)
        return video.r3d_18()
    if hasattr(video, "R3D_18_Weights"):  # torchvision >= 0.13
        return video.r3d_18(weights=video.R3D_18_Weights.KINETICS400_V1)
    return video.r3d_18(pretrained=True)


def main():
    args = [a for a in sys.argv[1:] if a != "--random-weights"]
    out = args[0] if args else "r3d18_kinetics400.pt"
    model = build("--random-weights" in sys.argv)
    model.fc = torch.nn.Identity()
    model.eval()
    scripted = torch.jit.script(model)
    with torch.no_grad():
        assert scripted(torch.zeros(1, 3, 16, 112, 112)).shape == (1, 512)
    scripted.save(out)
    print("wrote", out)


if __name__ == "__main__":
    main()
