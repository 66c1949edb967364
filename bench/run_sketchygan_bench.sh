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
$py "$here/bench_summary.py" "$out"
# The ceilings to put these GFLOP/s beside (FMA bound per instruction set, sgemm, a large oneDNN convolution).
bash "$here/cpu_ceiling.sh" "$threads"
