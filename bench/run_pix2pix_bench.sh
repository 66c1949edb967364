#!/usr/bin/env bash
# pix2pix speed at the reference defaults (U-Net 256, 70x70 PatchGAN, batch 1, 256x256): ganvas and
# its variants against the same networks and step in PyTorch Python (Debian's python3-torch), in one
# run on the same threads, interleaved `rounds` times. Prints medians, GFLOP/s (convolution FLOPs
# of a step, counted by the peer from the layers) and ratios.
#   bash bench/run_pix2pix_bench.sh [build-dir] [threads] [rounds] [steps]
set -euo pipefail
build=${1:-build}
threads=${2:-2}
rounds=${3:-3}
steps=${4:-8}
here=$(cd "$(dirname "$0")" && pwd)
py=/usr/bin/python3
# Both sides use the BLAS kernel ganvas picks on this CPU (the machine presets a slower one).
export OPENBLAS_CORETYPE=${GANVAS_OPENBLAS_CORETYPE:-SkylakeX}
# What `ganvas train` sets for itself (apps/ganvas/main.cpp): large blocks stay in the heap instead of
# being mapped and unmapped every step. Both sides run with it.
export MALLOC_MMAP_THRESHOLD_=1000000000 MALLOC_TRIM_THRESHOLD_=1000000000
out=$(mktemp)
for r in $(seq 1 "$rounds"); do
    "$build/bench/pix2pix_bench" --threads "$threads" --steps "$steps" >> "$out"
    "$build/bench/pix2pix_bench" --threads "$threads" --steps "$steps" --channels-last >> "$out"
    # The AVX2 kernels, forced where the CPU also has AVX-512 (what an AVX2-only CPU runs).
    if grep -qw avx2 /proc/cpuinfo; then
        "$build/bench/pix2pix_bench" --threads "$threads" --steps "$steps" --isa avx2 >> "$out"
    fi
    "$build/bench/pix2pix_bench" --threads "$threads" --steps "$steps" --no-small-conv >> "$out"
    "$build/bench/pix2pix_bench" --threads "$threads" --steps "$steps" --no-winograd >> "$out"
    "$build/bench/pix2pix_bench" --threads "$threads" --steps "$steps" --stock-adam >> "$out"
    "$build/bench/pix2pix_bench" --threads "$threads" --steps "$steps" --reference-transpose >> "$out"
    "$build/bench/pix2pix_bench" --threads "$threads" --steps "$steps" --reference-transpose --stock-adam >> "$out"
    $py "$here/pix2pix_peer.py" --threads "$threads" --steps "$steps" >> "$out"
    $py "$here/pix2pix_peer.py" --threads "$threads" --steps "$steps" --channels-last >> "$out"
done
$py - "$out" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
gflop = next(r["step_gflop"] for r in rows if "step_gflop" in r)
by = {}
for r in rows:
    by.setdefault(r["impl"], []).append(r)
print(f"convolution work of one step: {gflop:.1f} GFLOP")
print(f"{'implementation':40}{'s/iter':>9}{'GFLOP/s':>9}{'peak MB':>9}{'infer ms':>10}")
med = {}
for impl, rs in by.items():
    step = statistics.median(r["train_step_s"] for r in rs)
    med[impl] = step
    print(f"{impl:40}{step:9.3f}{gflop / step:9.1f}{max(r['peak_rss_mb'] for r in rs):9.0f}"
          f"{statistics.median(r['infer_ms'] for r in rs):10.1f}")
ref = med["pytorch-python"]
for impl, step in med.items():
    print(f"speed-up of {impl} over pytorch-python: {ref / step:.2f}x")
PY
rm -f "$out"
