#!/usr/bin/env bash
# Makes the images README.md shows (docs/images/), from ganvas's own embedded synthetic data only:
# short training runs of the colorizer, pix2pix, SketchyGAN and style2paints, then their outputs on
# held-out images, and the classic edge detector on a generated photo. About 15 minutes on 2 cores.
# style2paints needs VGG-19 to relu3_1 for its style encoder (the third argument; default: the
# development copy in ../shared/weights); without it that row is skipped.
# Usage: bash scripts/make-readme-images.sh [build folder] [scratch folder] [vgg19_to_relu3_1.pth]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
work=${2:-$(mktemp -d)}
vgg=${3:-../shared/weights/vgg19-r31/vgg19_to_relu3_1.pth}
ganvas="$build/ganvas"
out=docs/images
mkdir -p "$work" "$out"
export GANVAS_PROGRESS=0

# Colorizer: the demo's recipe (a narrow generator, learning rate 4e-4), 3 minutes.
"$ganvas" data synth --out "$work/color/train" --count 2000 --size 64 --seed 1
"$ganvas" data synth --out "$work/color/test" --count 50 --size 64 --seed 2
[[ -e "$work/color/run/checkpoint.pt" ]] ||
    "$ganvas" train --model colorizer --data "$work/color/train" --out "$work/color/run" --widths 8 16 32 64 \
        --lr 4e-4 --steps 600 --time-budget 180
"$ganvas" eval --checkpoint "$work/color/run" --data "$work/color/test" --html "$work/color/eval" > /dev/null
for k in gray output truth; do cp "$work/color/eval/001_$k.png" "$out/colorizer_$k.png"; done

# pix2pix: edges -> image pairs at 64x64, a ResNet generator, 3 minutes.
"$ganvas" data synth --ab --out "$work/p2p/data" --count 1000 --size 64 --seed 3
[[ -e "$work/p2p/run/checkpoint.pt" ]] ||
    "$ganvas" train --model pix2pix --data "$work/p2p/data" --out "$work/p2p/run" --netG resnet_6blocks \
        --set ngf=32 --set ndf=32 --size 64 --load-size 72 --batch 4 --steps 2000 --time-budget 180 --val-ratio 0.1
"$ganvas" eval --checkpoint "$work/p2p/run" --data "$work/p2p/data" --split val --val-ratio 0.1 --limit 4 \
    --html "$work/p2p/eval" > /dev/null
for k in input output target; do cp "$work/p2p/eval/images/0001_$k.png" "$out/pix2pix_$k.png"; done

# SketchyGAN: the 4-class sketch set, a quarter of the released widths, no perceptual term, 3 minutes.
"$ganvas" data synth --sketch --out "$work/sketchy/data" --count 150 --size 64 --seed 4
[[ -e "$work/sketchy/run/checkpoint.pt" ]] ||
    "$ganvas" train --model sketchygan --data "$work/sketchy/data" --out "$work/sketchy/run" --set width=0.5 \
        --set lambda_perceptual=0 --batch 8 --steps 3000 --time-budget 180
"$ganvas" data synth --sketch --out "$work/sketchy/test" --count 2 --size 64 --seed 5  # never trained on
sketch=$(find "$work/sketchy/test" -name '*.png' | sort | head -1)
class=$(basename "$(dirname "$sketch")")
"$ganvas" translate --checkpoint "$work/sketchy/run" "$sketch" --ab right --class "$class" --samples 3 --seed 1 \
    --out "$work/sketchy/out"
name=$(basename "$sketch" .png)
for k in 0 1 2; do cp "$work/sketchy/out/${name}_$k.png" "$out/sketchygan_$k.png"; done

cp "$sketch" "$out/sketchygan_pair.png"

# The edge pipeline on a generated photo: the classic detector's map, then SketchyGAN's sketch steps.
"$ganvas" edges "$work/color/test/synth_000001.png" --out "$work/edges/map" --detector classic --stage probability
"$ganvas" edges "$work/color/test/synth_000001.png" --out "$work/edges/sketch" --detector classic --stage sketch
cp "$work/color/test/synth_000001.png" "$out/edges_photo.png"
cp "$work/edges/map/synth_000001.png" "$out/edges_probability.png"
cp "$work/edges/sketch/synth_000001.png" "$out/edges_sketch.png"
# style2paints: synthetic line art whose palette only the style image tells, 3 minutes; one held-out
# drawing painted with two held-out paintings.
if [[ -f "$vgg" ]]; then
    "$ganvas" data synth --lineart --out "$work/s2p/data" --count 600 --size 64 --seed 6
    "$ganvas" data synth --lineart --out "$work/s2p/test" --count 3 --size 64 --seed 7  # never trained on
    [[ -e "$work/s2p/run/checkpoint.pt" ]] ||
        "$ganvas" train --model style2paints --data "$work/s2p/data" --out "$work/s2p/run" --size 64 \
            --set ngf=16 --set ndf=16 --set hint_width=256 --set style_weights="$vgg" --batch 8 --steps 3000 \
            --time-budget 180
    drawing="$work/s2p/test/lineart/art_000000.png"
    for k in 1 2; do
        "$ganvas" translate --checkpoint "$work/s2p/run" "$drawing" --input style="$work/s2p/test/color/art_00000$k.png" \
            --out "$work/s2p/out$k"
        cp "$work/s2p/test/color/art_00000$k.png" "$out/style2paints_style$k.png"
        cp "$work/s2p/out$k/art_000000.png" "$out/style2paints_output$k.png"
    done
    cp "$drawing" "$out/style2paints_lineart.png"
else
    echo "no VGG-19 weights at $vgg: style2paints skipped" >&2
fi
echo "wrote $(ls "$out" | wc -l) images to $out"
