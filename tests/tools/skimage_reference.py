#!/usr/bin/python3
"""Independent reference values for ncbench's golden tests: scikit-image's PSNR and SSIM.

Reads a JSON list of [generated_png, ground_truth_png] pairs (argv[1]) and prints a JSON list
of {"psnr": float|null, "ssim": float} computed on the 8-bit RGB images with
  skimage.metrics.peak_signal_noise_ratio(gt, gen, data_range=255)
  skimage.metrics.structural_similarity(gt, gen, channel_axis=2, gaussian_weights=True,
      sigma=1.5, use_sample_covariance=False, data_range=255)
the settings ncbench documents (metrics/pixel/ssim.h). Run with Debian's /usr/bin/python3.
"""
import json
import math
import sys

import numpy as np
import skimage
from PIL import Image
from skimage.metrics import peak_signal_noise_ratio, structural_similarity


def main():
    pairs = json.load(open(sys.argv[1]))
    out = []
    for gen_path, gt_path in pairs:
        gen = np.asarray(Image.open(gen_path).convert("RGB"))
        gt = np.asarray(Image.open(gt_path).convert("RGB"))
        with np.errstate(divide="ignore"):
            psnr = peak_signal_noise_ratio(gt, gen, data_range=255)
        ssim = structural_similarity(gt, gen, channel_axis=2, gaussian_weights=True, sigma=1.5,
                                     use_sample_covariance=False, data_range=255)
        out.append({"psnr": psnr if math.isfinite(psnr) else None, "ssim": float(ssim)})
    print(json.dumps({"skimage_version": skimage.__version__, "values": out}))


if __name__ == "__main__":
    main()
