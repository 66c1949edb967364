#!/usr/bin/env bash
# CLI smoke runs on tiny generated data: synth -> train -> interrupt -> resume -> colorize -> eval,
# and the exit codes and messages of bad input. Usage: cli_smoke.sh path/to/ganvas
set -uo pipefail
ganvas=$1
source "$(dirname "$0")/cli_lib.sh"
tiny=(--size 16 --widths 4 4 8 8 --d-width 4 --batch 4 --threads 1)

"$ganvas" data synth --out "$work/data" --count 40 --size 20 > "$work/synth.log" 2>&1
check "data synth" 0 $? "$work/synth.log"
[[ $(ls "$work/data" | wc -l) == 40 ]] || { echo "FAIL: synth wrote $(ls "$work/data" | wc -l) files"; failures=$((failures + 1)); }

"$ganvas" train --data "$work/data" --out "$work/run" --steps 6 --log-every 1 --sample-every 3 "${tiny[@]}" > "$work/train.log" 2>&1
check "train" 0 $? "$work/train.log" "finished at step 6/6"
for f in config.json checkpoint.pt losses.csv samples/latest.png; do
    [[ -s "$work/run/$f" ]] || { echo "FAIL: run folder lacks $f"; failures=$((failures + 1)); }
done

"$ganvas" train --data "$work/data" --out "$work/run" --steps 6 "${tiny[@]}" > "$work/again.log" 2>&1
check "train into an existing run without --resume" 2 $? "$work/again.log" "already holds a run"

# Ctrl-C: the run checkpoints and exits 130; --resume finishes it.
interrupt_training INT "$work/long" "$work/long.log" --data "$work/data" "${tiny[@]}"
check "SIGINT checkpoints and exits 130" 130 $? "$work/long.log" "interrupted at step"
step=$(grep -o 'interrupted at step [0-9]*' "$work/long.log" | grep -o '[0-9]*$')
"$ganvas" train --out "$work/long" --resume --steps $((step + 3)) --threads 1 > "$work/resume.log" 2>&1
check "resume after SIGINT" 0 $? "$work/resume.log" "finished at step $((step + 3))/$((step + 3))"

mkdir -p "$work/in/sub"
cp "$work/data/synth_000000.png" "$work/in/a.png"
cp "$work/data/synth_000001.png" "$work/in/sub/b.png"
printf 'not an image' > "$work/in/sub/broken.jpg"
"$ganvas" colorize --checkpoint "$work/run" "$work/in" --out "$work/out" --threads 1 > "$work/colorize.log" 2>&1
check "colorize names a corrupt input and exits 1" 1 $? "$work/colorize.log" "broken.jpg"
[[ -s "$work/out/a.png" && -s "$work/out/sub/b.png" ]] || { echo "FAIL: colorize outputs missing"; failures=$((failures + 1)); }

"$ganvas" colorize --checkpoint "$work/run/checkpoint.pt" "$work/in/a.png" --out "$work/out2" --at-train-size --threads 1 > "$work/c2.log" 2>&1
check "colorize one file at training size" 0 $? "$work/c2.log"

"$ganvas" eval --checkpoint "$work/run" --data "$work/data" --json "$work/eval.json" --threads 1 > "$work/eval.log" 2>&1
check "eval" 0 $? "$work/eval.log" "mean chroma"
grep -q '"mean_chroma"' "$work/eval.json" && grep -q '"psnr"' "$work/eval.json" || { echo "FAIL: eval JSON"; failures=$((failures + 1)); }
# Realism scores on VGG features (a randomly initialised VGG fixture: the path, not the numbers).
vgg="$(dirname "$0")/fixtures/vgg/vgg_random.pth"
"$ganvas" eval --checkpoint "$work/run" --data "$work/data" --json "$work/eval2.json" --realism-vgg "$vgg" --threads 1 > "$work/eval2.log" 2>&1
check "eval with realism scores" 0 $? "$work/eval2.log" "KID (VGG)"
grep -q '"kid_vgg"' "$work/eval2.json" && grep -q '"blotched"' "$work/eval2.json" || { echo "FAIL: eval JSON realism"; failures=$((failures + 1)); }
# The standard FID, KID and IS through a narrow random stand-in of pytorch-fid's Inception weights
# (same keys, kernels and legacy .pth format): the path, not the numbers.
inception="$(dirname "$0")/fixtures/inception/inception_standin.pth"
"$ganvas" eval --checkpoint "$work/run" --data "$work/data" --limit 12 --json "$work/eval3.json" --realism-inception "$inception" --threads 1 > "$work/eval3.log" 2>&1
check "eval with the standard Inception realism" 0 $? "$work/eval3.log" "standard realism on Inception-v3"
grep -q '"fid_inception"' "$work/eval3.json" && grep -q '"is_inception"' "$work/eval3.json" || { echo "FAIL: eval JSON Inception"; failures=$((failures + 1)); }
"$ganvas" eval --checkpoint "$work/run" --data "$work/data" --realism-inception "$vgg" > "$work/eval3b.log" 2>&1
check "VGG weights given as Inception's are named" 1 $? "$work/eval3b.log" "Conv2d_1a_3x3"
# Request parameters for every evaluated image: a bins-head colorizer decoded more vividly.
"$ganvas" train --data "$work/data" --out "$work/bins" --steps 2 --set head=bins "${tiny[@]}" > "$work/bins.log" 2>&1
check "train a bins-head colorizer" 0 $? "$work/bins.log"
"$ganvas" eval --checkpoint "$work/bins" --data "$work/data" --param temperature=0.2 --json "$work/eval4.json" --threads 1 > "$work/eval4.log" 2>&1
check "eval --param temperature" 0 $? "$work/eval4.log"
grep -q '"temperature"' "$work/eval4.json" || { echo "FAIL: eval JSON lacks its parameters"; failures=$((failures + 1)); }
"$ganvas" colorize --checkpoint "$work/bins" "$work/in/a.png" --out "$work/out4" --param temperature=0.1 --threads 1 > "$work/c4.log" 2>&1
check "colorize --param temperature" 0 $? "$work/c4.log"
"$ganvas" eval --checkpoint "$work/bins" --data "$work/data" --param warmth=3 > "$work/eval4b.log" 2>&1
check "eval with an unknown parameter" 2 $? "$work/eval4b.log" "warmth"
# A decode option set at export: the export decodes as the source with that request parameter.
"$ganvas" export --checkpoint "$work/bins" --out "$work/vivid.pt" --set decode_temperature=0.1 > "$work/x1.log" 2>&1
check "export --set decode_temperature" 0 $? "$work/x1.log" "exported colorizer"
"$ganvas" colorize --checkpoint "$work/vivid.pt" "$work/in/a.png" --out "$work/out5" --threads 1 > "$work/c5.log" 2>&1
check "colorize with the export" 0 $? "$work/c5.log"
cmp -s "$work/out4/a.png" "$work/out5/a.png" || { echo "FAIL: the export does not decode at its decode_temperature"; failures=$((failures + 1)); }
"$ganvas" export --checkpoint "$work/bins" --out "$work/other.pt" --set adv_weight=1 > "$work/x2.log" 2>&1
check "export --set of a training option" 2 $? "$work/x2.log" "only how the weights are decoded"
[[ ! -e "$work/other.pt" ]] || { echo "FAIL: a refused export left a file"; failures=$((failures + 1)); }

# Bad input: usage errors exit 2, failures exit 1, and the message names the culprit.
"$ganvas" train --data "$work/data" > "$work/e1.log" 2>&1;                        check "missing --out" 2 $? "$work/e1.log" "--out"
"$ganvas" train --data "$work/data" --out "$work/x" --device tpu > "$work/e2.log" 2>&1;   check "bad --device" 2 $? "$work/e2.log" "--device"
"$ganvas" train --data "$work/data" --out "$work/x" --batch 0 "${tiny[@]:0:7}" > "$work/e3.log" 2>&1; check "bad --batch" 2 $? "$work/e3.log" "--batch"
"$ganvas" train --data "$work/nowhere" --out "$work/y" "${tiny[@]}" > "$work/e4.log" 2>&1;  check "missing data folder" 1 $? "$work/e4.log" "nowhere"
mkdir -p "$work/empty"
"$ganvas" train --data "$work/empty" --out "$work/z" "${tiny[@]}" > "$work/e5.log" 2>&1;  check "empty data folder" 1 $? "$work/e5.log" "no images"
head -c 1000 "$work/run/checkpoint.pt" > "$work/cut.pt"
"$ganvas" eval --checkpoint "$work/cut.pt" --data "$work/data" > "$work/e6.log" 2>&1;   check "truncated checkpoint" 1 $? "$work/e6.log" "cut.pt"
"$ganvas" eval --checkpoint "$work/run" --data "$work/data" --realism-vgg "$work/no-vgg.pth" > "$work/e6b.log" 2>&1
check "missing realism weights named" 1 $? "$work/e6b.log" "no-vgg.pth"
"$ganvas" colorize --checkpoint "$work/run" "$work/in/a.png" --out /proc/ganvas-unwritable > "$work/e7.log" 2>&1
check "unwritable output folder" 1 $? "$work/e7.log" "ganvas-unwritable"
"$ganvas" bogus > "$work/e8.log" 2>&1;                                              check "unknown subcommand" 2 $? "$work/e8.log"
"$ganvas" train --model stylegan --data "$work/data" --out "$work/w" > "$work/e9.log" 2>&1; check "unknown model" 2 $? "$work/e9.log" "stylegan"

# The model registry: every model is listed, documents its options, and rejects an unknown key.
"$ganvas" models > "$work/models.log" 2>&1;                                          check "models" 0 $? "$work/models.log" "colorizer"
"$ganvas" models --json > "$work/models.json" 2>&1;                                   check "models --json" 0 $? "$work/models.json" '"inputs"'
"$ganvas" train --model pix2pix --help > "$work/help.log" 2>&1;                      check "train --model pix2pix --help" 0 $? "$work/help.log" "lambda_L1"
names=$("$ganvas" models --names)
[[ $(echo "$names" | wc -l) -ge 3 ]] || { echo "FAIL: models --names: $names"; failures=$((failures + 1)); }
for name in $names; do
    "$ganvas" models "$name" > "$work/m_$name.log" 2>&1;                             check "models $name" 0 $? "$work/m_$name.log" "$name"
    "$ganvas" train --model "$name" --data "$work/data" --out "$work/k_$name" --set no_such_key=1 > "$work/k_$name.log" 2>&1
    check "$name rejects --set no_such_key=1" 2 $? "$work/k_$name.log" "no_such_key"
    [[ ! -e "$work/k_$name" ]] || { echo "FAIL: $name: a rejected run left $work/k_$name"; failures=$((failures + 1)); }
done
"$ganvas" train --data "$work/data" --out "$work/v" --lambda-L1 10 "${tiny[@]}" > "$work/e10.log" 2>&1
check "a flag of another model" 2 $? "$work/e10.log" "--lambda-L1"

finish cli_smoke
