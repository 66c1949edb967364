"""PiDiNet (table5_pidinet, converted form) in PyTorch Python: the peer for bench/pidinet_bench.

The same graph as src/ganvas/edges/pidinet.cpp, written from ../shared/weights/pidinet/SPEC.md,
channels-last (oneDNN's faster layout here), no autograd, batch 1 at 481x321.

  python3 bench/pidinet_peer.py --weights ../shared/weights/pidinet/table5_pidinet.pth --threads 2
"""
import argparse
import json
import statistics
import time

import torch
import torch.nn.functional as F

RING_PREV = [3, 0, 1, 6, 4, 2, 7, 8, 5]  # counter-clockwise predecessor on the 3x3 ring
RD_OUTER = [0, 2, 4, 10, 14, 20, 22, 24]
RD_INNER = [6, 7, 8, 11, 13, 16, 17, 18]
BLOCKS = ["block1_1", "block1_2", "block1_3", "block2_1", "block2_2", "block2_3", "block2_4", "block3_1",
          "block3_2", "block3_3", "block3_4", "block4_1", "block4_2", "block4_3", "block4_4"]
TYPES = ["ad", "rd", "cv", "cd"] * 4  # carv4 from block1_1 on (init_block is cd)


def convert(w, kind):
    o, i = w.shape[:2]
    flat = w.reshape(o, i, 9)
    if kind == "cv":
        return w, 1
    if kind == "cd":
        flat = flat.clone()
        flat[:, :, 4] -= w.sum((2, 3))
        return flat.reshape(o, i, 3, 3), 1
    if kind == "ad":
        return (flat - flat[:, :, RING_PREV]).reshape(o, i, 3, 3), 1
    k = torch.zeros(o, i, 25)
    k[:, :, RD_OUTER] = flat[:, :, 1:]
    k[:, :, RD_INNER] = -flat[:, :, 1:]
    return k.reshape(o, i, 5, 5), 2


def load(path):
    raw = torch.load(path, map_location="cpu")
    sd = {k[len("module."):] if k.startswith("module.") else k: v.float() for k, v in raw["state_dict"].items()}
    cl = torch.channels_last
    p = {k: (v.contiguous(memory_format=cl) if v.dim() == 4 else v) for k, v in sd.items()}
    p["init_block.weight"] = convert(sd["init_block.weight"], "cd")[0].contiguous(memory_format=cl)
    pads = {}
    for name, kind in zip(BLOCKS, TYPES):
        k, pad = convert(sd[name + ".conv1.weight"], kind)
        p[name + ".conv1.weight"] = k.contiguous(memory_format=cl)
        pads[name] = pad
    return p, pads


def forward(p, pads, x):
    h, w = x.shape[2:]
    t = F.conv2d(x, p["init_block.weight"], padding=1)
    stages = []
    for i, name in enumerate(BLOCKS):
        down = name + ".shortcut.weight" in p
        if down:
            t = F.max_pool2d(t, 2, 2)
        y = F.conv2d(t, p[name + ".conv1.weight"], padding=pads[name], groups=t.shape[1]).relu_()
        y = F.conv2d(y, p[name + ".conv2.weight"])
        t = y.add_(F.conv2d(t, p[name + ".shortcut.weight"], p[name + ".shortcut.bias"]) if down else t)
        if i in (2, 6, 10, 14):
            stages.append(t)
    logits = []
    for i, f in enumerate(stages):
        d = f"dilations.{i}."
        z = F.conv2d(f.relu(), p[d + "conv1.weight"], p[d + "conv1.bias"])
        s = sum(F.conv2d(z, p[d + f"conv2_{j + 1}.weight"], padding=r, dilation=r) for j, r in enumerate((5, 7, 9, 11)))
        a = f"attentions.{i}."
        gate = torch.sigmoid(F.conv2d(F.conv2d(s.relu(), p[a + "conv1.weight"], p[a + "conv1.bias"]),
                                      p[a + "conv2.weight"], padding=1))
        e = F.conv2d(s * gate, p[f"conv_reduces.{i}.conv.weight"], p[f"conv_reduces.{i}.conv.bias"])
        if e.shape[2:] != (h, w):
            e = F.interpolate(e, size=(h, w), mode="bilinear", align_corners=False)
        logits.append(e)
    return torch.sigmoid(F.conv2d(torch.cat(logits, 1), p["classifier.weight"], p["classifier.bias"]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--weights", required=True)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--reps", type=int, default=10)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    p, pads = load(args.weights)
    torch.manual_seed(0)
    img = torch.rand(1, 3, 321, 481).contiguous(memory_format=torch.channels_last)
    # SPEC.md section 8.1's test vector: the fused map's mean, [0,0], [37,50], [74,100], max.
    hh = torch.arange(75, dtype=torch.float64).view(1, 1, 75, 1)
    ww = torch.arange(101, dtype=torch.float64).view(1, 1, 1, 101)
    cc = torch.arange(3, dtype=torch.float64).view(1, 3, 1, 1)
    probe = (2 * torch.sin(0.31 * hh + 0.17 * ww + 1.3 * cc) + torch.cos(0.005 * hh * ww + cc)).float()
    with torch.inference_mode():
        m = forward(p, pads, probe.contiguous(memory_format=torch.channels_last))[0, 0]
        got = [m.mean().item(), m[0, 0].item(), m[37, 50].item(), m[74, 100].item(), m.max().item()]
        worst = max(abs(a - b) for a, b in zip(got, [0.1486160, 0.2129580, 0.0000033, 0.8028338, 0.9311477]))
        if worst > 1e-5:
            raise SystemExit(f"the peer differs from the reference test vector by {worst:.2e}")
        forward(p, pads, img)
        ms = []
        for _ in range(args.reps):
            t0 = time.perf_counter()
            forward(p, pads, img)
            ms.append((time.perf_counter() - t0) * 1e3)
    print(json.dumps({"impl": "pytorch-python-pidinet", "threads": args.threads, "size": "481x321",
                      "ms_per_image": statistics.median(ms), "ms_min": min(ms), "max_abs_diff_test_vector": worst,
                      "torch": torch.__version__}))


if __name__ == "__main__":
    main()
