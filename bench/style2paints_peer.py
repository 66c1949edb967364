#!/usr/bin/env python3
"""style2paints' networks and training step in PyTorch Python: the peer of bench/style2paints_bench.

The same networks, losses and step as ganvas's style2paints at its defaults (docs/STYLE2PAINTS.md):
a residual U-Net (ngf 32, 4 levels, 4 middle blocks at 1/16 receiving the 2048-wide hint, two guide
decoders), the frozen VGG-19 relu1_1-relu3_1 statistics encoder (896 values, random weights here),
the DCGAN discriminator with a patch real/fake head and the style head, BCE + style MSE + 100 x (L1
+ 0.3 guide 1 + 0.9 guide 2), Adam 2e-4 (0.5, 0.999), batch 8, 128x128, init N(0, 0.02). Written for
this benchmark; it prints one JSON line of medians.

    /usr/bin/python3 bench/style2paints_peer.py --threads 2 --steps 8
"""
import argparse
import json
import resource
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def width(ngf, level):
    return ngf * min(2 ** level, 8)


class Residual(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(c, c, 3, 1, 1, bias=False), nn.BatchNorm2d(c), nn.ReLU(),
                                  nn.Conv2d(c, c, 3, 1, 1, bias=False), nn.BatchNorm2d(c))

    def forward(self, x):
        return x + self.body(x)


def down(i, o, norm=True):
    layers = [nn.Conv2d(i, o, 4, 2, 1, bias=not norm)]
    if norm:
        layers.append(nn.BatchNorm2d(o))
    return layers + [nn.LeakyReLU(0.2)]


def up(i, o):
    return [nn.ConvTranspose2d(i, o, 4, 2, 1, bias=False), nn.BatchNorm2d(o), nn.ReLU()]


def guide(ngf):
    layers, c = [], width(ngf, 4)
    for level in range(3, -1, -1):
        layers += up(c, width(ngf, level))
        c = width(ngf, level)
    return nn.Sequential(*layers, nn.Conv2d(c, 3, 3, 1, 1), nn.Tanh())


class Generator(nn.Module):
    def __init__(self, ngf=32, blocks=4, hint=2048):
        super().__init__()
        self.encoder = nn.ModuleList()
        for level in range(4):
            w = width(ngf, level)
            first = [nn.Conv2d(1, w, 3, 1, 1), nn.LeakyReLU(0.2)] if level == 0 else down(width(ngf, level - 1), w)
            self.encoder.append(nn.Sequential(*first, Residual(w)))
        mid = width(ngf, 4)
        self.entry = nn.Sequential(*down(width(ngf, 3), mid))
        self.middle = nn.ModuleList([Residual(mid) for _ in range(blocks)])
        self.proj = nn.ModuleList([nn.Linear(hint, mid) for _ in range(blocks)])
        self.up = nn.ModuleList()
        self.fuse = nn.ModuleList()
        for level in range(3, -1, -1):
            w = width(ngf, level)
            self.up.append(nn.Sequential(*up(width(ngf, level + 1), w)))
            self.fuse.append(nn.Sequential(nn.Conv2d(2 * w, w, 3, 1, 1, bias=False), nn.BatchNorm2d(w), nn.ReLU(),
                                           Residual(w)))
        self.head = nn.Sequential(nn.Conv2d(ngf, 3, 3, 1, 1), nn.Tanh())
        self.guide1, self.guide2 = guide(ngf), guide(ngf)

    def forward(self, x, h):
        skips = []
        for level in self.encoder:
            x = level(x)
            skips.append(x)
        x = self.entry(x)
        g1 = self.guide1(x)
        for block, proj in zip(self.middle, self.proj):
            x = block(x + proj(h)[:, :, None, None])
        g2 = self.guide2(x)
        for i, (u, f) in enumerate(zip(self.up, self.fuse)):
            x = f(torch.cat([skips[-1 - i], u(x)], 1))
        return self.head(x), g1, g2


class Hint(nn.Module):
    def __init__(self, features=896, hint=2048):
        super().__init__()
        self.dense = nn.Linear(features, hint)
        self.register_buffer("scale", torch.ones(features))

    def forward(self, f):
        h = self.dense(f / self.scale)
        mean = h.mean(1, keepdim=True)
        return (h - mean) * torch.rsqrt((h - mean).pow(2).mean(1, keepdim=True) + 1e-5)


class VggStats(nn.Module):
    """VGG-19 conv1_1..conv3_1 (after a 1x1 colour transform), reflection padding; channel means and
    standard deviations of relu1_1, relu2_1, relu3_1."""

    def __init__(self):
        super().__init__()
        shapes = [(3, 3, 1), (3, 64, 3), (64, 64, 3), (64, 128, 3), (128, 128, 3), (128, 256, 3)]
        self.convs = nn.ModuleList([nn.Conv2d(i, o, k) for i, o, k in shapes])

    @staticmethod
    def stats(f):
        flat = f.flatten(2)
        mean = flat.mean(2)
        return torch.cat([mean, torch.sqrt((flat - mean[:, :, None]).pow(2).mean(2) + 1e-5)], 1)

    def forward(self, x):
        pad = lambda t: F.pad(t, (1, 1, 1, 1), mode="reflect")
        x = self.convs[0](x)
        r11 = F.relu(self.convs[1](pad(x)))
        x = F.max_pool2d(F.relu(self.convs[2](pad(r11))), 2)
        r21 = F.relu(self.convs[3](pad(x)))
        x = F.max_pool2d(F.relu(self.convs[4](pad(r21))), 2)
        r31 = F.relu(self.convs[5](pad(x)))
        return torch.cat([self.stats(r11), self.stats(r21), self.stats(r31)], 1)


class Discriminator(nn.Module):
    def __init__(self, ndf=32, features=896):
        super().__init__()
        layers, c = [], 3
        for level in range(4):
            layers += down(c, ndf * 2 ** level, norm=level > 0)
            c = ndf * 2 ** level
        self.body = nn.Sequential(*layers)
        self.adversarial = nn.Conv2d(c, 1, 3, 1, 1)
        self.style = nn.Linear(c, features)

    def forward(self, x):
        f = self.body(x)
        return self.adversarial(f), self.style(f.mean((2, 3)))


def init_normal(net):
    for m in net.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            nn.init.normal_(m.weight, 0.0, 0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--channels-last", action="store_true")
    parser.add_argument("--ngf", type=int, default=32)
    parser.add_argument("--middle-blocks", type=int, default=4)
    parser.add_argument("--hint-width", type=int, default=2048)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    fmt = torch.channels_last if args.channels_last else torch.contiguous_format
    g = Generator(args.ngf, args.middle_blocks, args.hint_width)
    hint, d, vgg = Hint(hint=args.hint_width), Discriminator(), VggStats()
    for net in (g, hint, d):
        init_normal(net)
    for net in (g, hint, d, vgg):
        net.to(memory_format=fmt)
    vgg.eval().requires_grad_(False)
    opt_g = torch.optim.Adam(list(g.parameters()) + list(hint.parameters()), 2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(d.parameters(), 2e-4, betas=(0.5, 0.999))
    n, s = args.batch, args.size
    lineart = torch.rand(n, 3, s, s).contiguous(memory_format=fmt)
    painting = torch.rand(n, 3, s, s).contiguous(memory_format=fmt)
    style = torch.rand(n, 3, s, s).contiguous(memory_format=fmt)
    bce = F.binary_cross_entropy_with_logits

    def step():
        g.train(), hint.train(), d.train()
        x = (lineart.mean(1, keepdim=True) * 2 - 1).contiguous(memory_format=fmt)
        real = (painting * 2 - 1).contiguous(memory_format=fmt)
        with torch.no_grad():
            features = vgg(style) / hint.scale
        out, g1, g2 = g(x, hint(features * hint.scale))
        d.requires_grad_(True)
        real_logits, real_style = d(real)
        fake_logits, fake_style = d(out.detach())
        d_loss = 0.5 * (bce(real_logits, torch.ones_like(real_logits)) + bce(fake_logits, torch.zeros_like(fake_logits))) \
            + F.mse_loss(real_style, features) + F.mse_loss(fake_style, torch.zeros_like(features))
        opt_d.zero_grad()
        d_loss.backward()
        opt_d.step()
        d.requires_grad_(False)
        logits, read = d(out)
        g_loss = bce(logits, torch.ones_like(logits)) + F.mse_loss(read, features) + 100 * (
            F.l1_loss(out, real) + 0.3 * F.l1_loss(g1, real) + 0.9 * F.l1_loss(g2, real))
        opt_g.zero_grad()
        g_loss.backward()
        sum(p.grad.pow(2).sum() for p in g.middle.parameters() if p.grad is not None).item()
        opt_g.step()
        d.requires_grad_(True)

    def infer():
        g.eval(), hint.eval()
        with torch.inference_mode():
            x = (lineart[:1].mean(1, keepdim=True) * 2 - 1).contiguous(memory_format=fmt)
            out, _, _ = g(x, hint(vgg(style[:1])))
            return ((out + 1) * 0.5).clamp(0, 1)

    train_s, infer_s = [], []
    for i in range(2 + args.steps):
        t = time.perf_counter()
        step()
        if i >= 2:
            train_s.append(time.perf_counter() - t)
    for i in range(2 + args.steps):
        t = time.perf_counter()
        infer()
        if i >= 2:
            infer_s.append(time.perf_counter() - t)
    print(json.dumps({"impl": "pytorch-python" + ("-channels-last" if args.channels_last else ""),
                      "threads": args.threads, "size": s, "batch": n,
                      "train_step_s": statistics.median(train_s), "infer_ms": 1000 * statistics.median(infer_s),
                      "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0}))


if __name__ == "__main__":
    main()
