#!/usr/bin/env bash
# The studio in a real browser: `ganvas serve` on a free loopback port with a tiny pix2pix, then
# tests/studio_browser.py drives Debian's headless Chromium through it (draw, run, seeds, errors,
# a photo traced into a sketch); then `ganvas serve` with no model flags, the shipped models/, each
# used in the browser. Screenshots go to ARTIFACTS. Usage: cli_studio.sh ganvas ARTIFACTS
set -uo pipefail
ganvas=$1
artifacts=$2
source "$(dirname "$0")/cli_lib.sh"
tiny=(--model pix2pix --netG resnet_6blocks --set ngf=4 --set ndf=4 --size 32 --load-size 36 --threads 1)
"$ganvas" data synth --ab --out "$work/ab" --count 4 --size 24 > "$work/synth.log" 2>&1
"$ganvas" train --data "$work/ab" --out "$work/run" --steps 1 --val-ratio 0.25 "${tiny[@]}" > "$work/train.log" 2>&1
check "train a tiny pix2pix" 0 $? "$work/train.log"
"$ganvas" data synth --out "$work/photos" --count 1 --size 96 > "$work/synth2.log" 2>&1
photo=$(find "$work/photos" -name '*.png' | head -1)

start_server "$work/serve.log" --model shoes="$work/run"
status=$(curl -s -o "$work/page.html" -w '%{http_code}' "$url")
check "GET / serves the studio" 200 "$status"
grep -q '<canvas id="canvas"' "$work/page.html" || { echo "FAIL: the page lacks its canvas"; failures=$((failures + 1)); }
/usr/bin/python3 "$(dirname "$0")/studio_browser.py" "$url" "$photo" "$artifacts" > "$work/browser.log" 2>&1
check "the studio in headless Chromium" 0 $? "$work/browser.log"
cat "$work/browser.log"
kill -TERM $pid
wait $pid
check "the server stops cleanly" 0 $?

# What a newcomer gets: `ganvas serve` with no model flags serves the repository's models/; each in
# the browser with its own kind of input.
shipped=$(cd "$(dirname "$0")/../models" && pwd)
start_server "$work/serve2.log"
grep -q "the shipped models in $shipped" "$work/serve2.log" ||
    { echo "FAIL: serve without model flags did not load $shipped"; cat "$work/serve2.log"; failures=$((failures + 1)); }
/usr/bin/python3 "$(dirname "$0")/studio_browser.py" "$url" "$photo" "$artifacts" --shipped > "$work/browser2.log" 2>&1
check "the shipped models in headless Chromium" 0 $? "$work/browser2.log"
cat "$work/browser2.log"
kill -TERM $pid
wait $pid
check "the shipped models' server stops cleanly" 0 $?
finish cli_studio
