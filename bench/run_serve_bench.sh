#!/usr/bin/env bash
# `ganvas serve` under load, loopback only, bounded in count and time: for the colorizer (default
# recipe) and pix2pix (unet_256, the reference's defaults), checkpoints of one training step (speed
# does not depend on the weights), N concurrent clients for T seconds per round, several rounds;
# requests/s, p50/p95/p99, the 503 share and the server's resident memory before and after each
# round; then the CLI's own per-image time on the same image (translate of 21 copies minus
# translate of 1, over 20), so the server's overhead per request can be read off.
#   bash bench/run_serve_bench.sh [build-dir] [seconds-per-round] [rounds]
set -euo pipefail
build=${1:-build}
seconds=${2:-10}
rounds=${3:-3}
ganvas=$build/ganvas
load=$build/bench/serve_load
work=$(mktemp -d)
trap 'kill $pid 2>/dev/null || true; rm -rf "$work"' EXIT
pid=""
export GANVAS_PROGRESS=0

"$ganvas" data synth --out "$work/photos" --count 8 --size 256 > /dev/null
"$ganvas" data synth --ab --out "$work/ab" --count 8 --size 256 > /dev/null
"$ganvas" train --data "$work/photos" --out "$work/colorizer" --steps 1 --batch 2 --val-ratio 0.25 > /dev/null 2>&1
"$ganvas" train --model pix2pix --data "$work/ab" --out "$work/pix2pix" --steps 1 --val-ratio 0.25 > /dev/null 2>&1
photo=$(find "$work/photos" -name '*.png' | sort | head -1)
ab=$(find "$work/ab" -name '*.png' | sort | head -1)

"$ganvas" serve --port 0 --workers 1 --queue 8 --model colorizer="$work/colorizer" --model pix2pix="$work/pix2pix" \
    > "$work/serve.log" 2>&1 &
pid=$!
url=""
for _ in $(seq 1 600); do
    url=$(grep -o 'http://127.0.0.1:[0-9]*/' "$work/serve.log" | head -1 || true)
    [[ -n "$url" ]] && [[ $(curl -s -o /dev/null -w '%{http_code}' "${url}healthz") == 200 ]] && break
    sleep 0.1
done
echo "server: $url (pid $pid), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"
input_of() { [[ $1 == colorizer ]] && echo gray || echo image; }
for model in colorizer pix2pix; do
    image=$photo
    extra=()
    [[ $model == pix2pix ]] && image=$ab && extra=(--field ab=auto)
    for clients in 1 4; do
        for r in $(seq 1 "$rounds"); do
            "$load" --url "$url" --model $model --input "$(input_of $model)" --image "$image" --clients $clients \
                --seconds "$seconds" --pid $pid "${extra[@]}"
        done
    done
    # The CLI on the same image: per image, without the model's loading.
    mkdir -p "$work/one_$model" "$work/many_$model"
    cp "$image" "$work/one_$model/x.png"
    for i in $(seq 1 21); do cp "$image" "$work/many_$model/x$i.png"; done
    ab_flag=()
    [[ $model == pix2pix ]] && ab_flag=(--ab auto)
    t0=$(date +%s.%N)
    "$ganvas" translate --checkpoint "$work/$model" "$work/one_$model" --out "$work/o1_$model" "${ab_flag[@]}" > /dev/null 2>&1
    t1=$(date +%s.%N)
    "$ganvas" translate --checkpoint "$work/$model" "$work/many_$model" --out "$work/o2_$model" "${ab_flag[@]}" > /dev/null 2>&1
    t2=$(date +%s.%N)
    python3 -c "import sys; a, b = float(sys.argv[2]) - float(sys.argv[1]), float(sys.argv[3]) - float(sys.argv[2]); print('{\"model\": \"%s\", \"cli_ms_per_image\": %.2f}' % (sys.argv[4], 1e3 * (b - a) / 20))" \
        "$t0" "$t1" "$t2" $model
done
kill -TERM $pid
wait $pid || true
pid=""
