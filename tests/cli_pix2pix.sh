#!/usr/bin/env bash
# pix2pix through the CLI on tiny generated AB pairs: train -> interrupt -> resume -> translate ->
# eval (with its HTML page), and the errors of bad pix2pix flags. Usage: cli_pix2pix.sh path/to/ganvas
set -uo pipefail
ganvas=$1
source "$(dirname "$0")/cli_lib.sh"
# ResNet generator (any multiple of 4) with widths 4 at 32x32: fast enough for a smoke run.
tiny=(--model pix2pix --netG resnet_6blocks --set ngf=4 --set ndf=4 --size 32 --load-size 36 --threads 1)

"$ganvas" data synth --ab --out "$work/ab" --count 12 --size 24 > "$work/synth.log" 2>&1
check "data synth --ab" 0 $? "$work/synth.log"

"$ganvas" train --data "$work/ab" --out "$work/run" --direction AtoB --steps 4 --log-every 1 --sample-every 2 \
    --val-ratio 0.25 "${tiny[@]}" > "$work/train.log" 2>&1
check "train pix2pix" 0 $? "$work/train.log" "finished at step 4/4"
grep -q '"netG": "resnet_6blocks"' "$work/run/config.json" || { echo "FAIL: config.json lacks netG"; failures=$((failures + 1)); }
grep -q 'G_L1' "$work/run/losses.csv" || { echo "FAIL: losses.csv lacks G_L1"; failures=$((failures + 1)); }
grep -q 'of batch 1' "$work/train.log" || { echo "FAIL: pix2pix's default batch is 1"; failures=$((failures + 1)); }

# Ctrl-C and resume.
"$ganvas" train --data "$work/ab" --out "$work/long" --steps 100000 --log-every 1 --checkpoint-every 100000 \
    "${tiny[@]}" > "$work/long.log" 2>&1 &
pid=$!
for _ in $(seq 1 300); do [[ $(cat "$work/long/losses.csv" 2>/dev/null | wc -l) -ge 3 ]] && break; sleep 0.1; done
kill -INT $pid
wait $pid
check "SIGINT checkpoints and exits 130" 130 $? "$work/long.log" "interrupted at step"
step=$(grep -o 'interrupted at step [0-9]*' "$work/long.log" | grep -o '[0-9]*$')
"$ganvas" train --out "$work/long" --resume --steps $((step + 2)) --threads 1 > "$work/resume.log" 2>&1
check "resume pix2pix" 0 $? "$work/resume.log" "finished at step $((step + 2))/$((step + 2))"

mkdir -p "$work/in/sub"
cp "$work/ab/synth_000000.png" "$work/in/a.png"
cp "$work/ab/synth_000001.png" "$work/in/sub/b.png"
"$ganvas" translate --checkpoint "$work/run" "$work/in" --out "$work/out" --ab auto --threads 1 > "$work/tr.log" 2>&1
check "translate AB inputs" 0 $? "$work/tr.log" "pix2pix: wrote 2 of 2"
[[ -s "$work/out/a.png" && -s "$work/out/sub/b.png" ]] || { echo "FAIL: translate outputs missing"; failures=$((failures + 1)); }
"$ganvas" translate --checkpoint "$work/run" "$work/in/a.png" --out "$work/out" --ab sideways > "$work/e1.log" 2>&1
check "bad --ab" 2 $? "$work/e1.log" "--ab"
"$ganvas" translate --checkpoint "$work/run" "$work/in/a.png" --out "$work/o3" --input style="$work/in/a.png" > "$work/e3.log" 2>&1
check "an input the model does not take" 2 $? "$work/e3.log" "style"
"$ganvas" translate --checkpoint "$work/run" "$work/in/a.png" --out "$work/o4" --param class=shoe > "$work/e4.log" 2>&1
check "a parameter the model does not take" 2 $? "$work/e4.log" "class"
"$ganvas" translate --checkpoint "$work/run" "$work/in/a.png" --out "$work/in" > "$work/e2.log" 2>&1
check "translate refuses to overwrite its input" 1 $? "$work/e2.log" "overwrite"

"$ganvas" eval --checkpoint "$work/run" --data "$work/ab" --split val --val-ratio 0.25 --html "$work/html" \
    --json "$work/eval.json" --threads 1 > "$work/eval.log" 2>&1
check "eval pix2pix" 0 $? "$work/eval.log" "input as output"
grep -q '"l1"' "$work/eval.json" && [[ -s "$work/html/index.html" ]] || { echo "FAIL: eval JSON / HTML"; failures=$((failures + 1)); }
# Realism scores on VGG features for a paired model (a random VGG fixture: the path, not the values).
"$ganvas" eval --checkpoint "$work/run" --data "$work/ab" --split val --val-ratio 0.25 --threads 1 \
    --realism-vgg "$(dirname "$0")/fixtures/vgg/vgg_random.pth" --json "$work/eval2.json" > "$work/eval2.log" 2>&1
check "eval pix2pix with realism scores" 0 $? "$work/eval2.log" "realism on VGG-19 features"
grep -q '"realism_vgg"' "$work/eval2.json" || { echo "FAIL: eval JSON realism"; failures=$((failures + 1)); }
"$ganvas" eval --checkpoint "$work/run" --data "$work/ab" --split val --val-ratio 0.25 --threads 1 \
    --realism-inception "$(dirname "$0")/fixtures/inception/inception_standin.pth" --json "$work/eval3.json" > "$work/eval3.log" 2>&1
check "eval pix2pix with the standard Inception realism" 0 $? "$work/eval3.log" "standard realism on Inception-v3"
grep -q '"realism_inception"' "$work/eval3.json" || { echo "FAIL: eval JSON Inception realism"; failures=$((failures + 1)); }

"$ganvas" train --data "$work/ab" --out "$work/x" --model pix2pix --netG unet_512 > "$work/e3.log" 2>&1
check "bad --netG" 2 $? "$work/e3.log" "--netG"
"$ganvas" train --data "$work/ab" --out "$work/x" --model pix2pix --widths 1 2 3 4 > "$work/e4.log" 2>&1
check "colorizer flag on pix2pix" 2 $? "$work/e4.log" "--widths"
"$ganvas" train --data "$work/ab" --out "$work/x" --model pix2pix --size 100 > "$work/e5.log" 2>&1
check "crop size the U-Net cannot take" 2 $? "$work/e5.log" "--crop-size"
"$ganvas" train --data "$work/ab" --out "$work/x" "${tiny[@]}" --set nonsense=1 > "$work/e6.log" 2>&1
check "unknown --set key" 2 $? "$work/e6.log" "nonsense"
"$ganvas" train --data "$work/ab" --out "$work/x" --direction BtoA > "$work/e7.log" 2>&1
check "pix2pix flag on the colorizer" 2 $? "$work/e7.log" "--direction"

finish cli_pix2pix
