#!/usr/bin/env bash
# Two builds side by side (e.g. main before and after a change): the pix2pix step and inference at
# the reference defaults and PiDiNet on a 481x321 image, each build's benchmark run in turn,
# `rounds` times, same threads and malloc settings. Prints each build's median and after / before.
#   bash bench/compare_builds.sh BEFORE_BUILD AFTER_BUILD PIDINET_WEIGHTS [threads] [rounds]
set -euo pipefail
before=${1:?usage: compare_builds.sh BEFORE_BUILD AFTER_BUILD PIDINET_WEIGHTS [threads] [rounds]}
after=${2:?}
weights=${3:?}
threads=${4:-2}
rounds=${5:-5}
export OPENBLAS_CORETYPE=${GANVAS_OPENBLAS_CORETYPE:-SkylakeX}
export MALLOC_MMAP_THRESHOLD_=1000000000 MALLOC_TRIM_THRESHOLD_=1000000000
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for r in $(seq 1 "$rounds"); do
    for side in before after; do
        build=${!side}
        "$build/bench/pix2pix_bench" --threads "$threads" --steps 8 | tail -1 | sed "s/^{/{\"side\":\"$side\",\"bench\":\"pix2pix\",/" >> "$out"
        "$build/bench/pidinet_bench" --weights "$weights" --threads "$threads" | tail -1 |
            sed "s/^{/{\"side\":\"$side\",\"bench\":\"pidinet\",/" >> "$out"
    done
done
/usr/bin/python3 - "$out" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
metrics = {"pix2pix": ["train_step_s", "infer_ms"], "pidinet": ["ms_per_image"]}
print(f"{'benchmark':28s}{'before':>10s}{'after':>10s}{'after/before':>14s}   runs")
for bench, keys in metrics.items():
    for key in keys:
        v = {s: [r[key] for r in rows if r["bench"] == bench and r["side"] == s and key in r] for s in ("before", "after")}
        if not v["before"] or not v["after"]:
            continue
        b, a = statistics.median(v["before"]), statistics.median(v["after"])
        print(f"{bench + ' ' + key:28s}{b:10.4g}{a:10.4g}{a / b:14.3f}   {len(v['before'])}+{len(v['after'])}")
PY
