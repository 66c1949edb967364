#!/usr/bin/env bash
# How long to train style2paints on the shared anime pairs, chosen without the held-aside pairs:
# the 120 training pairs of scripts/style2paints-experiment.sh split again (every 5th by name: 24
# inner validation pairs, 96 to train on; the 30 held-aside pairs are partition 2 and never read),
# one run of the recipe under test with a checkpoint kept every EVERY steps, each checkpoint
# evaluated on the inner pairs, one JSON line per checkpoint in WORK/steps.jsonl.
# Usage: [SEED=1] [S2P_FLAGS="--set ngf=16 ..."] [EVERY=200] \
#        bash scripts/style2paints-steps.sh [build] [work folder] [seconds] [max steps]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
work=${2:-/tmp/s2p-steps}
budget=${3:-2400}
max_steps=${4:-2000}
every=${EVERY:-200}
seed=${SEED:-1}
read -r -a s2p_flags <<< "${S2P_FLAGS:-}"
shared=$(cd ../shared && pwd)
vgg=$shared/weights/vgg19-r31/vgg19_to_relu3_1.pth
ganvas=$build/ganvas
export GANVAS_PROGRESS=0
data=$work/anime128
mkdir -p "$data" "$work/snapshots"
ln -sfn "$shared/data/anime/128/color" "$data/color"
ln -sfn "$shared/data/anime/128/lineart" "$data/lineart"
# Outer split as in style2paints-experiment.sh (every 5th of the 150: held aside = 2 here), then
# every 5th of the remaining 120 as the inner validation pairs (1).
ls "$data/color" | sort | awk '{ if (NR % 5 == 0) print $1, 2; else { n++; print $1, (n % 5 == 0) ? 1 : 0 } }' \
    > "$data/list_eval_partition.txt"

run=$work/s2p
if [[ ! -e "$run/done" ]]; then
    "$ganvas" train --model style2paints --data "$data" --out "$run" --steps "$max_steps" --time-budget "$budget" \
        --checkpoint-every "$every" --log-every 5 --threads 1 --seed "$seed" --set style_weights="$vgg" \
        "${s2p_flags[@]}" > "$work/s2p.log" 2>&1 &
    pid=$!
    # Keep each checkpoint: copy it when it changes (written atomically, every $every steps).
    last=""
    while kill -0 "$pid" 2> /dev/null; do
        sleep 5
        if [[ -e "$run/checkpoint.pt" ]]; then
            stamp=$(stat -c %Y.%s "$run/checkpoint.pt")
            if [[ "$stamp" != "$last" ]]; then
                last=$stamp
                n=$(ls "$work/snapshots" | wc -l)
                mkdir -p "$work/snapshots/$(( (n + 1) * every ))"
                cp "$run/checkpoint.pt" "$work/snapshots/$(( (n + 1) * every ))/checkpoint.pt"
            fi
        fi
    done
    wait "$pid"
    touch "$run/done"
fi
# The last checkpoint (the time budget may end between two cadences) under its own step count, from
# the trainer's closing line ("finished at step N/M" or "stopped ... at step N/M"); the watcher
# copied it under the next cadence's number.
final=$(grep -o "at step [0-9]*/" "$work/s2p.log" | tail -n 1 | tr -dc '0-9')
for dir in "$work"/snapshots/*; do
    if (( $(basename "$dir") > final )); then rm -rf "$dir"; fi
done
mkdir -p "$work/snapshots/$final" && cp "$run/checkpoint.pt" "$work/snapshots/$final/checkpoint.pt"
: > "$work/steps.jsonl"
for dir in $(ls "$work/snapshots" | sort -n); do
    "$ganvas" eval --checkpoint "$work/snapshots/$dir" --data "$data" --split val --json "$work/snapshots/$dir/eval.json" \
        > /dev/null 2>&1
    /usr/bin/python3 - "$dir" "$work/snapshots/$dir/eval.json" >> "$work/steps.jsonl" <<'PY'
import json, sys
j = json.load(open(sys.argv[2]))
print(json.dumps({"step": sys.argv[1], **j["model"],
                  "style_following": j.get("style_following", {}).get("share_toward_style")}))
PY
done
cat "$work/steps.jsonl"
