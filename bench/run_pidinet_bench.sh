#!/usr/bin/env bash
# PiDiNet inference on a 481x321 image: ganvas with each kernel set this CPU has (fused AVX-512,
# fused AVX2, LibTorch's ops) and the same network in PyTorch Python (bench/pidinet_peer.py), in one
# run on the same threads, interleaved `rounds` times, with the CLI's malloc settings for all.
# Prints the median over rounds of each program's median ms/image, and ratios to the peer.
#   bash bench/run_pidinet_bench.sh WEIGHTS [build-dir] [threads] [rounds]
set -euo pipefail
weights=${1:?usage: run_pidinet_bench.sh WEIGHTS [build-dir] [threads] [rounds]}
build=${2:-build}
threads=${3:-2}
rounds=${4:-5}
here=$(cd "$(dirname "$0")" && pwd)
export MALLOC_MMAP_THRESHOLD_=1000000000 MALLOC_TRIM_THRESHOLD_=1000000000
out=$(mktemp)
kernels="none avx2"
grep -qw avx512f /proc/cpuinfo && kernels="avx512 $kernels"
for r in $(seq 1 "$rounds"); do
    for k in $kernels; do
        GANVAS_PIDINET_KERNELS=$k "$build/bench/pidinet_bench" --weights "$weights" --threads "$threads" |
            tail -1 | sed "s/\"impl\":\"ganvas-pidinet\"/\"impl\":\"ganvas-$k\"/" >> "$out"
    done
    /usr/bin/python3 "$here/pidinet_peer.py" --weights "$weights" --threads "$threads" >> "$out"
done
/usr/bin/python3 - "$out" <<'PY'
import json, statistics, sys
by = {}
for line in open(sys.argv[1]):
    r = json.loads(line)
    by.setdefault(r["impl"], []).append(r["ms_per_image"])
peer = statistics.median(by["pytorch-python-pidinet"])
print(f"{'implementation':28s} {'ms/image':>9s} {'min':>8s} {'peer / this':>12s}")
for impl, ms in by.items():
    med = statistics.median(ms)
    print(f"{impl:28s} {med:9.1f} {min(ms):8.1f} {peer / med:11.2f}x")
PY
rm -f "$out"
