#!/usr/bin/env bash
# This CPU's ceilings, to put a benchmark's GFLOP/s beside: the FMA bound per instruction set
# (bench/fma_peak.c), OpenBLAS sgemm 2048^3 and a oneDNN 3x3 convolution (256->256, 16 maps of
# 64x64, channels-last) through Debian's python3-torch, on the given threads.
#   bash bench/cpu_ceiling.sh [threads]
set -euo pipefail
threads=${1:-2}
here=$(cd "$(dirname "$0")" && pwd)
export OPENBLAS_CORETYPE=${GANVAS_OPENBLAS_CORETYPE:-SkylakeX}
bin=$(mktemp)
trap 'rm -f "$bin"' EXIT
cc -O2 -pthread "$here/fma_peak.c" -o "$bin"
"$bin" "$threads"
/usr/bin/python3 - "$threads" <<'PY'
import statistics, sys, time
import torch
torch.set_num_threads(int(sys.argv[1]))
def rate(fn, flop, reps=7):
    for _ in range(2):
        fn()
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return flop / statistics.median(times) / 1e9
a, b = torch.randn(2048, 2048), torch.randn(2048, 2048)
print(f"OpenBLAS sgemm 2048^3, {sys.argv[1]} thread(s): {rate(lambda: a @ b, 2 * 2048**3):.1f} GFLOP/s")
x = torch.randn(16, 256, 64, 64).contiguous(memory_format=torch.channels_last)
conv = torch.nn.Conv2d(256, 256, 3, padding=1).to(memory_format=torch.channels_last)
with torch.no_grad():
    r = rate(lambda: conv(x), 2 * 256 * 256 * 9 * 64 * 64 * 16, reps=5)
print(f"oneDNN conv 3x3 256->256, 16 x 64x64, channels-last, {sys.argv[1]} thread(s): {r:.1f} GFLOP/s")
PY
