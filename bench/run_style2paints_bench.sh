#!/usr/bin/env bash
# style2paints speed at its defaults (batch 8, 128x128): ganvas against the same networks and step in
# PyTorch Python (Debian's python3-torch), in one run on the same threads, interleaved `rounds`
# times. Prints medians and ratios.
#   bash bench/run_style2paints_bench.sh [build-dir] [threads] [rounds] [steps] [recipe flags ...]
# Recipe flags go to both sides: --ngf N --middle-blocks N --hint-width N (the CPU recipe of
# docs/STYLE2PAINTS.md: --ngf 16 --middle-blocks 3 --hint-width 256).
set -euo pipefail
build=${1:-build}
threads=${2:-2}
rounds=${3:-3}
steps=${4:-6}
shift 4 || shift $#
recipe=("$@")
here=$(cd "$(dirname "$0")" && pwd)
py=/usr/bin/python3
# Both sides use the BLAS kernel ganvas picks on AVX-512 CPUs and keep large blocks in the heap
# (what `ganvas train` sets for itself).
export OPENBLAS_CORETYPE=${GANVAS_OPENBLAS_CORETYPE:-SkylakeX}
export MALLOC_MMAP_THRESHOLD_=1000000000 MALLOC_TRIM_THRESHOLD_=1000000000
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for r in $(seq 1 "$rounds"); do
    "$build/bench/style2paints_bench" --threads "$threads" --steps "$steps" "${recipe[@]}" >> "$out"
    "$build/bench/style2paints_bench" --threads "$threads" --steps "$steps" --nchw "${recipe[@]}" >> "$out"
    $py "$here/style2paints_peer.py" --threads "$threads" --steps "$steps" "${recipe[@]}" >> "$out"
    $py "$here/style2paints_peer.py" --threads "$threads" --steps "$steps" --channels-last "${recipe[@]}" >> "$out"
done
$py - "$out" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
by = {}
for r in rows:
    by.setdefault(r["impl"], []).append(r)
print(f"{'implementation':32}{'s/step':>9}{'infer ms':>10}{'peak MB':>9}   runs")
med = {}
for impl, rs in by.items():
    med[impl] = (statistics.median(r["train_step_s"] for r in rs), statistics.median(r["infer_ms"] for r in rs))
    print(f"{impl:32}{med[impl][0]:9.3f}{med[impl][1]:10.1f}{max(r['peak_rss_mb'] for r in rs):9.0f}   {len(rs)}")
ref = med["pytorch-python"]
for impl, (step, infer) in med.items():
    print(f"{impl} against pytorch-python: step {ref[0] / step:.2f}x, inference {ref[1] / infer:.2f}x")
PY
