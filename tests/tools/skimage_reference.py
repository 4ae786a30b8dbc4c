#!/usr/bin/python3
"""Independent reference values for ncbench's golden tests: scikit-image's PSNR and SSIM.

Reads a JSON list of [generated_png, ground_truth_png] pairs (argv[1]) and prints a JSON list
of {"psnr": float|null, "ssim": float} computed on the 8-bit RGB images with
  skimage.metrics.peak_signal_noise_ratio(gt, gen, data_range=255)
  skimage.metrics.structural_similarity(gt, gen, channel_axis=2, gaussian_weights=True,
      sigma=1.5, use_sample_covariance=False, data_range=255)
the settings ncbench documents (metrics/pixel/ssim.h), and the seconds each metric's loop took
over the decoded images (for `ncbench bench-peers`). Run with Debian's /usr/bin/python3.
"""
import json
import math
import sys
import time

import numpy as np
import skimage
from PIL import Image
from skimage.metrics import peak_signal_noise_ratio, structural_similarity


def main():
    pairs = json.load(open(sys.argv[1]))
    images = [(np.asarray(Image.open(gen_path).convert("RGB")), np.asarray(Image.open(gt_path).convert("RGB")))
              for gen_path, gt_path in pairs]
    # Compute time only (images decoded above), per metric: what `ncbench bench-peers` compares.
    t0 = time.perf_counter()
    with np.errstate(divide="ignore"):
        psnrs = [peak_signal_noise_ratio(gt, gen, data_range=255) for gen, gt in images]
    t1 = time.perf_counter()
    ssims = [structural_similarity(gt, gen, channel_axis=2, gaussian_weights=True, sigma=1.5,
                                   use_sample_covariance=False, data_range=255) for gen, gt in images]
    t2 = time.perf_counter()
    out = [{"psnr": p if math.isfinite(p) else None, "ssim": float(s)} for p, s in zip(psnrs, ssims)]
    print(json.dumps({"skimage_version": skimage.__version__, "values": out,
                      "seconds": {"psnr": t1 - t0, "ssim": t2 - t1}}))


if __name__ == "__main__":
    main()
