#!/usr/bin/env bash
# The main job: builds stn4j (Java + native), then the default demo: a plain CNN against its Spatial Transformer
# counterpart on RTS-distorted Fashion-MNIST (the subset shipped in src/demo/fashion-mnist-subset), the same budget
# for both; prints the table of their test errors and writes the pictures under out/demo/ (inputs beside what the
# transformer made of them, training curves). Then warps the shipped test card. About 3 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
mvn -B -ntp -q -DskipTests package
VERSION=$(sed -n 's/^version=//p' target/classes/io/github/stn4j/stn4j.properties)
CP="target/stn4j-$VERSION.jar:target/lib/*"
JVM=(--add-modules=jdk.incubator.vector --enable-native-access=ALL-UNNAMED)
stn4j() { java "${JVM[@]}" -cp "$CP" io.github.stn4j.cli.Main "$@" 2> >(grep -v 'incubator modules' >&2); }
mkdir -p out
stn4j info
stn4j demo --out out/demo "$@"
for padding in zeros border reflection; do
    stn4j warp -i src/demo/testcard.png -o "out/warped-$padding.png" \
        --rotate 30 --scale 0.6 --shift-x 0.1 --padding "$padding"
done
echo "pictures: out/demo/st-cnn/rectified.png out/demo/*/curve.png $(ls out/warped-*.png | tr '\n' ' ')"
