#!/usr/bin/env python3
"""pix2pix's networks and training step in PyTorch Python: the peer of bench/pix2pix_bench.

The architecture, losses and step of the reference implementation's defaults
(junyanz/pytorch-CycleGAN-and-pix2pix, `--model pix2pix`): U-Net 256 with batch norm and dropout,
the 70x70 PatchGAN (n_layers 3), vanilla GAN loss (BCE with logits) + 100 x L1, Adam 2e-4
(0.5, 0.999), D loss halved, batch 1, 256x256, init N(0, 0.02). Written for this benchmark from the
published description; it prints one JSON line of medians.

    /usr/bin/python3 bench/pix2pix_peer.py --threads 2 --steps 10
"""
import argparse
import json
import resource
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class UnetLevel(nn.Module):
    """One level of the U-Net: down, the inner levels, up; the input is concatenated to the output
    except at the outermost level."""

    def __init__(self, outer, inner, in_ch=None, inner_level=None, outermost=False, dropout=False):
        super().__init__()
        in_ch = outer if in_ch is None else in_ch
        self.outermost = outermost
        down_conv = nn.Conv2d(in_ch, inner, 4, 2, 1, bias=False)
        if outermost:
            layers = [down_conv, inner_level, nn.ReLU(True), nn.ConvTranspose2d(inner * 2, outer, 4, 2, 1), nn.Tanh()]
        elif inner_level is None:
            layers = [nn.LeakyReLU(0.2, True), down_conv, nn.ReLU(True),
                      nn.ConvTranspose2d(inner, outer, 4, 2, 1, bias=False), nn.BatchNorm2d(outer)]
        else:
            layers = [nn.LeakyReLU(0.2, True), down_conv, nn.BatchNorm2d(inner), inner_level, nn.ReLU(True),
                      nn.ConvTranspose2d(inner * 2, outer, 4, 2, 1, bias=False), nn.BatchNorm2d(outer)]
            if dropout:
                layers.append(nn.Dropout(0.5))
        self.model = nn.Sequential(*layers)

    def forward(self, x):
        return self.model(x) if self.outermost else torch.cat([x, self.model(x)], 1)


def unet(levels=8, ngf=64):
    block = UnetLevel(ngf * 8, ngf * 8)
    for _ in range(levels - 5):
        block = UnetLevel(ngf * 8, ngf * 8, inner_level=block, dropout=True)
    block = UnetLevel(ngf * 4, ngf * 8, inner_level=block)
    block = UnetLevel(ngf * 2, ngf * 4, inner_level=block)
    block = UnetLevel(ngf, ngf * 2, inner_level=block)
    return UnetLevel(3, ngf, in_ch=3, inner_level=block, outermost=True)


def patch_discriminator(in_ch=6, ndf=64, n_layers=3):
    layers = [nn.Conv2d(in_ch, ndf, 4, 2, 1), nn.LeakyReLU(0.2, True)]
    mult = 1
    for n in range(1, n_layers + 1):
        prev, mult = mult, min(2 ** n, 8)
        layers += [nn.Conv2d(ndf * prev, ndf * mult, 4, 2 if n < n_layers else 1, 1, bias=False),
                   nn.BatchNorm2d(ndf * mult), nn.LeakyReLU(0.2, True)]
    layers.append(nn.Conv2d(ndf * mult, 1, 4, 1, 1))
    return nn.Sequential(*layers)


def init_normal(net):
    for m in net.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(m.weight, 0.0, 0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)


def conv_flops(net, x):
    """Multiply-adds x 2 of every convolution in one forward pass, and those of the first one."""
    counts = []

    def hook(m, inp, out):
        kh, kw = m.kernel_size
        if isinstance(m, nn.ConvTranspose2d):  # every input pixel meets the whole kernel
            n = inp[0].numel() // m.in_channels * m.in_channels * m.out_channels * kh * kw
        else:  # every output pixel does
            n = out.numel() // m.out_channels * m.out_channels * m.in_channels * kh * kw
        counts.append(2 * n)

    hooks = [m.register_forward_hook(hook) for m in net.modules() if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))]
    with torch.no_grad():
        net(x)
    for h in hooks:
        h.remove()
    return sum(counts), counts[0]


def step_flops(G, D, size):
    """Convolution FLOPs of one pix2pix step: G forward, G backward (input gradients but the first
    layer's, weight gradients); D forward three times (fake and real for D's step, fake for G's),
    weight gradients twice (D's step), input gradients three times but the first layer's in D's step."""
    g, g_first = conv_flops(G, torch.zeros(1, 3, size, size))
    d, d_first = conv_flops(D, torch.zeros(1, 6, size, size))
    return 3 * g - g_first + 8 * d - 2 * d_first


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--size", type=int, default=256)
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--channels-last", action="store_true")
    p.add_argument("--profile", action="store_true")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    fmt = torch.channels_last if a.channels_last else torch.contiguous_format
    G = unet(8 if a.size == 256 else 7)
    D = patch_discriminator()
    init_normal(G)
    init_normal(D)
    flops = step_flops(G, D, a.size)
    G, D = G.to(memory_format=fmt), D.to(memory_format=fmt)
    opt_g = torch.optim.Adam(G.parameters(), 2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(D.parameters(), 2e-4, betas=(0.5, 0.999))
    real_a = (torch.rand(1, 3, a.size, a.size) * 2 - 1).contiguous(memory_format=fmt)
    real_b = (torch.rand(1, 3, a.size, a.size) * 2 - 1).contiguous(memory_format=fmt)

    def gan(pred, real):
        return F.binary_cross_entropy_with_logits(pred, torch.full_like(pred, 1.0 if real else 0.0))

    def step():
        fake_b = G(real_a)
        fake_ab = torch.cat([real_a, fake_b], 1)
        for q in D.parameters():
            q.requires_grad_(True)
        opt_d.zero_grad()
        loss_d = 0.5 * (gan(D(fake_ab.detach()), False) + gan(D(torch.cat([real_a, real_b], 1)), True))
        loss_d.backward()
        opt_d.step()
        for q in D.parameters():
            q.requires_grad_(False)
        opt_g.zero_grad()
        loss_g = gan(D(fake_ab), True) + 100.0 * F.l1_loss(fake_b, real_b)
        loss_g.backward()
        opt_g.step()

    for _ in range(a.warmup):
        step()
    if a.profile:
        with torch.profiler.profile() as prof:
            for _ in range(3):
                step()
        print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=25))
        return
    times = []
    for _ in range(a.steps):
        t = time.perf_counter()
        step()
        times.append(time.perf_counter() - t)
    infer = []
    with torch.no_grad():  # the reference's test.py: train-mode norm and dropout, no gradients
        for i in range(a.warmup + a.steps):
            t = time.perf_counter()
            G(real_a)
            if i >= a.warmup:
                infer.append(time.perf_counter() - t)
    print(json.dumps({
        "impl": "pytorch-python" + ("-channels-last" if a.channels_last else ""),
        "threads": a.threads, "size": a.size,
        "train_step_s": statistics.median(times),
        "step_gflop": flops / 1e9,
        "gflops": flops / 1e9 / statistics.median(times),
        "infer_ms": 1000 * statistics.median(infer),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "torch": torch.__version__,
    }))


if __name__ == "__main__":
    main()
