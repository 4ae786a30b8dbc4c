#!/usr/bin/python3
"""FVD helpers for ncbench's tests (Debian's /usr/bin/python3: PyTorch 1.13, SciPy).

  fvd_reference.py standin i3d|r3d18 OUT.pt
      exports a small seeded TorchScript stand-in with the detector's call signature and
      output size (the real I3D and r3d_18 Kinetics weights cannot be fetched offline):
      i3d: forward(x, rescale: bool, resize: bool, return_features: bool) on
      [B, 3, 16, 224, 224] -> [B, 400]; r3d18: forward(x) on [B, 3, 16, 112, 112] -> [B, 512].
      Both refuse other shapes, so the test proves ncbench's preprocessing as well.
  fvd_reference.py prepare i3d|r3d18 FRAME.png
      prints the detector's input for one RGB frame, flattened [3, S, S], as the protocol's own
      code makes it: i3d, common_metrics_on_video_quality's preprocess_single (float /255,
      F.interpolate bilinear to short side 224, centre crop, [-1, 1]); r3d18, torchvision's
      R3D_18_Weights.KINETICS400_V1.transforms() on the uint8 frame (needs python3-torchvision).
  fvd_reference.py frechet FEATURES.json
      FEATURES.json = {"a": [[...], ...], "b": [[...], ...]}; prints the Frechet distance as
      StyleGAN-V's compute_fvd computes it: np.cov(rowvar=False) and scipy.linalg.sqrtm.
"""
import json
import sys

import numpy as np
import scipy
import scipy.linalg
import torch
import torch.nn as nn


class StandInI3D(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv3d(3, 16, kernel_size=(3, 8, 8), stride=(2, 8, 8))
        self.proj = nn.Linear(32, 400)

    def forward(self, x: torch.Tensor, rescale: bool = False, resize: bool = False,
                return_features: bool = False) -> torch.Tensor:
        if x.shape[1] != 3 or x.shape[2] != 16 or x.shape[3] != 224 or x.shape[4] != 224:
            raise RuntimeError("stand-in i3d expects [B, 3, 16, 224, 224]")
        if rescale or resize or not return_features:
            raise RuntimeError("stand-in i3d is called as StyleGAN-V calls I3D for FVD")
        if float(x.min()) < -1.0 or float(x.max()) > 1.0:
            raise RuntimeError("stand-in i3d expects values in [-1, 1]")
        h = torch.tanh(self.conv(x))
        return self.proj(torch.cat([h.mean(dim=(2, 3, 4)), h.std(dim=(2, 3, 4))], 1))


class StandInR3D18(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv3d(3, 16, kernel_size=(3, 8, 8), stride=(2, 4, 4))
        self.proj = nn.Linear(32, 512)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[1] != 3 or x.shape[2] != 16 or x.shape[3] != 112 or x.shape[4] != 112:
            raise RuntimeError("stand-in r3d18 expects [B, 3, 16, 112, 112]")
        h = torch.relu(self.conv(x))
        return self.proj(torch.cat([h.mean(dim=(2, 3, 4)), h.std(dim=(2, 3, 4))], 1))


def main():
    cmd = sys.argv[1]
    if cmd == "standin":
        torch.manual_seed(0)
        model = StandInI3D() if sys.argv[2] == "i3d" else StandInR3D18()
        torch.jit.script(model.eval()).save(sys.argv[3])
    elif cmd == "prepare":
        import math
        from PIL import Image
        frame = torch.from_numpy(np.asarray(Image.open(sys.argv[3]).convert("RGB")).copy()).permute(2, 0, 1)
        if sys.argv[2] == "i3d":
            video = frame[None].float() / 255.0  # T, C, H, W
            _, _, h, w = video.shape
            scale = 224 / min(h, w)
            size = (224, math.ceil(w * scale)) if h < w else (math.ceil(h * scale), 224)
            video = torch.nn.functional.interpolate(video, size=size, mode="bilinear", align_corners=False)
            _, _, h, w = video.shape
            video = video[:, :, (h - 224) // 2:(h - 224) // 2 + 224, (w - 224) // 2:(w - 224) // 2 + 224]
            out = ((video - 0.5) * 2)[0]
        else:
            import torchvision
            preset = torchvision.models.video.R3D_18_Weights.KINETICS400_V1.transforms()
            out = preset(frame[None])[:, 0]  # [C, T=1, H, W] -> [C, H, W]
        print(json.dumps({"shape": list(out.shape), "values": out.flatten().tolist()}))
    elif cmd == "frechet":
        f = json.load(open(sys.argv[2]))
        a, b = np.asarray(f["a"], dtype=np.float64), np.asarray(f["b"], dtype=np.float64)
        mu1, mu2 = a.mean(axis=0), b.mean(axis=0)
        s1, s2 = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
        covmean, _ = scipy.linalg.sqrtm(np.dot(s1, s2), disp=False)
        fd = np.square(mu1 - mu2).sum() + np.trace(s1 + s2 - 2 * np.real(covmean))
        print(json.dumps({"scipy_version": scipy.__version__, "fd": float(fd)}))
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
