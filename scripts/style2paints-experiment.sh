#!/usr/bin/env bash
# The style2paints measurements of docs/RESULTS.md on the shared anime pairs (../shared/data/anime/128:
# 150 line art / painting pairs), reproducible end to end:
#   1. a staging folder: the pairs as lineart/ + color/ (style2paints) and A/ + B/ (pix2pix), one
#      held-aside split for both (every 5th pair by name: 30 of 150, list_eval_partition.txt);
#   2. style2paints and pix2pix trained side by side, one thread each, for the same wall time;
#   3. both evaluated on the held-aside pairs (style2paints also with its hint zeroed, and style
#      following);
#   4. the guide-decoder ablation: the same style2paints without guides for the first N steps, and
#      the gradient reaching the middle blocks in both runs as one plot;
#   5. line art from paintings: XDoG, the classic detector and PiDiNet against the artists' line art
#      with the BSDS evaluator.
# Usage: [SEED=0] [S2P_FLAGS="--set ngf=16 ..."] [S2P_STEPS=1200] [COMPARE_ONLY=1] \
#        bash scripts/style2paints-experiment.sh [build] [work folder] [seconds per run] [ablation steps]
# S2P_FLAGS go to the style2paints runs (the recipe under test), S2P_STEPS caps its training (it also
# stops when the seconds are spent; scripts/style2paints-steps.sh chooses the cap without the
# held-aside pairs); COMPARE_ONLY=1 stops after part 3.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
work=${2:-/tmp/s2p-experiment}
budget=${3:-3000}
ablation=${4:-150}
shared=$(cd ../shared && pwd)
vgg=$shared/weights/vgg19-r31/vgg19_to_relu3_1.pth
ganvas=$build/ganvas
seed=${SEED:-0}
read -r -a s2p_flags <<< "${S2P_FLAGS:-}"
export GANVAS_PROGRESS=0
data=$work/anime128
mkdir -p "$data"
ln -sfn "$shared/data/anime/128/color" "$data/color"
ln -sfn "$shared/data/anime/128/lineart" "$data/lineart"
ln -sfn "$shared/data/anime/128/lineart" "$data/A"
ln -sfn "$shared/data/anime/128/color" "$data/B"
ls "$data/color" | sort | awk '{print $1, (NR % 5 == 0) ? 1 : 0}' > "$data/list_eval_partition.txt"

# 2. Same wall time, one thread each, at the same time.
[[ -e "$work/s2p/checkpoint.pt" ]] || "$ganvas" train --model style2paints --data "$data" --out "$work/s2p" \
    --steps "${S2P_STEPS:-1200}" --time-budget "$budget" --log-every 5 --threads 1 --seed "$seed" --set style_weights="$vgg" \
    "${s2p_flags[@]}" > "$work/s2p.log" 2>&1 &
[[ -e "$work/p2p/checkpoint.pt" ]] || "$ganvas" train --model pix2pix --data "$data" --out "$work/p2p" \
    --netG unet_128 --dataset-mode folders --size 128 --epochs 200 --time-budget "$budget" --threads 1 \
    --seed "$seed" > "$work/p2p.log" 2>&1 &
wait

# 3. Held-aside evaluation.
"$ganvas" eval --checkpoint "$work/s2p" --data "$data" --split val --json "$work/s2p-eval.json" --html "$work/s2p-eval"
"$ganvas" eval --checkpoint "$work/p2p" --data "$data" --split val --json "$work/p2p-eval.json" --html "$work/p2p-eval"

[[ -z "${COMPARE_ONLY:-}" ]] || exit 0

# 4. The ablation: the same run without guide decoders, for the first $ablation steps.
[[ -e "$work/s2p-noguides/checkpoint.pt" ]] || "$ganvas" train --model style2paints --data "$data" \
    --out "$work/s2p-noguides" --steps "$ablation" --log-every 5 --threads 2 --seed "$seed" --set style_weights="$vgg" \
    "${s2p_flags[@]}" --set guides=false
"$ganvas" compare "$work/s2p" "$work/s2p-noguides" --column mid_grad --label "with guide decoders" \
    --label "without" --title "gradient norm reaching the middle blocks" --log --out "$work/mid_grad.svg"

# 5. Line art from paintings against the artists' line art (ink: gray < 128, as one annotator's
#    boundary map), with the BSDS evaluator. The thresholding uses Debian's python3-pil.
/usr/bin/python3 - "$data/lineart" "$work/lineart_gt" <<'PY'
import glob, os, sys
import numpy as np
from PIL import Image
os.makedirs(sys.argv[2], exist_ok=True)
for f in sorted(glob.glob(os.path.join(sys.argv[1], "*.png"))):
    ink = np.where(np.array(Image.open(f).convert("L")) < 128, 255, 0).astype(np.uint8)
    Image.fromarray(ink).save(os.path.join(sys.argv[2], os.path.splitext(os.path.basename(f))[0] + "_1.png"))
PY
for detector in xdog classic pidinet; do
    weights=()
    [[ $detector == pidinet ]] && weights=(--weights "$shared/weights/pidinet/table5_pidinet.pth")
    "$ganvas" edges "$data/color" --detector "$detector" "${weights[@]}" --stage probability --out "$work/lineart_$detector"
    "$ganvas" eval-edges "$work/lineart_$detector" --gt "$work/lineart_gt" --json "$work/lineart_$detector.json"
done
