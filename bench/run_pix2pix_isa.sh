#!/usr/bin/env bash
# pix2pix (the reference defaults) on this CPU's own instruction set and on the AVX2 path, each
# against the PyTorch Python peer run the same way, interleaved `rounds` times, with the ceilings
# before and after. The AVX2 path holds oneDNN to AVX2 on both sides, puts OpenBLAS on its Haswell
# kernels and forces ganvas's own kernels to AVX2: what an AVX2-only CPU runs.
#   bash bench/run_pix2pix_isa.sh [build-dir] [threads] [rounds] [steps]
set -euo pipefail
build=${1:-build}
threads=${2:-2}
rounds=${3:-5}
steps=${4:-8}
here=$(cd "$(dirname "$0")" && pwd)
py=/usr/bin/python3
source "$here/avx2_path.sh"
export MALLOC_MMAP_THRESHOLD_=1000000000 MALLOC_TRIM_THRESHOLD_=1000000000
native=(env OPENBLAS_CORETYPE=SkylakeX)
out=$(mktemp)
trap 'rm -f "$out"' EXIT
echo "== ceilings"; "${native[@]}" bash "$here/cpu_ceiling.sh" "$threads"
for r in $(seq 1 "$rounds"); do
    "${native[@]}" "$build/bench/pix2pix_bench" --threads "$threads" --steps "$steps" | sed 's/^{/{"model": "pix2pix, native", /' >> "$out"
    "${native[@]}" $py "$here/pix2pix_peer.py" --threads "$threads" --steps "$steps" | sed 's/^{/{"model": "pix2pix, native", /' >> "$out"
    "${avx2_env[@]}" "$build/bench/pix2pix_bench" --threads "$threads" --steps "$steps" --isa avx2 | sed 's/^{/{"model": "pix2pix, AVX2 path", /' >> "$out"
    "${avx2_env[@]}" $py "$here/pix2pix_peer.py" --threads "$threads" --steps "$steps" | sed 's/^{/{"model": "pix2pix, AVX2 path", /' >> "$out"
done
echo "== ceilings, oneDNN held to AVX2"; "${avx2_env[@]}" bash "$here/cpu_ceiling.sh" "$threads"
$py "$here/bench_summary.py" "$out"
