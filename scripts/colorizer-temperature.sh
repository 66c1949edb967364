#!/usr/bin/env bash
# Chooses a bins-head colorizer's decode temperature (docs/RESULTS.md, "A colorizer worth shipping")
# on the 5 % of ../shared/data/faces/celeba-train that training holds out (--split val, 495 crops the
# runs never saw), never on celeba-dev, which reports the result. Each run is evaluated at every
# temperature; one line per run and temperature: PSNR, colorfulness (and the truth's), blotched share.
# Usage: bash scripts/colorizer-temperature.sh [build] RUN... (TEMPS="0.38 0.3 0.25 0.2 0.15" by default)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
shift
shared=$(cd ../shared && pwd)
temps=${TEMPS:-0.38 0.3 0.25 0.2 0.15}
export GANVAS_PROGRESS=0
printf '%-40s %5s %7s %6s %6s %8s\n' run T PSNR color truth blotched
for run in "$@"; do
    for t in $temps; do
        out=$run-val-T$t.json
        [[ -e "$out" ]] || "$build/ganvas" eval --checkpoint "$run" --data "$shared/data/faces/celeba-train" \
            --split val --param "temperature=$t" --json "$out" --threads 2 > /dev/null
        /usr/bin/python3 - "$run" "$t" "$out" <<'EOF'
import json, sys
run, t, path = sys.argv[1:]
j = json.load(open(path))
m = j["model"]
print(f"{run[-40:]:<40} {t:>5} {m['psnr']:7.2f} {m['colorfulness']:6.1f} {j['truth']['colorfulness']:6.1f} {100 * m['blotched']:7.1f}%")
EOF
    done
done
