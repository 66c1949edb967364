#!/usr/bin/env bash
# Checks `ganvas eval-edges` against the BSDS500 benchmark's own output on its reference vector
# (BSR bench/data test 2: 5 maps, 5 thresholds, no NMS), kept in ../shared (not in the repo).
# Fails when ODS, OIS or AP differ from the reference by more than 0.002.
#   bash bench/validate_bsds_eval.sh [build-dir] [reference-dir]
set -euo pipefail
build=${1:-build}
ref=${2:-$(cd "$(dirname "$0")/.." && pwd)/../shared/data/bsds500/bench_reference}
out=$(mktemp)
trap 'rm -f "$out"' EXIT
GANVAS_PROGRESS=0 "$build/ganvas" eval-edges "$ref/pred" --gt "$ref/gt_boundaries" --thresholds 5 --no-nms --json "$out"
/usr/bin/python3 - "$out" "$ref/expected/eval_bdry.txt" <<'PY'
import json, sys
got = json.load(open(sys.argv[1]))
ods_t, ods_r, ods_p, ods_f, ois_r, ois_p, ois_f, ap = map(float, open(sys.argv[2]).read().split())
rows = [("ODS", got["ods"]["f"], ods_f), ("OIS", got["ois"]["f"], ois_f), ("AP", got["ap"], ap),
        ("ODS R", got["ods"]["recall"], ods_r), ("ODS P", got["ods"]["precision"], ods_p)]
ok = True
for name, mine, theirs in rows:
    flag = "" if abs(mine - theirs) <= 0.002 else "  <-- off by more than 0.002"
    ok &= name not in ("ODS", "OIS", "AP") or not flag
    print(f"{name:6} ganvas {mine:.6f}  benchmark {theirs:.6f}  diff {mine - theirs:+.6f}{flag}")
sys.exit(0 if ok else 1)
PY
