#!/usr/bin/env bash
# Data-parallel training on this host: for each model, one process with 2 threads against two
# processes (`ganvas train --nproc 2`) with 1 thread each, at the same global batch, interleaved
# `rounds` times on generated data. Prints per-step time, the time rank 0 spends in collectives
# (gradient all-reduce and the step's agreement) and the bytes all-reduced per step; medians.
# With Debian's python3-torch installed, one pix2pix run under `torchrun --no_python` as well.
#   bash bench/run_distributed_bench.sh [build-dir] [rounds] [vgg19_to_relu3_1.pth]
set -euo pipefail
build=${1:-build}
rounds=${2:-2}
vgg=${3:-../shared/weights/vgg19-r31/vgg19_to_relu3_1.pth}
ganvas=$build/ganvas
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export GANVAS_PROGRESS=0
log=$work/results.txt

"$ganvas" data synth --out "$work/faces" --count 256 --size 64 > /dev/null
"$ganvas" data synth --ab --out "$work/ab" --count 16 --size 256 > /dev/null
"$ganvas" data synth --sketch --out "$work/classes" --count 16 --size 64 > /dev/null
"$ganvas" data synth --lineart --out "$work/lineart" --count 32 --size 128 > /dev/null

# model | global batch | steps | extra flags
configs=(
    "colorizer|16|30|--data $work/faces"
    "pix2pix|2|8|--data $work/ab"
    "sketchygan|16|2|--data $work/classes --set vgg_weights=$vgg"
    "style2paints|8|4|--data $work/lineart --set style_weights=$vgg"
)

run() {  # model batch steps flags nproc round
    local model=$1 batch=$2 steps=$3 flags=$4 nproc=$5 round=$6 out
    out=$work/run_${model}_${nproc}_${round}
    if [[ $nproc == 1 ]]; then
        # shellcheck disable=SC2086
        "$ganvas" train --model "$model" $flags --out "$out" --steps "$steps" --batch "$batch" --threads 2 \
            --sample-every 100000 --checkpoint-every 100000 > "$out.log" 2>&1 || { tail -5 "$out.log"; return; }
    else
        # shellcheck disable=SC2086
        "$ganvas" train --model "$model" $flags --out "$out" --steps "$steps" --batch $((batch / 2)) --nproc 2 \
            --threads 2 --sample-every 100000 --checkpoint-every 100000 > "$out.log" 2>&1 || { tail -5 "$out.log"; return; }
    fi
    local seconds comm mb
    seconds=$(grep -o 'finished at step [0-9/]*: [0-9.]* s' "$out.log" | grep -o '[0-9.]* s$' | tr -d ' s')
    comm=$(grep -o '[0-9.]* s in collectives' "$out.log" | grep -o '^[0-9.]*' || echo 0)
    mb=$(grep -o '[0-9.]* MB of gradients' "$out.log" | grep -o '^[0-9.]*' || echo 0)
    echo "$model $nproc $steps $seconds ${comm:-0} ${mb:-0}" >> "$log"
}

for r in $(seq 1 "$rounds"); do
    for c in "${configs[@]}"; do
        IFS='|' read -r model batch steps flags <<< "$c"
        run "$model" "$batch" "$steps" "$flags" 1 "$r"
        run "$model" "$batch" "$steps" "$flags" 2 "$r"
    done
done

if /usr/bin/python3 -c 'import torch.distributed.run' 2> /dev/null; then
    # Debian 12's torchrun fails on Python 3.11 before starting a worker; the wrapper fixes that one
    # lookup and is otherwise torchrun itself.
    /usr/bin/python3 "$(dirname "$0")/torchrun_py311.py" --standalone --nproc_per_node 2 --no_python "$ganvas" train \
        --model pix2pix --data "$work/ab" --out "$work/torchrun" --steps 8 --batch 1 --threads 1 \
        --sample-every 100000 --checkpoint-every 100000 > "$work/torchrun.log" 2>&1 &&
        echo "torchrun --no_python: $(grep -o 'finished at step .*' "$work/torchrun.log" | head -1)" ||
        { echo "torchrun run failed:"; tail -5 "$work/torchrun.log"; }
fi

/usr/bin/python3 - "$log" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
by = {}
for model, nproc, steps, sec, comm, mb in rows:
    by.setdefault((model, int(nproc)), []).append((float(sec) / int(steps), float(comm) / int(steps), float(mb)))
print(f"{'model':<13} {'1 x 2 thr s/step':>17} {'2 x 1 thr s/step':>17} {'ratio':>6} {'collectives s/step':>19} {'share':>6} {'MB/step':>8}")
for model in dict.fromkeys(m for m, _ in by):
    one = statistics.median(r[0] for r in by[(model, 1)])
    two = statistics.median(r[0] for r in by[(model, 2)])
    comm = statistics.median(r[1] for r in by[(model, 2)])
    mb = statistics.median(r[2] for r in by[(model, 2)])
    print(f"{model:<13} {one:17.3f} {two:17.3f} {one / two:6.2f} {comm:19.3f} {100 * comm / two:5.1f}% {mb:8.1f}")
PY
