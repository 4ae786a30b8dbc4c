#!/usr/bin/python3
"""Independent reference values for ncbench's changed-region scores (metrics/pixel/changed_region.h).

Reads a JSON list of [generated_png, ground_truth_png, conditioning_png] triples (argv[1]) and
prints {"values": [{"share", "psnr_changed", "ssim_changed"}]} computed on the 8-bit RGB images
with NumPy, SciPy and scikit-image, following the documented definition:
  M = scipy.ndimage.binary_dilation(max over channels |gt - c| / 255 > 0.1, 5x5 square)
  psnr_changed = 10 log10(1 / mean over M and channels of ((gen - gt) / 255)^2)
  ssim_changed = mean over M of the SSIM map of skimage.metrics.structural_similarity(gt, gen,
      channel_axis=2, gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
      data_range=255, full=True), averaged over channels, its 5-pixel border cropped
(null where M is empty, or PSNR where the region is identical). Run with Debian's /usr/bin/python3.
"""
import json
import math
import sys

import numpy as np
from PIL import Image
from scipy.ndimage import binary_dilation
from skimage.metrics import structural_similarity


def load(path):
    return np.asarray(Image.open(path).convert("RGB")).astype(np.float64)


def changed_mask(gt, cond, threshold=0.1, radius=2):
    """The documented changed region: |gt - c| / 255 above threshold on any channel, dilated."""
    changed = (np.abs(gt - cond) / 255.0).max(axis=2) > threshold
    side = 2 * radius + 1
    return binary_dilation(changed, structure=np.ones((side, side), dtype=bool))


def main():
    out = []
    for gen_path, gt_path, cond_path in json.load(open(sys.argv[1])):
        gen, gt, cond = load(gen_path), load(gt_path), load(cond_path)
        mask = changed_mask(gt, cond)
        v = {"share": float(mask.mean()), "psnr_changed": None, "ssim_changed": None}
        if mask.any():
            sq = (((gen - gt) / 255.0) ** 2).sum(axis=2)[mask]
            mse = sq.sum() / (3.0 * mask.sum())
            v["psnr_changed"] = 10 * math.log10(1.0 / mse) if mse > 0 else None
            _, smap = structural_similarity(gt, gen, channel_axis=2, gaussian_weights=True,
                                            sigma=1.5, use_sample_covariance=False,
                                            data_range=255, full=True)
            m = mask[5:-5, 5:-5]
            if m.any():
                v["ssim_changed"] = float(smap.mean(axis=2)[5:-5, 5:-5][m].mean())
        out.append(v)
    print(json.dumps({"values": out}))


if __name__ == "__main__":
    main()
