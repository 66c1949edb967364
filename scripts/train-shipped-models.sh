#!/usr/bin/env bash
# The shipped models of models/ (models/README.md), reproducible end to end from ../shared/data:
#   1. the three runs side by side, one thread each, for the same wall-time budget (resumable:
#      a run folder that already has a checkpoint continues with --resume), then the sketch
#      model alone to 5,800 steps;
#   2. each exported for inference in float16 to models/NAME.pt;
#   3. each evaluated on data it never trained on, the results as JSON beside the runs.
# Usage: bash scripts/train-shipped-models.sh [build] [runs folder] [seconds per run]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
runs=${2:-/tmp/shipped-runs}
budget=${3:-2700}
shared=$(cd ../shared && pwd)
ganvas=$build/ganvas
export GANVAS_PROGRESS=0
mkdir -p "$runs"

# The anime pairs as lineart/ + color/, every 5th pair by name held aside (30 of 150), as in
# scripts/style2paints-experiment.sh.
anime=$runs/anime128
mkdir -p "$anime"
ln -sfn "$shared/data/anime/128/color" "$anime/color"
ln -sfn "$shared/data/anime/128/lineart" "$anime/lineart"
ls "$anime/color" | sort | awk '{print $1, (NR % 5 == 0) ? 1 : 0}' > "$anime/list_eval_partition.txt"

resume() { [[ -e "$1/checkpoint.pt" ]] && echo --resume || true; }

# 1. Training. Widths are chosen so that each generator is a few MB in float16.
"$ganvas" train --model pix2pix --data "$shared/data/sketch_photo/shoes-bags/train" --direction BtoA \
    --val-ratio 0.1 --netG unet_128 --size 128 --batch 4 --set ngf=16 --epochs 10 --seed 0 \
    --time-budget "$budget" --threads 1 --log-every 20 --out "$runs/shoes" $(resume "$runs/shoes") &
"$ganvas" train --model colorizer --preset default --data "$shared/data/faces/celeba-train" --steps 1500 \
    --batch 16 --seed 0 --time-budget "$budget" --threads 1 --out "$runs/faces" $(resume "$runs/faces") &
"$ganvas" train --model style2paints --data "$anime" --steps 2400 --seed 0 \
    --set ngf=16 --set hint_width=256 --set middle_blocks=3 \
    --set style_weights="$shared/weights/vgg19-r31/vgg19_to_relu3_1.pth" \
    --time-budget "$budget" --threads 1 --log-every 5 --out "$runs/anime" $(resume "$runs/anime") &
wait
# The sketch model learns slowest: on its own to 5,800 steps (its schedule stretched; 12 minutes here).
"$ganvas" train --out "$runs/shoes" --resume --steps 5800 --time-budget 1260 --threads 1

# 2. Export (float16 storage; computed in float32).
for name in shoes faces anime; do
    "$ganvas" export --checkpoint "$runs/$name" --out "models/$name.pt" --half
done
# (faces.pt of 2026-12-07 was exported from a 1,500-step run of the same command, seed 0, with
# --set decode_temperature=0.18 --set decode_saturation=1.1: the default preset's values.)

# 3. Held-out evaluation of the exported files (what is shipped, not the float32 runs).
"$ganvas" eval --checkpoint models/shoes.pt --data "$shared/data/sketch_photo/shoes-bags/train" \
    --split val --val-ratio 0.1 --json "$runs/shoes-eval.json" --html "$runs/shoes-eval"
"$ganvas" eval --checkpoint models/faces.pt --data "$shared/data/faces/celeba-dev" \
    --json "$runs/faces-eval.json" --html "$runs/faces-eval"
"$ganvas" eval --checkpoint models/anime.pt --data "$anime" --split val \
    --json "$runs/anime-eval.json" --html "$runs/anime-eval"
ls -l models/*.pt
