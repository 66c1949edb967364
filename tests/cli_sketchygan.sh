#!/usr/bin/env bash
# SketchyGAN through the CLI on the generated 4-class sketch set, at a quarter of the released
# widths: train (perceptual term on the random-weight VGG fixture) -> resume -> translate K samples
# of a class -> eval with diversity and the classifier, and the errors of bad flags.
# Usage: cli_sketchygan.sh path/to/ganvas
set -uo pipefail
ganvas=$1
source "$(dirname "$0")/cli_lib.sh"
vgg="$(dirname "$0")/fixtures/vgg/vgg_random.pth"
base=(--model sketchygan --batch 2 --threads 2 --set width=0.25)

"$ganvas" data synth --sketch --out "$work/data" --count 3 --size 64 > "$work/synth.log" 2>&1
check "data synth --sketch" 0 $? "$work/synth.log" "in 4 classes"
[[ -s "$work/data/star/pair_000002.png" ]] || { echo "FAIL: synth --sketch layout"; failures=$((failures + 1)); }

"$ganvas" train --data "$work/data" --out "$work/run" --steps 2 --log-every 1 --val-ratio 0.25 \
    --set vgg_weights="$vgg" "${base[@]}" > "$work/train.log" 2>&1
check "train sketchygan" 0 $? "$work/train.log" "finished at step 2/2"
grep -q '4 class(es)' "$work/train.log" || { echo "FAIL: classes from folder names"; failures=$((failures + 1)); }
for key in G_perc G_div D_aux p_sketch; do
    grep -q "$key" "$work/run/losses.csv" || { echo "FAIL: losses.csv lacks $key"; failures=$((failures + 1)); }
done
grep -q '"star"' "$work/run/config.json" || { echo "FAIL: config.json lacks the classes"; failures=$((failures + 1)); }

"$ganvas" train --out "$work/run" --resume --steps 3 --threads 2 > "$work/resume.log" 2>&1
check "resume sketchygan" 0 $? "$work/resume.log" "finished at step 3/3"

"$ganvas" translate --checkpoint "$work/run" "$work/data/star/pair_000000.png" --ab right --class star \
    --samples 3 --seed 4 --out "$work/out" > "$work/tr.log" 2>&1
check "translate 3 samples of a class" 0 $? "$work/tr.log" "wrote 3 of 3"
if [[ -s "$work/out/pair_000000_0.png" && -s "$work/out/pair_000000_2.png" ]]; then
    cmp -s "$work/out/pair_000000_0.png" "$work/out/pair_000000_1.png" && { echo "FAIL: samples are identical"; failures=$((failures + 1)); }
else
    echo "FAIL: sample files missing"; failures=$((failures + 1))
fi
"$ganvas" translate --checkpoint "$work/run" "$work/data/star/pair_000000.png" --class dragon --out "$work/o2" > "$work/e1.log" 2>&1
check "unknown --class" 2 $? "$work/e1.log" "triangle"

"$ganvas" eval --checkpoint "$work/run" --data "$work/data" --split all --diversity 3 --size 32 \
    --json "$work/eval.json" --html "$work/eval-html" --threads 2 > "$work/eval.log" 2>&1
check "eval sketchygan" 0 $? "$work/eval.log" "mean pairwise L1 of 3 samples"
grep -q '<th>sample 3</th>' "$work/eval-html/index.html" && [[ -s "$work/eval-html/images/0000_sample3.png" ]] ||
    { echo "FAIL: the eval page lacks the sample grid"; failures=$((failures + 1)); }
grep -q '"class_accuracy"' "$work/eval.json" || { echo "FAIL: eval JSON lacks the classifier"; failures=$((failures + 1)); }

# The default diversity term is mode-seeking at 0.05; the paper's form brings its own weight, 10.
grep -q '"diversity": "mode_seeking"' "$work/run/config.json" && grep -q '"lambda_div": 0.05' "$work/run/config.json" ||
    { echo "FAIL: the default run's config.json lacks mode_seeking at 0.05"; failures=$((failures + 1)); }
"$ganvas" train --data "$work/data" --out "$work/ms" --steps 1 --set vgg_weights="$vgg" --set diversity=released \
    "${base[@]}" > "$work/ms.log" 2>&1
check "train with the released diversity term" 0 $? "$work/ms.log" "finished at step 1/1"
grep -q '"diversity": "released"' "$work/ms/config.json" && grep -q '"lambda_div": 10' "$work/ms/config.json" ||
    { echo "FAIL: config.json lacks the released form at weight 10"; failures=$((failures + 1)); }
"$ganvas" train --data "$work/data" --out "$work/x" --set diversity=lpips "${base[@]}" > "$work/e6.log" 2>&1
check "unknown diversity form" 2 $? "$work/e6.log" "diversity"

"$ganvas" train --data "$work/data" --out "$work/x" "${base[@]}" > "$work/e2.log" 2>&1
check "perceptual term without VGG weights" 2 $? "$work/e2.log" "vgg_weights"
"$ganvas" train --data "$work/data" --out "$work/x" "${base[@]}" --netG unet_256 > "$work/e3.log" 2>&1
check "pix2pix flag on sketchygan" 2 $? "$work/e3.log" "--netG"
"$ganvas" train --data "$work/data" --out "$work/x" "${base[@]}" --size 96 > "$work/e4.log" 2>&1
check "unsupported size" 2 $? "$work/e4.log" "64, 128 or 256"
"$ganvas" train --data "$work/data" --out "$work/x" "${base[@]}" --set vgg_weights="$work/none.pth" > "$work/e5.log" 2>&1
check "missing VGG file is named" 1 $? "$work/e5.log" "none.pth"

finish cli_sketchygan
