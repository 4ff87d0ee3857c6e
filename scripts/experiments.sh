#!/usr/bin/env bash
# Reproduces the README's results: each plain model against its Spatial Transformer counterpart on RTS-distorted
# Fashion-MNIST (the full 60,000 / 10,000 sets), the same budget for both, over several seeds; prints the table.
#   scripts/experiments.sh                      # all four models, seeds 1 2 3, 6 epochs
#   EPOCHS=6 SEEDS="1 2 3" MODELS="cnn st-cnn" scripts/experiments.sh
# Needs the data: apt-get install dataset-fashion-mnist (or DATA=/path/to/idx-folder).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
EPOCHS=${EPOCHS:-6}
SEEDS=${SEEDS:-"1 2 3"}
MODELS=${MODELS:-"fcn st-fcn cnn st-cnn"}
DATA=${DATA:-/usr/share/datasets/fashion-mnist}
OUT=${OUT:-out/experiments}
if [ ! -d "$DATA" ]; then
    echo "no Fashion-MNIST at $DATA: apt-get install dataset-fashion-mnist, or set DATA=folder-with-idx-files" >&2
    exit 1
fi
JAR=$(scripts/build-cli.sh) # the library and the command line's jar, built if missing or out of date
# run from a copy, so that rebuilding cli/target during the runs cannot pull the jar from under them
mkdir -p "$OUT"
cp "$JAR" "$OUT/stn4j-cli.jar"
JAVA=(java --add-modules=jdk.incubator.vector --enable-native-access=ALL-UNNAMED -jar "$OUT/stn4j-cli.jar")
for seed in $SEEDS; do
    for model in $MODELS; do
        run="$OUT/$model-seed$seed"
        echo "== $model, seed $seed: ${JAVA[*]} train --model $model --distortion rts --data $DATA --epochs $EPOCHS --seed $seed --quiet --out $run"
        start=$(date +%s)
        "${JAVA[@]}" train --model "$model" --distortion rts --data "$DATA" \
            --epochs "$EPOCHS" --seed "$seed" --quiet --out "$run" > "$run.log" 2>&1
        echo "   $(tail -1 "$run.log") ($(( $(date +%s) - start )) s)"
    done
done
echo
echo "RTS Fashion-MNIST, $EPOCHS epochs, seeds $SEEDS: test error, mean and spread (max - min) over the seeds"
echo "| model | parameters | test errors | mean | spread |"
echo "|---|---:|---|---:|---:|"
for model in $MODELS; do
    errs=""
    for seed in $SEEDS; do errs="$errs $(tail -1 "$OUT/$model-seed$seed.log" | sed 's/test error: \(.*\)%/\1/')"; done
    params=$(grep -o '[0-9,]* parameters' "$OUT/$model-seed${SEEDS%% *}.log" | head -1 | cut -d' ' -f1)
    echo "$errs" | awk -v m="$model" -v p="$params" '{ s = 0; mn = 1e9; mx = -1e9; list = "";
        for (i = 1; i <= NF; i++) { s += $i; if ($i < mn) mn = $i; if ($i > mx) mx = $i; list = list (i > 1 ? ", " : "") $i "%" }
        printf "| %s | %s | %s | %.2f%% | %.2f |\n", m, p, list, s / NF, mx - mn }'
done
