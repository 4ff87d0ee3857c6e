#!/usr/bin/env bash
# The main job: builds stn4j (Java + native) and warps the shipped test card with the Spatial Transformer's grid
# generator and sampler: rotated, scaled and shifted, once per padding mode. Pictures go to ./out/.
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
for padding in zeros border reflection; do
    stn4j warp -i src/demo/testcard.png -o "out/warped-$padding.png" \
        --rotate 30 --scale 0.6 --shift-x 0.1 --padding "$padding"
done
echo "pictures: $(ls out/warped-*.png | tr '\n' ' ')"
