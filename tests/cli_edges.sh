#!/usr/bin/env bash
# `ganvas edges` and `ganvas eval-edges` end to end on generated images (the classic detector needs
# no weights): stages, pairs, resume and --force, unreadable files, and bad flags.
# Usage: cli_edges.sh path/to/ganvas
set -uo pipefail
ganvas=$1
source "$(dirname "$0")/cli_lib.sh"

"$ganvas" data synth --out "$work/photos/sub" --count 6 --size 48 > "$work/synth.log" 2>&1
check "data synth" 0 $? "$work/synth.log"

"$ganvas" edges "$work/photos" --detector classic --out "$work/sketch" --jobs 2 > "$work/e1.log" 2>&1
check "edges (sketch)" 0 $? "$work/e1.log" "wrote 6, kept 0"
[[ -s "$work/sketch/sub/synth_000000.png" ]] || { echo "FAIL: relative paths not kept"; failures=$((failures + 1)); }
"$ganvas" edges "$work/photos" --detector classic --out "$work/sketch" > "$work/e2.log" 2>&1
check "edges keeps existing outputs (resume)" 0 $? "$work/e2.log" "wrote 0, kept 6"
"$ganvas" edges "$work/photos" --detector classic --out "$work/sketch" --force > "$work/e3.log" 2>&1
check "edges --force recomputes" 0 $? "$work/e3.log" "wrote 6, kept 0"

for stage in probability distance; do
    "$ganvas" edges "$work/photos" --detector classic --stage $stage --out "$work/$stage" > "$work/$stage.log" 2>&1
    check "edges --stage $stage" 0 $? "$work/$stage.log" "wrote 6"
done
"$ganvas" edges "$work/photos/sub/synth_000001.png" --detector classic --pairs --size 32 --out "$work/pairs" > "$work/p.log" 2>&1
check "edges --pairs" 0 $? "$work/p.log" "wrote 1"

printf 'not an image' > "$work/photos/broken.jpg"
"$ganvas" edges "$work/photos" --detector classic --out "$work/sketch2" > "$work/e4.log" 2>&1
check "an unreadable image is named and counted, exit 1" 1 $? "$work/e4.log" "broken.jpg"
grep -q "wrote 6" "$work/e4.log" || { echo "FAIL: the readable images were not all written"; failures=$((failures + 1)); }
rm "$work/photos/broken.jpg"

"$ganvas" edges "$work/photos" --stage outline --detector classic --out "$work/x" > "$work/b1.log" 2>&1
check "bad --stage" 2 $? "$work/b1.log" "--stage"
"$ganvas" edges "$work/photos" --out "$work/x" > "$work/b2.log" 2>&1
check "pidinet without --weights" 2 $? "$work/b2.log" "--weights"
"$ganvas" edges "$work/photos" --detector hed --weights "$work/nothing.caffemodel" --out "$work/x" > "$work/b3.log" 2>&1
check "missing HED weights" 1 $? "$work/b3.log" "nothing.caffemodel"
"$ganvas" edges "$work/photos" --detector classic --out "$work/photos" > "$work/b4.log" 2>&1
check "edges refuses to overwrite its inputs" 1 $? "$work/b4.log" "overwrite"

# eval-edges: the probability maps against annotations made from the sketches (255 = stroke).
mkdir -p "$work/pred" "$work/gt"
for f in "$work/probability/sub/"*.png; do cp "$f" "$work/pred/"; done
for f in "$work/sketch/sub/"*.png; do b=$(basename "$f" .png); cp "$f" "$work/gt/${b}_1.png"; done
"$ganvas" eval-edges "$work/pred" --gt "$work/gt" --thresholds 9 --json "$work/bsds.json" > "$work/v.log" 2>&1
check "eval-edges" 0 $? "$work/v.log" "ODS"
grep -q '"ods"' "$work/bsds.json" || { echo "FAIL: eval-edges JSON"; failures=$((failures + 1)); }
rm "$work/gt/synth_000003_1.png"
"$ganvas" eval-edges "$work/pred" --gt "$work/gt" > "$work/v2.log" 2>&1
check "eval-edges names a prediction without ground truth" 1 $? "$work/v2.log" "synth_000003"

finish cli_edges
