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
grep -qw avx2 /proc/cpuinfo && grep -qw fma /proc/cpuinfo || { echo "this CPU has no AVX2 + FMA" >&2; exit 2; }
export ONEDNN_MAX_CPU_ISA=AVX2 DNNL_MAX_CPU_ISA=AVX2
export OPENBLAS_CORETYPE=Haswell GANVAS_OPENBLAS_CORETYPE=Haswell
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
$py - "$out" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip().startswith("{")]
for model in ("pix2pix", "sketchygan"):
    rs = [r for r in rows if r["model"] == model]
    gflop = next(r["step_gflop"] for r in rs if "step_gflop" in r)
    by = {}
    for r in rs:
        by.setdefault(r["impl"], []).append(r)
    print(f"{model}: {gflop:.1f} GFLOP of convolution a step")
    med, inf = {}, {}
    for impl, group in by.items():
        med[impl] = statistics.median(r["train_step_s"] for r in group)
        inf[impl] = statistics.median(r["infer_ms"] for r in group)
        print(f"  {impl:34}{med[impl]:9.3f} s{gflop / med[impl]:8.1f} GFLOP/s{max(r['peak_rss_mb'] for r in group):7.0f} MB"
              f"{inf[impl]:9.2f} ms  " + " ".join(f"{r['train_step_s']:.3f}" for r in group))
    peers = [k for k in med if k.startswith("pytorch")]
    step_peer, infer_peer = min(peers, key=med.get), min(peers, key=inf.get)
    for impl in med:
        if not impl.startswith("pytorch"):
            print(f"  {impl}: step {med[step_peer] / med[impl]:.2f}x ({step_peer}), inference "
                  f"{inf[infer_peer] / inf[impl]:.2f}x ({infer_peer})")
PY
bash "$here/cpu_ceiling.sh" "$threads"
