#!/usr/bin/env bash
# Colorizer speed, ganvas against the same network and step in PyTorch Python (Debian's
# python3-torch), in one run on the same threads. Runs each program `rounds` times, interleaved,
# and prints the median of each one's per-run medians plus the ratio.
#   bash bench/run_colorizer_bench.sh [build-dir] [threads] [rounds]
set -euo pipefail
build=${1:-build}
threads=${2:-2}
rounds=${3:-3}
here=$(cd "$(dirname "$0")" && pwd)
py=/usr/bin/python3
# Both sides use the BLAS kernel ganvas picks on this CPU (the machine presets a slower one).
export OPENBLAS_CORETYPE=${GANVAS_OPENBLAS_CORETYPE:-SkylakeX}
out=$(mktemp)
for r in $(seq 1 "$rounds"); do
    "$build/bench/colorizer_bench" --threads "$threads" --steps 10 >> "$out"
    "$build/bench/colorizer_bench" --threads "$threads" --steps 10 --nchw >> "$out"
    $py "$here/colorizer_peer.py" --threads "$threads" --steps 10 >> "$out"
    $py "$here/colorizer_peer.py" --threads "$threads" --steps 10 --channels-last >> "$out"
done
$py - "$out" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
by = {}
for r in rows:
    by.setdefault(r["impl"], []).append(r)
print(f"{'implementation':32}{'train s/step':>14}{'train img/s':>13}{'infer ms/img':>14}")
med = {}
for impl, rs in by.items():
    step = statistics.median(r["train_step_s"] for r in rs)
    inf = statistics.median(r["infer_ms_per_image"] for r in rs)
    med[impl] = (step, inf)
    print(f"{impl:32}{step:14.3f}{rs[0]['batch'] / step:13.1f}{inf:14.2f}")
ref = med.get("pytorch-python")
if ref and "ganvas" in med:
    print(f"ganvas vs pytorch-python (NCHW, PyTorch's default): train {ref[0] / med['ganvas'][0]:.2f}x, "
          f"inference {ref[1] / med['ganvas'][1]:.2f}x")
cl = med.get("pytorch-python-channels-last")
if cl and "ganvas" in med:
    print(f"ganvas vs pytorch-python-channels-last: train {cl[0] / med['ganvas'][0]:.2f}x, "
          f"inference {cl[1] / med['ganvas'][1]:.2f}x")
PY
rm -f "$out"
