#!/usr/bin/env bash
# SketchyGAN's edge post-processing, ganvas against the same steps on scikit-image and scipy
# (bench/postprocess_peer.py), on the same 8-bit probability maps, interleaved `rounds` times, in
# one run. Both processes get the glibc malloc settings the ganvas CLI runs with. Prints medians,
# the ratio, and how many sketch pixels the two disagree on.
#   bash bench/run_postprocess_bench.sh MAPS_DIR [build-dir] [threads] [rounds]
set -euo pipefail
maps=$1
build=${2:-build}
threads=${3:-2}
rounds=${4:-3}
here=$(cd "$(dirname "$0")" && pwd)
export MALLOC_MMAP_THRESHOLD_=1000000000 MALLOC_TRIM_THRESHOLD_=1000000000
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for r in $(seq 1 "$rounds"); do
    /usr/bin/python3 "$here/postprocess_peer.py" "$maps" --out "$work/peer" 2>/dev/null >> "$work/rows"
    "$build/bench/postprocess_bench" "$maps" --threads "$threads" --compare "$work/peer" >> "$work/rows"
done
/usr/bin/python3 - "$work/rows" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
med = {}
for impl in sorted({r["impl"] for r in rows}):
    rs = [r for r in rows if r["impl"] == impl]
    med[impl] = statistics.median(r["ms_per_image"] for r in rs)
    extra = f", {rs[-1]['threads']} threads" if "threads" in rs[-1] else ", 1 thread"
    print(f"{impl:24} {med[impl]:8.2f} ms/image ({rs[-1]['images']} images{extra})")
g = [r for r in rows if r["impl"] == "ganvas"][-1]
print(f"ganvas is {med['python-skimage-scipy'] / med['ganvas']:.1f}x faster; sketches differ in "
      f"{g['differing_pixels']} of {g['compared_images']} images' pixels ({100 * g['differing_share']:.5f}%)")
PY
