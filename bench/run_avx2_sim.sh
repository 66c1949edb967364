#!/usr/bin/env bash
# An AVX2-only CPU, simulated on a machine that also has AVX-512: oneDNN held to AVX2 on both sides
# (ONEDNN_MAX_CPU_ISA / DNNL_MAX_CPU_ISA), OpenBLAS on its Haswell kernels, ganvas's own kernels
# forced to AVX2. pix2pix (the reference defaults) and SketchyGAN (64x64, batch 16) against their
# PyTorch Python peers, interleaved `rounds` times; medians, ratios, and the AVX2 ceilings.
#   bash bench/run_avx2_sim.sh [build-dir] [threads] [rounds] [pix2pix steps] [sketchygan steps] [width]
set -euo pipefail
build=${1:-build}
threads=${2:-2}
rounds=${3:-3}
p2p_steps=${4:-8}
sk_steps=${5:-3}
width=${6:-1}
here=$(cd "$(dirname "$0")" && pwd)
py=/usr/bin/python3
source "$here/avx2_path.sh"
# Every command of this script runs on the AVX2 path.
export "${avx2_env[@]:1}"
export MALLOC_MMAP_THRESHOLD_=1000000000 MALLOC_TRIM_THRESHOLD_=1000000000
out=$(mktemp)
trap 'rm -f "$out"' EXIT
sk=(--threads "$threads" --steps "$sk_steps" --width "$width")
for r in $(seq 1 "$rounds"); do
    "$build/bench/pix2pix_bench" --threads "$threads" --steps "$p2p_steps" --isa avx2 | sed 's/^{/{"model": "pix2pix", /' >> "$out"
    $py "$here/pix2pix_peer.py" --threads "$threads" --steps "$p2p_steps" | sed 's/^{/{"model": "pix2pix", /' >> "$out"
    "$build/bench/sketchygan_bench" "${sk[@]}" --isa avx2 | sed 's/^{/{"model": "sketchygan", /' >> "$out"
    $py "$here/sketchygan_peer.py" "${sk[@]}" | sed 's/^{/{"model": "sketchygan", /' >> "$out"
    $py "$here/sketchygan_peer.py" "${sk[@]}" --channels-last | sed 's/^{/{"model": "sketchygan", /' >> "$out"
done
$py "$here/bench_summary.py" "$out"
bash "$here/cpu_ceiling.sh" "$threads"
