"""The colorizer candidates' table and contact sheet (scripts/colorizer-experiment.sh, step 3).

Reads WORK/NAME-sSEED-eval.json (ganvas eval) and WORK/NAME-sSEED/losses.csv (ganvas train) for
every candidate NAME and seed found, prints a Markdown table of means and spreads (max - min over
the seeds), and writes WORK/faces.png: the first 8 held-out faces, gray input on top, then one row
per candidate (seed 0), the truth at the bottom. Experiment tooling: Debian's python3 with PIL.
"""
import csv
import glob
import json
import os
import re
import sys

from PIL import Image, ImageDraw

work, names = sys.argv[1], sys.argv[2:]


def seeds_of(name):
    runs = glob.glob(os.path.join(work, name + "-s*-eval.json"))
    return sorted(int(re.search(r"-s(\d+)-eval\.json$", r).group(1)) for r in runs)


def speed(run):
    """Images per second over the whole run, from the last row of losses.csv (as measured, with
    whatever else shared the machine)."""
    path = os.path.join(run, "losses.csv")
    if not os.path.exists(path):
        return None
    with open(path) as f:
        rows = list(csv.DictReader(f))
    if not rows:
        return None
    last = rows[-1]
    return int(last["step"]) * 16 / float(last["seconds"])


def fmt(values, digits):
    mean = sum(values) / len(values)
    spread = max(values) - min(values)
    return f"{mean:.{digits}f} ± {spread / 2:.{digits}f}" if len(values) > 1 else f"{mean:.{digits}f}"


print("| candidate | seeds | PSNR dB | SSIM | colorfulness | blotched faces | chroma error spread | KID (VGG) | FID (VGG) | images/s |")
print("|---|---|---|---|---|---|---|---|---|---|")
baseline = None
for name in names:
    seeds = seeds_of(name)
    if not seeds:
        continue
    evals = [json.load(open(os.path.join(work, f"{name}-s{s}-eval.json"))) for s in seeds]
    baseline = baseline or evals[0]
    m = [e["model"] for e in evals]
    ips = [v for v in (speed(os.path.join(work, f"{name}-s{s}")) for s in seeds) if v]
    print(f"| {name} | {len(seeds)} | {fmt([x['psnr'] for x in m], 2)} | {fmt([x['ssim'] for x in m], 3)} | "
          f"{fmt([x['colorfulness'] for x in m], 1)} | {fmt([100 * x['blotched'] for x in m], 1)} % | "
          f"{fmt([x['chroma_error_spread'] for x in m], 2)} | {fmt([x.get('kid_vgg', float('nan')) for x in m], 3)} | "
          f"{fmt([x.get('fid_vgg', float('nan')) for x in m], 1)} | {fmt(ips, 1) if ips else '-'} |")
if baseline:
    for key, label in (("gray", "baseline: gray input"), ("mean_chroma", "baseline: mean chroma")):
        b = baseline[key]
        print(f"| {label} | - | {b['psnr']:.2f} | {b['ssim']:.3f} | {b['colorfulness']:.1f} | "
              f"{100 * b['blotched']:.1f} % | {b['chroma_error_spread']:.2f} | {b.get('kid_vgg', float('nan')):.3f} | "
              f"{b.get('fid_vgg', float('nan')):.1f} | - |")
    print(f"| truth | - | - | - | {baseline['truth']['colorfulness']:.1f} | 0 % | 0 | 0 | 0 | - |")

# The contact sheet.
faces, scale, label_w = 8, 2, 150
rows = [("gray input", lambda k: os.path.join(work, f"{names[0]}-s0-eval", f"{k:03d}_gray.png"))]
for name in names:
    if os.path.isdir(os.path.join(work, f"{name}-s0-eval")):
        rows.append((name, lambda k, n=name: os.path.join(work, f"{n}-s0-eval", f"{k:03d}_output.png")))
rows.append(("truth", lambda k: os.path.join(work, f"{names[0]}-s0-eval", f"{k:03d}_truth.png")))
tile = 64 * scale
sheet = Image.new("RGB", (label_w + faces * tile, len(rows) * tile), "white")
draw = ImageDraw.Draw(sheet)
for r, (label, path) in enumerate(rows):
    draw.text((6, r * tile + tile // 2 - 6), label, fill="black")
    for k in range(faces):
        if os.path.exists(path(k)):
            img = Image.open(path(k)).convert("RGB").resize((tile, tile), Image.NEAREST)
            sheet.paste(img, (label_w + k * tile, r * tile))
sheet.save(os.path.join(work, "faces.png"))
print(f"\ncontact sheet: {os.path.join(work, 'faces.png')}", file=sys.stderr)

# Full resolution: gray input, each candidate (seed 0) through --at-train-size, truth.
full_in = os.path.join(work, "full-in")
if os.path.isdir(full_in):
    originals = sorted(os.listdir(full_in))[:3]
    cols = [("gray input", lambda f: Image.open(os.path.join(full_in, f)).convert("L").convert("RGB"))]
    for name in names:
        d = os.path.join(work, f"{name}-s0-full")
        if os.path.isdir(d):
            cols.append((name, lambda f, d=d: Image.open(os.path.join(d, os.path.splitext(f)[0] + ".png")).convert("RGB")))
    cols.append(("truth", lambda f: Image.open(os.path.join(full_in, f)).convert("RGB")))
    w, h, top = 178, 218, 16
    sheet = Image.new("RGB", (len(cols) * w, top + len(originals) * h), "white")
    draw = ImageDraw.Draw(sheet)
    for c, (label, load) in enumerate(cols):
        draw.text((c * w + 4, 2), label, fill="black")
        for r, f in enumerate(originals):
            sheet.paste(load(f).resize((w, h)), (c * w, top + r * h))
    sheet.save(os.path.join(work, "full.png"))
    print(f"full-resolution sheet: {os.path.join(work, 'full.png')}", file=sys.stderr)
