#!/usr/bin/python3
"""Independent LPIPS v0.1 for ncbench's golden tests, written as the `lpips` package is.

The networks are torch.nn modules laid out exactly as lpips/pretrained_networks.py slices
torchvision's SqueezeNet 1.1, AlexNet and VGG16 `features`, the forward pass is
lpips/lpips.py's LPIPS.forward (ScalingLayer, normalize_tensor with eps 1e-10, squared
difference, NetLinLayer 1x1 convolutions, spatial mean, sum over layers); the weights are read
with torch.load. Run with Debian's /usr/bin/python3 (PyTorch 1.13).

  lpips_reference.py score --net NET (--weights FULL.pt | --backbone TV.pth --heads LIN.pth) PAIRS.json
      prints {"torch_version", "threads", "values": [distance per [gen_png, gt_png] pair],
      "seconds": the scoring loop's time over the decoded images}
  lpips_reference.py changed --net NET --weights FULL.pt TRIPLES.json
      prints {"values": [{"share", "lpips_changed"}]} for [gen_png, gt_png, conditioning_png]
      triples: the mean over the changed region (changed_region_reference.py's mask) of the
      LPIPS(spatial=True) map (each layer's map upsampled with nn.Upsample(size=(H, W),
      mode="bilinear", align_corners=False), summed over layers), null where nothing changed
  lpips_reference.py torchvision-squeeze FULL.pt OUT.pth [--legacy]
      rewrites a complete lpips state_dict as torchvision's squeezenet1_1 backbone naming
  lpips_reference.py random-backbone NET SEED OUT.pth [--legacy]
      writes a seeded random torchvision AlexNet/VGG16 `features` state_dict (a stand-in for
      the ImageNet weights, which are not available offline)
"""
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
from PIL import Image


class Fire(nn.Module):  # torchvision.models.squeezenet.Fire
    def __init__(self, inplanes, squeeze, e1, e3):
        super().__init__()
        self.squeeze = nn.Conv2d(inplanes, squeeze, 1)
        self.squeeze_activation = nn.ReLU(inplace=True)
        self.expand1x1 = nn.Conv2d(squeeze, e1, 1)
        self.expand1x1_activation = nn.ReLU(inplace=True)
        self.expand3x3 = nn.Conv2d(squeeze, e3, 3, padding=1)
        self.expand3x3_activation = nn.ReLU(inplace=True)

    def forward(self, x):
        x = self.squeeze_activation(self.squeeze(x))
        return torch.cat([self.expand1x1_activation(self.expand1x1(x)),
                          self.expand3x3_activation(self.expand3x3(x))], 1)


def features(net):
    """torchvision's `features` Sequential and lpips' slice boundaries."""
    if net == "squeeze":
        pool = lambda: nn.MaxPool2d(3, 2, ceil_mode=True)
        f = [nn.Conv2d(3, 64, 3, stride=2), nn.ReLU(inplace=True), pool(), Fire(64, 16, 64, 64),
             Fire(128, 16, 64, 64), pool(), Fire(128, 32, 128, 128), Fire(256, 32, 128, 128), pool(),
             Fire(256, 48, 192, 192), Fire(384, 48, 192, 192), Fire(384, 64, 256, 256),
             Fire(512, 64, 256, 256)]
        return f, [2, 5, 8, 10, 11, 12, 13], [64, 128, 256, 384, 384, 512, 512]
    if net == "alex":
        r = lambda: nn.ReLU(inplace=True)
        f = [nn.Conv2d(3, 64, 11, 4, 2), r(), nn.MaxPool2d(3, 2), nn.Conv2d(64, 192, 5, padding=2), r(),
             nn.MaxPool2d(3, 2), nn.Conv2d(192, 384, 3, padding=1), r(), nn.Conv2d(384, 256, 3, padding=1), r(),
             nn.Conv2d(256, 256, 3, padding=1), r(), nn.MaxPool2d(3, 2)]
        return f, [2, 5, 8, 10, 12], [64, 192, 384, 256, 256]
    if net == "vgg":
        f, c = [], 3
        for v in [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"]:
            if v == "M":
                f.append(nn.MaxPool2d(2, 2))
            else:
                f += [nn.Conv2d(c, v, 3, padding=1), nn.ReLU(inplace=True)]
                c = v
        return f, [4, 9, 16, 23, 30], [64, 128, 256, 512, 512]
    raise SystemExit("unknown net " + net)


class LPIPS(nn.Module):
    def __init__(self, net):
        super().__init__()
        f, ends, chans = features(net)
        self.register_buffer("shift", torch.Tensor([-.030, -.088, -.188])[None, :, None, None])
        self.register_buffer("scale", torch.Tensor([.458, .448, .450])[None, :, None, None])
        self.slices = nn.ModuleList()
        start = 0
        for end in ends:
            s = nn.Sequential()
            for x in range(start, end):
                s.add_module(str(x), f[x])
            self.slices.append(s)
            start = end
        self.lins = nn.ModuleList(nn.Sequential(nn.Dropout(), nn.Conv2d(c, 1, 1, bias=False)) for c in chans)

    def load(self, sd):
        """sd in the lpips package's naming (net.sliceK.N.*, linL.model.1.weight, scaling_layer.*)."""
        own = {}
        for k in self.state_dict():
            if k.startswith("slices."):
                _, i, rest = k.split(".", 2)
                own[k] = sd["net.slice%d.%s" % (int(i) + 1, rest)]
            elif k.startswith("lins."):
                _, i, rest = k.split(".", 2)
                own[k] = sd["lin%s.model.%s" % (i, rest)]
            else:
                own[k] = sd.get("scaling_layer." + k, self.state_dict()[k])
        self.load_state_dict(own)

    def forward(self, in0, in1, spatial=False):  # inputs in [-1, 1]
        x0, x1 = (in0 - self.shift) / self.scale, (in1 - self.shift) / self.scale
        val = 0
        for s, lin in zip(self.slices, self.lins):
            x0, x1 = s(x0), s(x1)
            n0 = x0 / (torch.sqrt(torch.sum(x0 ** 2, dim=1, keepdim=True)) + 1e-10)
            n1 = x1 / (torch.sqrt(torch.sum(x1 ** 2, dim=1, keepdim=True)) + 1e-10)
            d = lin((n0 - n1) ** 2)
            if spatial:  # lpips.lpips.upsample
                val = val + nn.Upsample(size=tuple(in0.shape[2:]), mode="bilinear", align_corners=False)(d)
            else:
                val = val + d.mean([2, 3], keepdim=True)
        return val


def torchvision_to_lpips(backbone, heads, net):
    _, ends, _ = features(net)
    sd = {k: v for k, v in torch.load(heads, map_location="cpu").items()}
    for k, v in torch.load(backbone, map_location="cpu").items():
        if not k.startswith("features."):
            continue
        idx = int(k.split(".")[1])
        sl = next(i for i, e in enumerate(ends) if idx < e) + 1
        sd["net.slice%d.%s" % (sl, k[len("features."):])] = v
    return sd


def load_png(path):
    a = np.asarray(Image.open(path).convert("RGB"), dtype=np.float32) / 255.0
    return torch.from_numpy(a).permute(2, 0, 1)[None] * 2 - 1


def save(sd, out, legacy):
    torch.save(sd, out, _use_new_zipfile_serialization=not legacy)


def main():
    args = sys.argv[1:]
    legacy = "--legacy" in args
    args = [a for a in args if a != "--legacy"]
    cmd = args.pop(0)
    torch.set_grad_enabled(False)
    if os.environ.get("NCBENCH_TORCH_THREADS"):  # bench-peers: the same thread count as ncbench
        torch.set_num_threads(int(os.environ["NCBENCH_TORCH_THREADS"]))
    if cmd == "score":
        opts = dict(zip(args[0:-1:2], args[1:-1:2]))
        net = opts["--net"]
        sd = (torch.load(opts["--weights"], map_location="cpu") if "--weights" in opts
              else torchvision_to_lpips(opts["--backbone"], opts["--heads"], net))
        model = LPIPS(net).eval()
        model.load(sd)
        images = [(load_png(gen), load_png(gt)) for gen, gt in json.load(open(args[-1]))]
        t0 = time.perf_counter()  # compute only, images decoded above (for `ncbench bench-peers`)
        values = [float(model(gen, gt).item()) for gen, gt in images]
        seconds = time.perf_counter() - t0
        print(json.dumps({"torch_version": torch.__version__, "threads": torch.get_num_threads(),
                          "values": values, "seconds": seconds}))
    elif cmd == "changed":
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        from changed_region_reference import changed_mask, load
        opts = dict(zip(args[0:-1:2], args[1:-1:2]))
        model = LPIPS(opts["--net"]).eval()
        model.load(torch.load(opts["--weights"], map_location="cpu"))
        values = []
        for gen, gt, cond in json.load(open(args[-1])):
            mask = changed_mask(load(gt), load(cond))
            v = {"share": float(mask.mean()), "lpips_changed": None}
            if mask.any():
                m = model(load_png(gen), load_png(gt), spatial=True)[0, 0].double().numpy()
                v["lpips_changed"] = float(m[mask].mean())
            values.append(v)
        print(json.dumps({"values": values}))
    elif cmd == "torchvision-squeeze":
        full, out = args
        sd = torch.load(full, map_location="cpu")
        tv = {"features.%s" % k.split(".", 2)[2]: v for k, v in sd.items() if k.startswith("net.slice")}
        save(tv, out, legacy)
    elif cmd == "random-backbone":
        net, seed, out = args
        torch.manual_seed(int(seed))
        f, _, _ = features(net)
        seq = nn.Sequential(*f)
        for m in seq:
            if isinstance(m, nn.Conv2d):  # He init with a small positive bias: live ReLUs
                nn.init.kaiming_normal_(m.weight)
                nn.init.uniform_(m.bias, 0.0, 0.1)
        save({"features." + k: v for k, v in seq.state_dict().items()}, out, legacy)
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
