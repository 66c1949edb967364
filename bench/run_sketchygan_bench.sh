#!/usr/bin/env bash
# SketchyGAN speed at its defaults (64x64, batch 16, MRU networks, the diversity pair, the VGG
# perceptual term, spectral norm): ganvas against the same networks and step in PyTorch Python
# (bench/sketchygan_peer.py, Debian's python3-torch), in one run on the same threads, interleaved
# `rounds` times. Prints medians, GFLOP/s (convolution FLOPs of a step, counted by the peer from
# its layers), peak memory, one-sketch inference, ratios, and this CPU's ceilings (cpu_ceiling.sh).
#   bash bench/run_sketchygan_bench.sh [build-dir] [threads] [rounds] [steps] [width]
set -euo pipefail
build=${1:-build}
threads=${2:-2}
rounds=${3:-3}
steps=${4:-4}
width=${5:-1}
here=$(cd "$(dirname "$0")" && pwd)
py=/usr/bin/python3
# Both sides use the BLAS kernel ganvas picks on this CPU, and the allocator settings `ganvas train`
# sets for itself (see run_pix2pix_bench.sh).
export OPENBLAS_CORETYPE=${GANVAS_OPENBLAS_CORETYPE:-SkylakeX}
export MALLOC_MMAP_THRESHOLD_=1000000000 MALLOC_TRIM_THRESHOLD_=1000000000
common=(--threads "$threads" --steps "$steps" --width "$width")
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for r in $(seq 1 "$rounds"); do
    "$build/bench/sketchygan_bench" "${common[@]}" >> "$out"
    # The AVX2 kernels, forced where the CPU also has AVX-512 (what an AVX2-only CPU runs).
    if grep -qw avx512f /proc/cpuinfo && grep -qw avx2 /proc/cpuinfo; then
        "$build/bench/sketchygan_bench" "${common[@]}" --isa avx2 >> "$out"
    fi
    "$build/bench/sketchygan_bench" "${common[@]}" --isa none >> "$out"  # LibTorch's ops throughout
    $py "$here/sketchygan_peer.py" "${common[@]}" >> "$out"
    $py "$here/sketchygan_peer.py" "${common[@]}" --channels-last >> "$out"
done
$py - "$out" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
gflop = next(r["step_gflop"] for r in rows if "step_gflop" in r)
by = {}
for r in rows:
    by.setdefault(r["impl"], []).append(r)
print(f"convolution work of one step: {gflop:.1f} GFLOP (width {rows[0]['width']}, batch {rows[0]['batch']})")
print(f"{'implementation':34}{'s/step':>9}{'GFLOP/s':>9}{'peak MB':>9}{'infer ms':>10}  steps")
med, inf = {}, {}
for impl, rs in by.items():
    times = [r["train_step_s"] for r in rs]
    med[impl] = statistics.median(times)
    inf[impl] = statistics.median(r["infer_ms"] for r in rs)
    print(f"{impl:34}{med[impl]:9.3f}{gflop / med[impl]:9.1f}{max(r['peak_rss_mb'] for r in rs):9.0f}"
          f"{inf[impl]:10.2f}  " + " ".join(f"{t:.3f}" for t in times))
peers = [k for k in med if k.startswith("pytorch")]
step_peer, infer_peer = min(peers, key=med.get), min(peers, key=inf.get)
for impl in med:
    if not impl.startswith("pytorch"):
        print(f"{impl}: step {med[step_peer] / med[impl]:.2f}x the faster peer ({step_peer}), "
              f"inference {inf[infer_peer] / inf[impl]:.2f}x ({infer_peer})")
PY
# The ceilings to put these GFLOP/s beside (FMA bound per instruction set, sgemm, a large oneDNN convolution).
bash "$here/cpu_ceiling.sh" "$threads"
