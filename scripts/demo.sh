#!/usr/bin/env bash
# The main job: builds stn4j (library and command line, through ./stn4j), then the default demo: a plain CNN against
# its Spatial Transformer counterpart on RTS-distorted Fashion-MNIST (the subset shipped in
# cli/src/demo/fashion-mnist-subset), the same budget for both; prints the table of their test errors and writes the
# pictures under out/demo/ (inputs beside what the transformer made of them, training curves). Then warps the shipped
# test card. About 30 s on 2 cores after the build. Extra arguments go to the demo command (./stn4j demo --help).
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p out
./stn4j info
./stn4j demo --out out/demo "$@"
for padding in zeros border reflection; do
    ./stn4j warp -i cli/src/demo/testcard.png -o "out/warped-$padding.png" \
        --rotate 30 --scale 0.6 --shift-x 0.1 --padding "$padding"
done
echo "pictures: out/demo/st-cnn/rectified.png out/demo/*/curve.png $(ls out/warped-*.png | tr '\n' ' ')"
