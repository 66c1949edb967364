#!/usr/bin/env python3
"""The colorizer's network and training step in PyTorch Python: the peer of bench/colorizer_bench.

Same architecture (widths 32, 64, 128, 256; DCGAN discriminator, base width 32), same losses as
ganvas's default recipe (chroma output mode, L1 x 100 + BCE; D scaled by 0.5), same Adam settings,
random inputs of the same shape. Prints one JSON line of medians.

    /usr/bin/python3 bench/colorizer_peer.py --threads 2 --batch 16 --size 64 --steps 20
"""
import argparse
import json
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

M_RGB2XYZ = torch.tensor([[0.412453, 0.357580, 0.180423], [0.212671, 0.715160, 0.072169],
                          [0.019334, 0.119193, 0.950227]])
M_XYZ2RGB = torch.tensor([[3.240479, -1.537150, -0.498535], [-0.969256, 1.875992, 0.041556],
                          [0.055648, -0.204043, 1.057311]])
WHITE = torch.tensor([0.950456, 1.0, 1.088754]).view(1, 3, 1, 1)


def rgb_to_lab(rgb):
    lin = torch.where(rgb > 0.04045, ((rgb.clamp_min(0.04045) + 0.055) / 1.055) ** 2.4, rgb / 12.92)
    t = torch.einsum("ck,nkhw->nchw", M_RGB2XYZ, lin) / WHITE
    f = torch.where(t > 0.008856, t.clamp_min(0.008856) ** (1 / 3), 7.787 * t + 16 / 116)
    return torch.stack([116 * f[:, 1] - 16, 500 * (f[:, 0] - f[:, 1]), 200 * (f[:, 1] - f[:, 2])], 1)


def lab_to_rgb(lab):
    fy = (lab[:, 0] + 16) / 116
    f = torch.stack([fy + lab[:, 1] / 500, fy, fy - lab[:, 2] / 200], 1)
    t = torch.where(f > 6 / 29, f ** 3, (f - 16 / 116) / 7.787)
    lin = torch.einsum("ck,nkhw->nchw", M_XYZ2RGB, t * WHITE)
    rgb = torch.where(lin > 0.0031308, 1.055 * lin.clamp_min(0.0031308) ** (1 / 2.4) - 0.055, lin * 12.92)
    return rgb.clamp(0, 1)


def block(cin, cout):
    return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(True))


class Generator(nn.Module):
    def __init__(self, widths=(32, 64, 128, 256)):
        super().__init__()
        self.block1 = block(3, widths[0])
        self.block2 = block(widths[0], widths[1])
        self.block3 = block(widths[1], widths[2])
        self.block4 = block(widths[2], widths[3])
        self.block5 = nn.Sequential(nn.Conv2d(widths[3], 3, 3, padding=1), nn.Sigmoid())

    def forward(self, gray):
        rgb = self.block5(self.block4(self.block3(self.block2(self.block1(gray)))))
        lightness = rgb_to_lab(gray)[:, :1]
        return lab_to_rgb(torch.cat([lightness, rgb_to_lab(rgb)[:, 1:]], 1))


class Discriminator(nn.Module):
    def __init__(self, size=64, base=32):
        super().__init__()
        layers, c, w, s = [], 3, base, size
        while s > 4:
            layers.append(nn.Conv2d(c, w, 4, 2, 1, bias=False))
            if c != 3:
                layers.append(nn.BatchNorm2d(w))
            layers.append(nn.LeakyReLU(0.2, True))
            c, w, s = w, w * 2, s // 2
        layers.append(nn.Conv2d(c, 1, 4, bias=False))
        self.main = nn.Sequential(*layers)

    def forward(self, x):
        return self.main(x).flatten()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--size", type=int, default=64)
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--channels-last", action="store_true")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    fmt = torch.channels_last if a.channels_last else torch.contiguous_format
    G, D = Generator().to(memory_format=fmt), Discriminator(a.size).to(memory_format=fmt)
    opt_g = torch.optim.Adam(G.parameters(), 1e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(D.parameters(), 1e-4, betas=(0.5, 0.999))
    real = torch.rand(a.batch, 3, a.size, a.size).contiguous(memory_format=fmt)
    gray = (0.299 * real[:, :1] + 0.587 * real[:, 1:2] + 0.114 * real[:, 2:]).expand(-1, 3, -1, -1)
    gray = gray.contiguous(memory_format=fmt)

    def step():
        fake = G(gray)
        opt_d.zero_grad()
        d = 0.5 * (F.binary_cross_entropy_with_logits(D(real), torch.ones(a.batch))
                   + F.binary_cross_entropy_with_logits(D(fake.detach()), torch.zeros(a.batch)))
        d.backward()
        opt_d.step()
        opt_g.zero_grad()
        g = 100 * F.l1_loss(fake, real) + F.binary_cross_entropy_with_logits(D(fake), torch.ones(a.batch))
        g.backward()
        opt_g.step()

    times = []
    for i in range(a.warmup + a.steps):
        t = time.perf_counter()
        step()
        if i >= a.warmup:
            times.append(time.perf_counter() - t)
    G.eval()
    infer = []
    with torch.inference_mode():
        for i in range(a.warmup + a.steps):
            t = time.perf_counter()
            G(gray)
            if i >= a.warmup:
                infer.append(time.perf_counter() - t)
    step_s = statistics.median(times)
    print(json.dumps({"impl": "pytorch-python" + ("-channels-last" if a.channels_last else ""),
                      "threads": a.threads, "batch": a.batch, "size": a.size,
                      "train_step_s": step_s, "train_images_per_s": a.batch / step_s,
                      "infer_ms_per_image": 1000 * statistics.median(infer) / a.batch}))


if __name__ == "__main__":
    main()
