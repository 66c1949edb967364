#!/usr/bin/env python3
"""SketchyGAN's networks and training step in PyTorch Python: the peer of bench/sketchygan_bench.

The same networks and step as ganvas's `--model sketchygan` defaults (docs/SKETCHYGAN.md), written
for this benchmark from that description: 64x64, batch 16, one class; generator of Masked Residual
Units (the paper's one-convolution form) with class-conditional batch norm and the smooth ReLU,
noise z (256) -> 4x4 at the bottleneck; discriminator of MRUs without norm, spectrally normalised
(torch.nn.utils.spectral_norm: one power iteration in D's step, none in G's, as ganvas), PReLU, a
4x4 patch head and a class head. One step: G on the batch twice (two noises, the diversity pair),
D on 16 real + 32 fake (softplus GAN loss + focal cross-entropy on the real photos), then G
against the updated D (GAN + 0.5 aux + 10 L1 + 3 perceptual on VGG-19 to relu3_1 + 10 diversity),
Adam (beta 0, 0.9). Random images and a random frozen VGG: the work is the same as with real ones.
Prints one JSON line of medians, with the convolution FLOPs of a step counted from the layers.

    /usr/bin/python3 bench/sketchygan_peer.py --threads 2 --width 1 --steps 5
"""
import argparse
import json
import resource
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

SN = nn.utils.spectral_norm


def smooth_relu(x):
    return 0.5 * (x + torch.sqrt(0.09 + x * x))


class CondBatchNorm(nn.Module):
    def __init__(self, channels, classes):
        super().__init__()
        self.bn = nn.BatchNorm2d(channels, affine=False)
        self.gamma = nn.Embedding(classes, channels)
        self.beta = nn.Embedding(classes, channels)
        nn.init.ones_(self.gamma.weight)
        nn.init.zeros_(self.beta.weight)

    def forward(self, x, labels):
        n, c = x.shape[:2]
        return self.bn(x) * self.gamma(labels).view(n, c, 1, 1) + self.beta(labels).view(n, c, 1, 1)


class Mru(nn.Module):
    """m = sigmoid(conv[x, I]); z = f(conv[m * x, I]); n = sigmoid(conv[x, I]); y = (1 - n) x' + n z."""

    def __init__(self, cin, cout, image, classes=1, norm=True, spectral=False):
        super().__init__()
        wrap = SN if spectral else (lambda m: m)
        self.mask = wrap(nn.Conv2d(cin + image, cin, 3, 1, 1))
        self.mix = wrap(nn.Conv2d(cin + image, cout, 3, 1, 1))
        self.conv = wrap(nn.Conv2d(cin + image, cout, 3, 1, 1, bias=not norm))
        self.project = wrap(nn.Conv2d(cin, cout, 1)) if cin != cout else None
        self.norm = CondBatchNorm(cout, classes) if norm else None
        self.prelu = None if norm else nn.PReLU(init=0.2)

    def forward(self, x, image, labels=None):
        xi = torch.cat([x, image], 1)
        m = torch.sigmoid(self.mask(xi))
        z = self.conv(torch.cat([m * x, image], 1))
        z = smooth_relu(self.norm(z, labels)) if self.norm is not None else self.prelu(z)
        n = torch.sigmoid(self.mix(xi))
        skip = self.project(x) if self.project is not None else x
        return (1 - n) * skip + n * z


def pyramid(image, levels):
    p = [image]
    for _ in range(levels):
        p.append(F.avg_pool2d(p[-1], 2))
    return p


def ch(c, width):
    return max(2, round(c * width))


class Generator(nn.Module):
    def __init__(self, width, noise_dim=256, classes=1):
        super().__init__()
        enc = [ch(c, width) for c in (64, 128, 256, 512)]
        dec = [ch(c, width) for c in (384, 256, 128, 128, 64)]
        self.noise_channels = ch(64, width)
        self.stem = nn.Conv2d(1, ch(8, width), 7, 2, 3, bias=False)
        self.stem_norm = CondBatchNorm(ch(8, width), classes)
        cin = ch(8, width)
        self.encoder = nn.ModuleList()
        for c in enc:
            self.encoder.append(Mru(cin, c, 1, classes))
            cin = c
        self.noise_fc = nn.Linear(noise_dim, 16 * self.noise_channels)
        cin = enc[-1] + self.noise_channels
        self.decoder = nn.ModuleList()
        for j, c in enumerate(dec):
            skip = enc[len(enc) - 1 - j] if j < len(enc) else 0
            self.decoder.append(Mru(cin, c, 1 + skip, classes))
            cin = c
        self.out = nn.Conv2d(cin, 3, 7, 1, 3)

    def forward(self, sketch, z, labels):
        levels = len(self.encoder)
        p = pyramid(sketch, levels + 1)
        h = smooth_relu(self.stem_norm(self.stem(sketch), labels))
        skips = []
        for i, unit in enumerate(self.encoder):
            h = unit(h, p[i + 1], labels)
            skips.append(h)
            h = F.avg_pool2d(h, 2)
        for j, unit in enumerate(self.decoder):
            h = F.interpolate(h, scale_factor=2, mode="nearest")
            if j == 0:
                noise = self.noise_fc(z).view(-1, self.noise_channels, 4, 4)
                h = torch.cat([h, noise.contiguous(memory_format=torch.channels_last)
                               if h.is_contiguous(memory_format=torch.channels_last) else noise], 1)
            level = levels - j
            injected = torch.cat([p[level], skips[levels - 1 - j]], 1) if j < levels else p[level]
            h = unit(h, injected, labels)
        return torch.tanh(self.out(h))


class Discriminator(nn.Module):
    def __init__(self, width, classes=1):
        super().__init__()
        self.stem = SN(nn.Conv2d(3, ch(8, width), 7, 1, 3))
        self.stem_act = nn.PReLU(init=0.2)
        cin = ch(8, width)
        self.units = nn.ModuleList()
        for c in (ch(c, width) for c in (128, 256, 512, 768)):
            self.units.append(Mru(cin, c, 3, norm=False, spectral=True))
            cin = c
        self.patch = SN(nn.Conv2d(cin, 1, 1))
        self.classifier = SN(nn.Linear(cin, classes))

    def forward(self, image):
        p = pyramid(image, len(self.units))
        h = self.stem_act(self.stem(image))
        for i, unit in enumerate(self.units):
            h = F.avg_pool2d(unit(h, p[i]), 2)
        return self.patch(h), self.classifier(h.mean((2, 3)))


class Vgg(nn.Module):
    """VGG-19 to relu3_1: a fixed 1x1 colour transform, then conv1_1 .. conv3_1 on reflection-padded
    inputs, max-pooling after conv1_2 and conv2_2; returns relu1_1, relu2_1, relu3_1."""

    def __init__(self):
        super().__init__()
        self.convs = nn.ModuleList([nn.Conv2d(3, 3, 1)] + [nn.Conv2d(i, o, 3) for i, o in
                                                          ((3, 64), (64, 64), (64, 128), (128, 128), (128, 256))])

    def forward(self, x):
        c = self.convs
        pad = lambda t: F.pad(t, (1, 1, 1, 1), mode="reflect")
        x = c[0](x)
        r11 = F.relu(c[1](pad(x)))
        x = F.max_pool2d(F.relu(c[2](pad(r11))), 2)
        r21 = F.relu(c[3](pad(x)))
        x = F.max_pool2d(F.relu(c[4](pad(r21))), 2)
        return r11, r21, F.relu(c[5](pad(x)))


def init_normal(net, std=0.02):
    for m in net.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            w = m.weight_orig if hasattr(m, "weight_orig") else m.weight
            with torch.no_grad():
                w.normal_(0.0, std)
                if m.bias is not None:
                    m.bias.zero_()


def conv_flops(net, *inputs):
    """Multiply-adds x 2 of every convolution in one forward pass, and those of the first one."""
    counts = []

    def hook(m, inp, out):
        kh, kw = m.kernel_size
        counts.append(2 * out.numel() * m.in_channels * kh * kw)

    hooks = [m.register_forward_hook(hook) for m in net.modules() if isinstance(m, nn.Conv2d)]
    with torch.no_grad():
        net(*inputs)
    for h in hooks:
        h.remove()
    return sum(counts), counts[0]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--width", type=float, default=1.0)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--steps", type=int, default=5)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--channels-last", action="store_true")
    p.add_argument("--profile", action="store_true")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    fmt = torch.channels_last if a.channels_last else torch.contiguous_format
    n, size = a.batch, 64
    G, D, vgg = Generator(a.width), Discriminator(a.width), Vgg()
    init_normal(G)
    init_normal(D)
    for q in vgg.parameters():
        q.requires_grad_(False)
    vgg.eval()
    labels = torch.zeros(n, dtype=torch.long)
    # Convolution FLOPs of one step. G: forward on 2n, backward (input gradients but the stem's, and
    # weight gradients). D: forward on 3n (D's step) and 2n (G's), weight and input gradients on 3n
    # but the stem's input gradient, input gradients on 2n. VGG: forward on 4n (fake and photo),
    # input gradients on the 2n fakes.
    D.eval()  # no power iteration while counting
    g, g0 = conv_flops(G, torch.zeros(2 * n, 1, size, size), torch.zeros(2 * n, 256), torch.cat([labels, labels]))
    d, d0 = conv_flops(D, torch.zeros(n, 3, size, size))
    v, v0 = conv_flops(vgg, torch.zeros(n, 3, size, size))
    flops = 3 * g - g0 + 9 * d - 3 * d0 + 4 * d + 6 * v
    G, D, vgg = G.to(memory_format=fmt), D.to(memory_format=fmt), vgg.to(memory_format=fmt)
    opt_g = torch.optim.Adam(G.parameters(), 2e-4, betas=(0.0, 0.9))
    opt_d = torch.optim.Adam(D.parameters(), 4e-4, betas=(0.0, 0.9))
    sketch = (torch.rand(n, 1, size, size) * 2 - 1).contiguous(memory_format=fmt)
    photo = (torch.rand(n, 3, size, size) * 2 - 1).contiguous(memory_format=fmt)
    s2, l2, p2 = torch.cat([sketch, sketch]), torch.cat([labels, labels]), torch.cat([photo, photo])

    def focal(logits, target, gamma=2.0):
        logp = F.log_softmax(logits, 1).gather(1, target.view(-1, 1)).squeeze(1)
        return -((1 - logp.exp()) ** gamma * logp).mean()

    def perceptual(x, y):
        fx, fy = vgg(x), vgg(y)
        return sum(F.l1_loss(u, w) for u, w in zip(fx, fy)) / 3

    def step():
        G.train()
        z = torch.randn(2 * n, 256)
        fake = G(s2, z, l2)
        D.train()  # one power iteration per spectrally normalised layer
        for q in D.parameters():
            q.requires_grad_(True)
        logits, classes = D(torch.cat([photo, fake.detach()]))
        loss_d = (F.softplus(-logits[:n]).mean() + F.softplus(logits[n:]).mean() + focal(classes[:n], labels))
        opt_d.zero_grad()
        loss_d.backward()
        opt_d.step()
        D.eval()  # G's pass uses the refined estimate without another iteration
        for q in D.parameters():
            q.requires_grad_(False)
        logits, classes = D(fake)
        a_, b_ = fake[:n], fake[n:]
        div = -((a_ - b_).abs().reshape(n, -1).mean(1) / (z[:n] - z[n:]).norm(dim=1)).mean()
        loss_g = (F.softplus(-logits).mean() + 0.5 * F.cross_entropy(classes, l2) + 10 * F.l1_loss(fake, p2)
                  + 3 * perceptual((fake + 1) * 0.5, (p2 + 1) * 0.5) + 10 * div)
        opt_g.zero_grad()
        loss_g.backward()
        opt_g.step()

    for _ in range(a.warmup):
        step()
    if a.profile:
        with torch.profiler.profile() as prof:
            for _ in range(2):
                step()
        print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=30))
        return
    times = []
    for _ in range(a.steps):
        t = time.perf_counter()
        step()
        times.append(time.perf_counter() - t)
    infer = []
    G.eval()
    one = sketch[:1].contiguous(memory_format=fmt)
    with torch.no_grad():  # translate: one sketch, one noise, running statistics
        for i in range(a.warmup + 3 * a.steps):
            t = time.perf_counter()
            G(one, torch.randn(1, 256), labels[:1])
            if i >= a.warmup:
                infer.append(time.perf_counter() - t)
    print(json.dumps({
        "impl": "pytorch-python" + ("-channels-last" if a.channels_last else ""),
        "threads": a.threads, "width": a.width, "batch": n,
        "train_step_s": statistics.median(times),
        "step_gflop": flops / 1e9,
        "gflops": flops / 1e9 / statistics.median(times),
        "infer_ms": 1000 * statistics.median(infer),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "torch": torch.__version__,
    }))


if __name__ == "__main__":
    main()
