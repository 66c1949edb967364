#!/usr/bin/env bash
# The colorizer candidates of docs/RESULTS.md ("A colorizer worth shipping"), reproducible end to end:
#   1. every candidate trained on ../shared/data/faces/celeba-train for the same steps and batch as
#      the old default (1,500 x 16), seeds 0, 1 and 2, two runs side by side on one thread each
#      (resumable: a run folder with a checkpoint is evaluated, not retrained);
#   2. each evaluated on the 300 celeba-dev crops it never saw (PSNR, SSIM, colorfulness, the blue
#      blotch share, KID and FID on VGG-19 features, and the gray and mean-chroma baselines), with
#      the first faces as PNGs;
#   3. one table (mean and spread over the seeds) and two contact sheets: the same faces, one row
#      per candidate, at 64x64 (faces.png) and at full 178x218 through --at-train-size (full.png).
# The sheets are derived from CelebA: they stay in the work folder, never in the repository.
# Usage: bash scripts/colorizer-experiment.sh [build] [work folder] [candidate ...]
# Candidates are NAME=FLAGS pairs below; naming some runs only those.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
work=${2:-/tmp/colorizer-experiment}
shift 2 || true
shared=$(cd ../shared && pwd)
ganvas=$build/ganvas
export GANVAS_PROGRESS=0
mkdir -p "$work"

declare -A flags=(
    [default]="--preset default"
    [blocks-rgb-adv]="--preset default --set trunk=blocks --set head=rgb"
    [unet-ab]="--set trunk=unet --set head=ab --set adv_weight=0"
    [unet-ab-adv]="--set trunk=unet --set head=ab --set adv_weight=0.1"
    [unet-ab-adv03]="--set trunk=unet --set head=ab --set adv_weight=0.03"
    [unet-bins]="--set trunk=unet --set head=bins --set rec_weight=0 --set adv_weight=0"
    [unet-bins-adv]="--set trunk=unet --set head=bins --set rec_weight=0 --set adv_weight=0.1"
    [encoder-ab]="--set trunk=encoder --set head=ab --set adv_weight=0"
    [encoder-ab-adv]="--set trunk=encoder --set head=ab --set adv_weight=0.1"
    [encoder-bins]="--set trunk=encoder --set head=bins --set rec_weight=0 --set adv_weight=0"
    [encoder-bins-adv]="--set trunk=encoder --set head=bins --set rec_weight=0 --set adv_weight=0.1"
    [unet-bins-l1]="--set trunk=unet --set head=bins --set rec_weight=100 --set adv_weight=0"
    [unet-bins-l1w50]="--set trunk=unet --set head=bins --set rec_weight=50 --set adv_weight=0"
    [unet-ab-adv03-3k]="--set trunk=unet --set head=ab --set adv_weight=0.03"
    [unet-bins-l1w10]="--set trunk=unet --set head=bins --set rec_weight=10 --set adv_weight=0"
    [unet-bins-l1w3]="--set trunk=unet --set head=bins --set rec_weight=3 --set adv_weight=0"
    [unet-bins-reb03]="--set trunk=unet --set head=bins --set rec_weight=100 --set rebalance=0.3 --set adv_weight=0"
)
# Steps: 1,500 (the old default's budget) unless named here.
declare -A steps_of=([default]=1500 [unet-bins-l1]=3000 [unet-ab-adv03-3k]=3000)
order=(default unet-bins-l1w10 unet-bins-l1w3 unet-bins-reb03 unet-ab-adv03-3k unet-bins-l1 unet-bins-l1w50 unet-ab unet-ab-adv03 unet-ab-adv encoder-ab encoder-ab-adv unet-bins unet-bins-adv encoder-bins encoder-bins-adv blocks-rgb-adv)
(( $# > 0 )) && order=("$@")
seeds=${SEEDS:-0 1 2}

train_one() {  # name seed
    local out=$work/$1-s$2
    # shellcheck disable=SC2086
    local steps=${steps_of[$1]:-1500}
    "$ganvas" train --model colorizer ${flags[$1]} --data "$shared/data/faces/celeba-train" --steps "$steps" \
        --batch 16 --seed "$2" --threads 1 --log-every 50 --out "$out" \
        $([[ -e "$out/checkpoint.pt" ]] && echo --resume) > "$out.log" 2>&1
}

# 1. Two runs at a time, one thread each.
jobs_list=()
for name in "${order[@]}"; do
    [[ -n "${flags[$name]:-}" ]] || { echo "unknown candidate: $name" >&2; exit 2; }
    for seed in $seeds; do jobs_list+=("$name $seed"); done
done
for ((i = 0; i < ${#jobs_list[@]}; i += 2)); do
    train_one ${jobs_list[i]} &
    if (( i + 1 < ${#jobs_list[@]} )); then train_one ${jobs_list[i + 1]} & fi
    wait
done

# 2. Held-out evaluation.
for job in "${jobs_list[@]}"; do
    set -- $job
    run=$work/$1-s$2
    [[ -e "$run-eval.json" ]] || "$ganvas" eval --checkpoint "$run" --data "$shared/data/faces/celeba-dev" \
        --json "$run-eval.json" --html "$run-eval" --threads 2 --realism-vgg "$shared/weights/vgg19-r31/vgg19_to_relu3_1.pth" > /dev/null
done

# Full resolution: the first 3 held-out faces (178x218) through --at-train-size, by each seed-0 run.
full_in=$work/full-in
mkdir -p "$full_in"
for f in $(ls "$shared/data/faces/celeba-dev" | sort | head -3); do ln -sfn "$shared/data/faces/celeba-dev/$f" "$full_in/$f"; done
for name in "${order[@]}"; do
    run=$work/$name-s0
    [[ -e "$run/checkpoint.pt" && ! -d "$run-full" ]] && "$ganvas" colorize --checkpoint "$run" "$full_in" \
        --out "$run-full" --at-train-size --threads 2 > /dev/null
done

# 3. The table and the contact sheets (faces.png at 64x64, full.png at 178x218).
/usr/bin/python3 scripts/colorizer-table.py "$work" "${order[@]}"
