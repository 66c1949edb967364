#!/usr/bin/env bash
# Hostile flags, files and faults against the real binary: every case ends in exit 1 or 2 with a
# message naming the flag or file, never a signal; interrupted and killed runs resume with nothing
# lost. Usage: cli_hostile.sh path/to/ganvas
set -uo pipefail
ganvas=$1
source "$(dirname "$0")/cli_lib.sh"
tiny=(--size 16 --widths 4 4 8 8 --d-width 4 --batch 4 --threads 1)
no_file() { [[ ! -e "$1" ]] || { echo "FAIL: $2"; failures=$((failures + 1)); }; }

"$ganvas" data synth --out "$work/data" --count 24 --size 20 > "$work/synth.log" 2>&1
check "data synth" 0 $? "$work/synth.log"
"$ganvas" train --data "$work/data" --out "$work/run" --steps 2 --log-every 1 "${tiny[@]}" > "$work/train.log" 2>&1
check "train" 0 $? "$work/train.log"

# --- flags -----------------------------------------------------------------------------------
t() { "$ganvas" "$@" > "$work/flag.log" 2>&1; }
t train --data "$work/data" --out "$work/f1" --val-ratio nan "${tiny[@]}";   check "--val-ratio nan" 2 $? "$work/flag.log" "val-ratio"
t train --data "$work/data" --out "$work/f2" --time-budget nan "${tiny[@]}"; check "--time-budget nan" 2 $? "$work/flag.log" "time-budget"
t train --data "$work/data" --out "$work/f3" --workers 100000 "${tiny[@]}";  check "--workers 100000" 2 $? "$work/flag.log" "workers"
t train --data "$work/data" --out "$work/f4" --size 16 --threads 999999;     check "--threads 999999" 2 $? "$work/flag.log" "threads"
t train --data "$work/data" --out "$work/f5" --samples 100000 "${tiny[@]}";  check "--samples 100000 (train)" 2 $? "$work/flag.log" "samples"
t train --data "$work/data" --out "$work/f6" --set lambda_L1=1e999 "${tiny[@]}"; check "--set with an infinite number" 2 $? "$work/flag.log" "lambda_L1"
t translate --checkpoint "$work/run" "$work/data" --out "$work/f7" --samples 100000; check "--samples 100000 (translate)" 2 $? "$work/flag.log" "samples"
t edges "$work/data" --out "$work/f8" --detector classic --jobs 100000;      check "edges --jobs 100000" 2 $? "$work/flag.log" "jobs"
t edges "$work/data" --out "$work/f9" --detector classic --threshold nan;    check "edges --threshold nan" 2 $? "$work/flag.log" "threshold"
mkdir -p "$work/pred" "$work/gt"
t eval-edges "$work/pred" --gt "$work/gt" --max-dist 1e9;                    check "eval-edges --max-dist 1e9" 2 $? "$work/flag.log" "max-dist"
t eval-edges "$work/pred" --gt "$work/gt" --max-dist nan;                    check "eval-edges --max-dist nan" 2 $? "$work/flag.log" "max-dist"
t --max-image-pixels 0 models;                                               check "--max-image-pixels 0" 2 $? "$work/flag.log" "max-image-pixels"
t --image-formats png,gif models;                                            check "--image-formats gif" 2 $? "$work/flag.log" "gif"
printf '[train]\nsteps = 2\nbatchsize = 4\n' > "$work/bad.toml"
t --config "$work/bad.toml" train --data "$work/data" --out "$work/f10" "${tiny[@]}"; check "misspelled --config key" 2 $? "$work/flag.log" "batchsize"

# --- resume keeps what the run is made of ----------------------------------------------------
t train --out "$work/run" --resume --steps 3 --batch 8 --threads 1;          check "resume with another --batch" 2 $? "$work/flag.log" "was started with 4"
t train --out "$work/run" --resume --steps 3 --seed 9 --threads 1;           check "resume with another --seed" 2 $? "$work/flag.log" "--seed"
t train --out "$work/run" --resume --steps 3 --widths 8 8 8 8 --threads 1;   check "resume with another model option" 2 $? "$work/flag.log" "widths"
t train --out "$work/run" --resume --steps 3 --batch 4 --log-every 1 --size 16 --threads 1; check "resume with the same settings" 0 $? "$work/flag.log" "finished at step 3/3"

# --- image files -----------------------------------------------------------------------------
mkdir -p "$work/img"
cp "$work/data/synth_000000.png" "$work/img/good.png"
# A 57-byte PNG whose header declares 32768 x 32768 pixels (4 GB of RGB once decoded).
printf '\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR\x00\x00\x80\x00\x00\x00\x80\x00\x08\x02\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x49\x44\x41\x54\x00\x00\x00\x00\x00\x00\x00\x00\x49\x45\x4e\x44\xae\x42\x60\x82' > "$work/img/bomb.png"
printf '#?RADIANCE\nFORMAT=32-bit_rle_rgbe\n\n-Y 2 +X 2\n\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80' > "$work/img/radiance.png"
"$ganvas" colorize --checkpoint "$work/run" "$work/img" --out "$work/img_out" --threads 1 > "$work/img.log" 2>&1
check "colorize refuses a decompression bomb and an HDR file, writes the rest" 1 $? "$work/img.log" "bomb.png declares 32768x32768"
grep -q "radiance.png is a hdr file" "$work/img.log" || { echo "FAIL: HDR content behind .png not refused"; failures=$((failures + 1)); }
[[ -s "$work/img_out/good.png" ]] || { echo "FAIL: the good image was not written"; failures=$((failures + 1)); }
t colorize --checkpoint "$work/run" "$work/img/good.png" --out "$work/img_out2" --threads 1 --max-image-pixels 100
check "--max-image-pixels after the subcommand" 1 $? "$work/flag.log" "--max-image-pixels"
GANVAS_MAX_IMAGE_PIXELS=100 "$ganvas" colorize --checkpoint "$work/run" "$work/img/good.png" --out "$work/img_out3" --threads 1 > "$work/flag.log" 2>&1
check "GANVAS_MAX_IMAGE_PIXELS" 1 $? "$work/flag.log" "over the limit of 100 pixels"

# --- outputs stay under --out and never replace an input -------------------------------------
mkdir -p "$work/same" "$work/elsewhere" "$work/linked"
cp "$work/data/synth_000001.png" "$work/same/a.png"
cp "$work/data/synth_000002.png" "$work/same/b.png"
cp "$work/data/synth_000003.png" "$work/same/a.bmp"
before=$(md5sum "$work/same/a.png")
t colorize --checkpoint "$work/run" "$work/same" --out "$work/same" --threads 1
check "an output over another input is refused before anything is written" 1 $? "$work/flag.log" "overwrite an input"
[[ "$(md5sum "$work/same/a.png")" == "$before" ]] || { echo "FAIL: input a.png changed"; failures=$((failures + 1)); }
cp "$work/data/synth_000004.png" "$work/elsewhere/x.png"
ln -s "$work/elsewhere" "$work/linked/sub"
t colorize --checkpoint "$work/run" "$work/linked" --out "$work/lout" --threads 1
check "a linked input folder" 0 $? "$work/flag.log"
[[ -s "$work/lout/sub/x.png" ]] || { echo "FAIL: output of a linked folder not under --out"; failures=$((failures + 1)); }
[[ $(ls "$work/elsewhere") == "x.png" ]] || { echo "FAIL: something was written beside the linked input"; failures=$((failures + 1)); }
mkdir -p "$work/lout2" && ln -s "$work/elsewhere" "$work/lout2/sub"
t colorize --checkpoint "$work/run" "$work/linked" --out "$work/lout2" --threads 1
check "an output folder whose subfolder links elsewhere" 1 $? "$work/flag.log" "outside --out"
mkdir -p "$work/samp"
cp "$work/data/synth_000005.png" "$work/samp/p.bmp"   # read by content: a PNG named .bmp
cp "$work/data/synth_000006.png" "$work/samp/p_1.png"
t translate --checkpoint "$work/run" "$work/samp/p.bmp" "$work/samp/p_1.png" --out "$work/samp" --samples 2 --threads 1
check "a sample file over an input" 1 $? "$work/flag.log" "overwrite an input"
mkdir -p "$work/loop/inner"
cp "$work/data/synth_000007.png" "$work/loop/inner/q.png"
ln -s .. "$work/loop/inner/up"
t colorize --checkpoint "$work/run" "$work/loop" --out "$work/loop_out" --threads 1
check "a symlink loop in the input folder" 0 $? "$work/flag.log" "wrote 1 of 1"
mkdir -p "$work/utf"
cp "$work/data/synth_000008.png" "$work/utf/$(printf 'caf\xe9.png')"
t eval --checkpoint "$work/run" --data "$work/utf" --json "$work/utf.json" --threads 1
check "a non-UTF-8 file name in eval --json" 0 $? "$work/flag.log"
[[ -s "$work/utf.json" ]] || { echo "FAIL: eval JSON missing"; failures=$((failures + 1)); }
t train --data "$work/data" --out "$work/$(printf 'r\xff')" "${tiny[@]}" --steps 1
check "a non-UTF-8 run folder" 2 $? "$work/flag.log" "UTF-8"

# --- signals and faults ----------------------------------------------------------------------
interrupt_training TERM "$work/term" "$work/term.log" --data "$work/data" "${tiny[@]}"
check "SIGTERM checkpoints and exits 143" 143 $? "$work/term.log" "interrupted at step"

# SIGKILL at moments drawn from several seeds, each time resumed: the checkpoint found is always a
# complete one, and in the end every step is in losses.csv exactly once.
run="$work/killed"
total=300
"$ganvas" train --data "$work/data" --out "$run" --steps $total --log-every 1 --checkpoint-every 3 "${tiny[@]}" > "$work/k0.log" 2>&1 &
pid=$!
rows() { tail -n +2 "$run/losses.csv" 2>/dev/null | wc -l; }
for seed in 11 23 37 41 59; do
    RANDOM=$seed
    # Once this process has logged a step of its own, a moment drawn from the seed (0 to 1 s).
    before=$(rows)
    for _ in $(seq 1 400); do [[ $(rows) -gt $before ]] && break; sleep 0.05; done
    sleep "0.$((RANDOM % 10))$((RANDOM % 10))"
    kill -KILL $pid 2>/dev/null
    wait $pid 2>/dev/null
    if [[ -e "$run/checkpoint.pt" ]]; then
        "$ganvas" train --out "$run" --resume --steps $total --log-every 1 --checkpoint-every 3 --threads 1 > "$work/k$seed.log" 2>&1 &
    else
        rm -rf "$run"
        "$ganvas" train --data "$work/data" --out "$run" --steps $total --log-every 1 --checkpoint-every 3 "${tiny[@]}" > "$work/k$seed.log" 2>&1 &
    fi
    pid=$!
done
wait $pid
check "the run killed 5 times finishes" 0 $? "$work/k59.log" "finished at step $total/$total"
# The kills must land in the run, not before it starts or after it ends.
resumed=$(grep -l "resuming" "$work"/k[0-9]*.log | wc -l)
echo "  $resumed of 5 restarts resumed a checkpoint written before a SIGKILL"
[[ $resumed -ge 4 ]] || { echo "FAIL: only $resumed restarts found a checkpoint"; failures=$((failures + 1)); }
steps=$(tail -n +2 "$run/losses.csv" | cut -d, -f1 | tr '\n' ' ')
[[ "$steps" == "$(seq -s ' ' 1 $total) " ]] || { echo "FAIL: losses.csv steps after the kills: $steps"; failures=$((failures + 1)); }
no_file "$run/checkpoint.pt.tmp" "a temporary checkpoint was left behind"

# A full disk (a file-size limit) during a checkpoint: the previous checkpoint stays, the file is named.
cp "$run/checkpoint.pt" "$work/before.pt"
(ulimit -f 8; "$ganvas" train --out "$run" --resume --steps $((total + 4)) --checkpoint-every 1 --threads 1 > "$work/full.log" 2>&1)
check "a write past the file-size limit fails and names the file" 1 $? "$work/full.log" "$run"
cmp -s "$run/checkpoint.pt" "$work/before.pt" || { echo "FAIL: the previous checkpoint changed"; failures=$((failures + 1)); }
t train --out "$run" --resume --steps $((total + 2)) --threads 1
check "resume after the full disk" 0 $? "$work/flag.log" "finished at step $((total + 2))"

finish cli_hostile
