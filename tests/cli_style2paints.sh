#!/usr/bin/env bash
# style2paints through the CLI on the generated line-art set, with tiny widths and the random-weight
# VGG fixture as its style encoder: train -> resume -> translate with one style, with a folder of
# styles (one output per style and a contact sheet), at full size -> eval (hint-zeroed variant and
# style following) -> the plot of two runs' middle-layer gradients, and the errors of bad input.
# Usage: cli_style2paints.sh path/to/ganvas
set -uo pipefail
ganvas=$1
source "$(dirname "$0")/cli_lib.sh"
vgg="$(dirname "$0")/fixtures/vgg/vgg_random.pth"
base=(--model style2paints --batch 2 --threads 2 --size 32 --set ngf=4 --set ndf=4 --set hint_width=16
      --set middle_blocks=1)

"$ganvas" data synth --lineart --out "$work/data" --count 8 --size 40 > "$work/synth.log" 2>&1
check "data synth --lineart" 0 $? "$work/synth.log" "8 line art / painting pairs"
[[ -s "$work/data/lineart/art_000007.png" && -s "$work/data/color/art_000007.png" ]] ||
    { echo "FAIL: synth --lineart layout"; failures=$((failures + 1)); }

"$ganvas" train --data "$work/data" --out "$work/run" --steps 2 --log-every 1 --val-ratio 0.25 \
    --set style_weights="$vgg" "${base[@]}" > "$work/train.log" 2>&1
check "train style2paints" 0 $? "$work/train.log" "finished at step 2/2"
grep -q 'line art / painting pairs' "$work/train.log" || { echo "FAIL: pairs not found"; failures=$((failures + 1)); }
for key in G_style G_guide1 G_guide2 D_style mid_grad; do
    grep -q "$key" "$work/run/losses.csv" || { echo "FAIL: losses.csv lacks $key"; failures=$((failures + 1)); }
done
"$ganvas" train --out "$work/run" --resume --steps 3 --threads 2 > "$work/resume.log" 2>&1
check "resume style2paints" 0 $? "$work/resume.log" "finished at step 3/3"

drawing="$work/data/lineart/art_000000.png"
"$ganvas" translate --checkpoint "$work/run" "$drawing" --input style="$work/data/color/art_000003.png" \
    --out "$work/one" > "$work/t1.log" 2>&1
check "translate with a style" 0 $? "$work/t1.log" "wrote 1 of 1"
"$ganvas" translate --checkpoint "$work/run" "$work/data/lineart" --input style="$work/data/color" \
    --out "$work/many" > "$work/t2.log" 2>&1
check "translate with a folder of styles" 0 $? "$work/t2.log" "contact sheet"
n=$(find "$work/many" -name 'art_*_art_*.png' | wc -l)
[[ "$n" == 64 ]] || { echo "FAIL: $n outputs for 8 drawings x 8 styles"; failures=$((failures + 1)); }
[[ -s "$work/many/contact_sheet.png" ]] || { echo "FAIL: no contact sheet"; failures=$((failures + 1)); }
"$ganvas" translate --checkpoint "$work/run" "$drawing" --input style="$work/data/color/art_000003.png" \
    --keep-size --out "$work/full" > "$work/t3.log" 2>&1
check "translate --keep-size" 0 $? "$work/t3.log"
# PNG width and height: bytes 16-23 of the file, big-endian.
[[ "$(head -c 24 "$work/full/art_000000.png" | tail -c 8 | od -An -tx1 | tr -d ' \n')" == 0000002800000028 ]] ||
    { echo "FAIL: --keep-size did not give 40x40"; failures=$((failures + 1)); }

"$ganvas" eval --checkpoint "$work/run" --data "$work/data" --split all --json "$work/eval.json" --threads 2 \
    --html "$work/eval" > "$work/eval.log" 2>&1
check "eval style2paints" 0 $? "$work/eval.log" "style following"
grep -q '"hint zeroed"' "$work/eval.json" || { echo "FAIL: eval JSON lacks the hint-zeroed variant"; failures=$((failures + 1)); }
grep -q '"share_toward_style"' "$work/eval.json" || { echo "FAIL: eval JSON lacks style following"; failures=$((failures + 1)); }

"$ganvas" train --data "$work/data" --out "$work/plain" --steps 2 --log-every 1 --set guides=false \
    --set style_weights="$vgg" "${base[@]}" > "$work/plain.log" 2>&1
check "train without guide decoders" 0 $? "$work/plain.log" "finished at step 2/2"
"$ganvas" compare "$work/run" "$work/plain" --column mid_grad --label guides --label "no guides" \
    --out "$work/mid.svg" > "$work/cmp.log" 2>&1
check "compare two runs" 0 $? "$work/cmp.log"
grep -q "no guides" "$work/mid.svg" || { echo "FAIL: the plot lacks its legend"; failures=$((failures + 1)); }
"$ganvas" compare "$work/run" --column no_such --out "$work/x.svg" > "$work/e0.log" 2>&1
check "compare: unknown column" 2 $? "$work/e0.log" "mid_grad"

"$ganvas" translate --checkpoint "$work/run" "$drawing" --out "$work/x" > "$work/e1.log" 2>&1
check "translate without a style" 2 $? "$work/e1.log" "style"
"$ganvas" translate --checkpoint "$work/run" "$drawing" --input style="$work/none.png" --out "$work/x" > "$work/e2.log" 2>&1
check "missing style file is named" 2 $? "$work/e2.log" "none.png"
printf 'not an image' > "$work/broken.png"
"$ganvas" translate --checkpoint "$work/run" "$drawing" --input style="$work/broken.png" --out "$work/x" > "$work/e3.log" 2>&1
check "unreadable style is named" 1 $? "$work/e3.log" "broken.png"
"$ganvas" train --data "$work/data" --out "$work/x" "${base[@]}" > "$work/e4.log" 2>&1
check "training without encoder weights" 2 $? "$work/e4.log" "style_weights"
"$ganvas" train --data "$work/data" --out "$work/x" "${base[@]}" --set style_weights="$work/none.pth" > "$work/e5.log" 2>&1
check "missing encoder file is named" 1 $? "$work/e5.log" "none.pth"
"$ganvas" train --data "$work/data/color" --out "$work/x" "${base[@]}" --set lineart=pairs \
    --set style_weights="$vgg" > "$work/e6.log" 2>&1
check "lineart=pairs on a plain folder" 1 $? "$work/e6.log" "lineart/"

finish cli_style2paints
