"""The SketchyGAN diversity study's table and contact sheet (scripts/sketchygan-diversity.sh, step 3).

Reads WORK/NAME-eval.json (ganvas eval) and WORK/NAME/losses.csv (ganvas train) for every NAME
given, prints a Markdown table, and writes WORK/grid.png: the first 6 held-aside sketches, each
with its photo, then per candidate a row of the 4 samples the eval page holds (pix2pix's samples
differ by its dropout only). Experiment tooling: Debian's python3 with PIL.
"""
import csv
import json
import os
import sys

from PIL import Image, ImageDraw

work, names = sys.argv[1], sys.argv[2:]


def run_facts(name):
    """Steps done and seconds of training, from the last row of losses.csv."""
    path = os.path.join(work, name, "losses.csv")
    if not os.path.exists(path):
        return None, None
    with open(path) as f:
        rows = list(csv.DictReader(f))
    if not rows:
        return None, None
    last = rows[-1]
    return int(float(last["step"])), float(last.get("seconds", "nan"))


print("| 208 held-aside pairs, 64x64 | steps (s) | L1 | PSNR dB | SSIM | diversity (4 samples) | KID (VGG) | FID (VGG) |")
print("|---|---|---|---|---|---|---|---|")
floor = None
for name in names:
    path = os.path.join(work, name + "-eval.json")
    if not os.path.exists(path):
        continue
    with open(path) as f:
        j = json.load(f)
    m = j["model"]
    steps, seconds = run_facts(name)
    div = j.get("diversity", {}).get("mean_pairwise_l1", float("nan"))
    r = j.get("realism_vgg", {}).get("model", {})
    print(f"| {name} | {steps} ({seconds:.0f}) | {m['l1']:.4f} | {m['psnr']:.2f} | {m['ssim']:.4f} | {div:.4f} | "
          f"{r.get('kid', float('nan')):.3f} | {r.get('fid', float('nan')):.1f} |")
    floor = j
if floor:
    m = floor["input_as_output"]
    r = floor.get("realism_vgg", {}).get("input_as_output", {})
    print(f"| the sketch as the output | | {m['l1']:.4f} | {m['psnr']:.2f} | {m['ssim']:.4f} | | "
          f"{r.get('kid', float('nan')):.3f} | {r.get('fid', float('nan')):.1f} |")

# Contact sheet: one block per sketch (sketch, photo; then one row of 4 samples per candidate).
cell, pad, label_w = 64, 4, 110
shown = [n for n in names if os.path.exists(os.path.join(work, n + "-eval", "images"))]
if shown:
    images = sorted(os.listdir(os.path.join(work, shown[0] + "-eval", "images")))
    ids = sorted({f.split("_")[0] for f in images})[:6]
    cols = 6  # sketch, photo | 4 samples
    block_h = (len(shown)) * (cell + pad)
    sheet = Image.new("RGB", (label_w + len(ids) * (cols * (cell + pad) + 3 * pad), block_h + 20), "white")
    draw = ImageDraw.Draw(sheet)
    for r, name in enumerate(shown):
        draw.text((4, 20 + r * (cell + pad) + cell // 2 - 6), name, fill="black")
    for b, i in enumerate(ids):
        x0 = label_w + b * (cols * (cell + pad) + 3 * pad)
        first = os.path.join(work, shown[0] + "-eval", "images")
        for c, kind in enumerate(["input", "target"]):
            path = os.path.join(first, f"{i}_{kind}.png")
            if os.path.exists(path):
                sheet.paste(Image.open(path).convert("RGB").resize((cell, cell)), (x0 + c * (cell + pad), 20))
        for r, name in enumerate(shown):
            folder = os.path.join(work, name + "-eval", "images")
            for k, kind in enumerate(["output", "sample2", "sample3", "sample4"]):
                path = os.path.join(folder, f"{i}_{kind}.png")
                if os.path.exists(path):
                    sheet.paste(Image.open(path).convert("RGB").resize((cell, cell)),
                                (x0 + (2 + k) * (cell + pad), 20 + r * (cell + pad)))
    draw.text((4, 4), "sketch, photo | 4 samples", fill="black")
    out = os.path.join(work, "grid.png")
    sheet.save(out)
    print(f"\ncontact sheet: {out}")
