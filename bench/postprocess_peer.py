#!/usr/bin/env python3
"""SketchyGAN's edge post-processing in Python on scikit-image and scipy: the peer of
bench/postprocess_bench. Same steps and parameters as src/ganvas/edges/postprocess.h: Dollar's
NMS (convTri 1, orientation from convTri 4, radius 1, border 5, multiplier 1.01), threshold 25/255,
skimage thin, isolated pixels and components under 5 pixels removed (remove_small_objects), one
shrink and one spur pass, then the normalised distance map (distance_transform_edt). Written for
this benchmark; it reads 8-bit probability maps, writes the sketches and prints one JSON line.

    /usr/bin/python3 bench/postprocess_peer.py MAPS_DIR --out SKETCH_DIR
"""
import argparse
import json
import os
import statistics
import time

import numpy as np
from PIL import Image
from scipy import ndimage
from skimage.morphology import remove_small_objects, thin


def conv_tri(e, r):
    if r == 1:
        k = np.array([1, 2, 1], np.float32) / 4
    else:
        k = np.array(list(range(1, r + 2)) + list(range(r, 0, -1)), np.float32) / (r + 1) ** 2
    e = ndimage.convolve1d(e, k, axis=0, mode="reflect")
    return ndimage.convolve1d(e, k, axis=1, mode="reflect")


def orientation(e):
    oy, ox = np.gradient(conv_tri(e, 4))
    _, oxx = np.gradient(ox)
    oyy, oxy = np.gradient(oy)
    return np.mod(np.arctan(oyy * np.sign(-oxy) / (oxx + 1e-5)), np.pi)


def nms(e, o, r=1, s=5, m=1.01):
    h, w = e.shape
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    keep = e != 0
    for d in [d for d in range(-r, r + 1) if d != 0]:
        x = np.clip(xs + d * np.cos(o), 0, w - 1.001)
        y = np.clip(ys + d * np.sin(o), 0, h - 1.001)
        sample = ndimage.map_coordinates(e, [y, x], order=1, mode="nearest")
        keep &= e * m >= sample
    out = np.where(keep, e, 0).astype(np.float32)
    s = min(s, w // 2, h // 2)
    for k in range(s):
        f = k / s
        out[:, k] *= f
        out[:, w - 1 - k] *= f
        out[k, :] *= f
        out[h - 1 - k, :] *= f
    return out


# Neighbour weights of p1..p8 (east, then counter-clockwise) for a 3x3 code by convolution.
CODE = np.array([[8, 4, 2], [16, 0, 1], [32, 64, 128]])


def tables(min_n):
    t = np.zeros((2, 256), bool)
    for code in range(256):
        p = [None] + [(code >> (k - 1)) & 1 for k in range(1, 9)]
        p.append(p[1])
        xh = sum(1 for i in range(1, 5) if not p[2 * i - 1] and (p[2 * i] or p[2 * i + 1]))
        n1 = sum(1 for k in range(1, 5) if p[2 * k - 1] or p[2 * k])
        n2 = sum(1 for k in range(1, 5) if p[2 * k] or p[2 * k + 1])
        g12 = xh == 1 and min_n <= min(n1, n2) <= 3
        t[0, code] = g12 and not ((p[2] or p[3] or not p[8]) and p[1])
        t[1, code] = g12 and not ((p[6] or p[7] or not p[4]) and p[5])
    return t


SHRINK = tables(1)


def shrink_once(b):
    b = b.copy()
    for sub in range(2):
        code = ndimage.correlate(b.astype(np.uint8), CODE, mode="constant")
        b &= ~SHRINK[sub][code]
    return b


def spur(b):
    n = ndimage.correlate(b.astype(np.uint8), np.ones((3, 3), np.uint8), mode="constant") - b
    return b & (n != 1)


def sketch(e):
    e = conv_tri(e, 1)
    e = nms(e, orientation(e))
    b = thin(e >= 25 / 255)
    b = remove_small_objects(b, 2, connectivity=2)  # isolated pixels
    b = remove_small_objects(b, 5, connectivity=2)
    b = spur(shrink_once(b))
    gray = np.where(b, 0, 255).astype(np.uint8)
    paper = gray >= 245
    dist = ndimage.distance_transform_edt(paper)
    dist = dist / dist.max() if dist.max() > 0 else np.ones_like(dist)
    return gray, dist


def main():
    p = argparse.ArgumentParser()
    p.add_argument("maps")
    p.add_argument("--out")
    p.add_argument("--limit", type=int, default=0)
    a = p.parse_args()
    files = sorted(f for f in os.listdir(a.maps) if f.endswith(".png"))
    if a.limit:
        files = files[: a.limit]
    if a.out:
        os.makedirs(a.out, exist_ok=True)
    times = []
    for f in files:
        e = np.asarray(Image.open(os.path.join(a.maps, f)).convert("L"), np.float32) / 255
        t = time.perf_counter()
        gray, _ = sketch(e)
        times.append(time.perf_counter() - t)
        if a.out:
            Image.fromarray(gray).save(os.path.join(a.out, f))
    print(json.dumps({"impl": "python-skimage-scipy", "images": len(files),
                      "ms_per_image": 1000 * statistics.median(times)}))


if __name__ == "__main__":
    main()
