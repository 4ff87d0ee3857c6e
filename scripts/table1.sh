#!/usr/bin/env bash
# Reruns Table 1 (left) of the Spatial Transformer paper (Jaderberg et al. 2015) on Fashion-MNIST: the distortions
# R, RTS, P, E (columns) against FCN, CNN, ST-FCN Aff/Proj/TPS and ST-CNN Aff/Proj/TPS (rows), one seed for the whole
# table and three for the RTS column: 4 x 8 + 2 x 8 = 48 runs of `stn4j train`. The models and the optimiser are those
# of scripts/experiments.sh (each plain model matched to its ST twin's parameter count; Adam, lr 1e-3 halved at 60 %
# and 80 % of the epochs, batch 64, the full 60,000 / 10,000 sets); only the epochs are fewer, so that the whole table
# fits in about 29 minutes on 2 quiet cores (the measurements behind the default budget: docs/table1.md).
#
#   scripts/table1.sh                                   # the table, default budget, into out/table1/
#   RESULTS=docs/results/table1 scripts/table1.sh       # the same, and the logs, table and pictures into the docs
#   EPOCHS=1 TRAIN_LIMIT=2000 RTS_SEEDS=1 scripts/table1.sh          # a smoke test of the script (a few minutes)
#   DISTORTIONS="rts" MODELS="cnn st-cnn:tps" scripts/table1.sh      # a part of the table
#
# Settings (environment): EPOCHS (3), TRAIN_LIMIT (0: all 60,000 training images), SEED (1: every column),
# RTS_SEEDS ("1 2 3": the RTS column; the other columns use SEED), DISTORTIONS ("r rts p e"),
# MODELS ("fcn cnn st-fcn:aff st-fcn:proj st-fcn:tps st-cnn:aff st-cnn:proj st-cnn:tps", model:transform),
# THREADS (all cores), DATA (/usr/share/datasets/fashion-mnist), OUT (out/table1), RESULTS (none: where to copy the
# logs, the table and the pictures), RESUME (0; 1 keeps the runs whose log already ends with a test error).
# Writes: OUT/table1.md (the table, the budget, each run's command, time and parameters), OUT/logs/*.log (one per run),
# OUT/runs/*/ (each run's --out: model.bin, metrics.csv, curve.png, rectified.png), OUT/pictures/*.png (the rectified
# test inputs of every ST run of seed SEED, one per distortion, model and transform).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
EPOCHS=${EPOCHS:-3}
TRAIN_LIMIT=${TRAIN_LIMIT:-0}
SEED=${SEED:-1}
RTS_SEEDS=${RTS_SEEDS:-"1 2 3"}
DISTORTIONS=${DISTORTIONS:-"r rts p e"}
MODELS=${MODELS:-"fcn cnn st-fcn:aff st-fcn:proj st-fcn:tps st-cnn:aff st-cnn:proj st-cnn:tps"}
THREADS=${THREADS:-}
DATA=${DATA:-/usr/share/datasets/fashion-mnist}
OUT=${OUT:-out/table1}
RESULTS=${RESULTS:-}
RESUME=${RESUME:-0}
if [ ! -d "$DATA" ]; then
    echo "no Fashion-MNIST at $DATA: apt-get install dataset-fashion-mnist, or set DATA=folder-with-idx-files" >&2
    exit 1
fi

seeds_of() { if [ "$1" = rts ]; then echo "$RTS_SEEDS"; else echo "$SEED"; fi; }
model_of() { echo "${1%%:*}"; }
transform_of() { case $1 in *:*) echo "${1#*:}" ;; *) echo "" ;; esac; }
name_of() { local t; t=$(transform_of "$1"); echo "$(model_of "$1")${t:+-$t}"; } # st-cnn:tps -> st-cnn-tps
label_of() { # the paper's row names
    local m t
    m=$(model_of "$1"); t=$(transform_of "$1")
    m=$(echo "$m" | tr '[:lower:]' '[:upper:]')
    case $t in aff) t=" Aff" ;; proj) t=" Proj" ;; tps) t=" TPS" ;; *) t="" ;; esac
    echo "$m$t"
}
runs=0
for d in $DISTORTIONS; do for s in $(seeds_of "$d"); do for m in $MODELS; do runs=$((runs + 1)); done; done; done

JAR=$(scripts/build-cli.sh) # the library and the command line's jar, built if missing or out of date
# run from a copy, so that rebuilding cli/target during the runs cannot pull the jar from under them
mkdir -p "$OUT/logs" "$OUT/runs" "$OUT/pictures"
cp "$JAR" "$OUT/stn4j-cli.jar"
JAVA=(java --add-modules=jdk.incubator.vector --enable-native-access=ALL-UNNAMED -jar "$OUT/stn4j-cli.jar")
HAS_TRANSFORM=1
if ! "${JAVA[@]}" train --help 2>/dev/null | grep -q -- '--transform'; then
    HAS_TRANSFORM=0 # a build from before `train --transform`: only the affine transformer exists
fi

COMMIT=$(git describe --always --dirty 2>/dev/null || echo unknown)
CPU=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -1)
CPU="$CPU (family $(sed -n 's/^cpu family[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -1), model $(sed -n \
    's/^model[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -1))"
BUDGET="EPOCHS=$EPOCHS TRAIN_LIMIT=$TRAIN_LIMIT SEED=$SEED RTS_SEEDS=\"$RTS_SEEDS\" DISTORTIONS=\"$DISTORTIONS\""
BUDGET="$BUDGET MODELS=\"$MODELS\"${THREADS:+ THREADS=$THREADS}"
TEMPLATE="${JAVA[*]} train --model M [--transform T] --distortion D --data $DATA --epochs $EPOCHS"
TEMPLATE="$TEMPLATE --train-limit $TRAIN_LIMIT --seed S${THREADS:+ --threads $THREADS} --quiet --out $OUT/runs/D-M[-T]-seedS"
{
    echo "# Table 1 on Fashion-MNIST: $runs runs"
    echo
    echo "- command: \`$BUDGET scripts/table1.sh\`"
    echo "- budget: $EPOCHS epochs of $([ "$TRAIN_LIMIT" = 0 ] && echo "all" || echo "the first $TRAIN_LIMIT")" \
         "training images each; batch 64; Adam, lr 1e-3 halved at 60 % and 80 % of the epochs;" \
         "threads: ${THREADS:-all $(nproc)}; the test error on all 10,000 test images after the last epoch" \
         "(the default budget, 3 epochs of all images, takes about 29 min on 2 quiet cores: docs/table1.md)"
    echo "- each run: \`$TEMPLATE\`"
    echo "- commit $COMMIT; $CPU, $(nproc) cores; load average at the start: $(cut -d' ' -f1-3 /proc/loadavg); $(date -u '+%Y-%m-%d %H:%M UTC')"
    [ "$HAS_TRANSFORM" = 1 ] || echo "- this build has no \`train --transform\`: only the affine (Aff) rows run"
} | tee "$OUT/header.md"
echo

START=$(date +%s)
i=0
for d in $DISTORTIONS; do
    for s in $(seeds_of "$d"); do
        for m in $MODELS; do
            i=$((i + 1))
            model=$(model_of "$m"); transform=$(transform_of "$m"); name=$(name_of "$m")
            run="$d-$name-seed$s"
            log="$OUT/logs/$run.log"
            args=(train --model "$model" --distortion "$d" --data "$DATA" --epochs "$EPOCHS" --train-limit "$TRAIN_LIMIT"
                  --seed "$s" ${THREADS:+--threads "$THREADS"} --quiet --out "$OUT/runs/$run")
            if [ -n "$transform" ]; then
                if [ "$HAS_TRANSFORM" = 1 ]; then
                    args+=(--transform "$transform")
                elif [ "$transform" != aff ]; then
                    echo "== [$i/$runs] $run: skipped (no --transform in this build)"
                    continue
                fi
            fi
            if [ "$RESUME" = 1 ] && [ -s "$log" ] && tail -1 "$log" | grep -q '^test error: '; then
                echo "== [$i/$runs] $run: kept ($(tail -1 "$log"))"
                continue
            fi
            echo "== [$i/$runs] $run: ${JAVA[*]} ${args[*]}"
            t0=$(date +%s)
            if "${JAVA[@]}" "${args[@]}" > "$log" 2>&1; then
                echo "   $(tail -1 "$log") ($(( $(date +%s) - t0 )) s; $(( ($(date +%s) - START) / 60 )) min so far)"
            else
                echo "   FAILED after $(( $(date +%s) - t0 )) s: see $log" # the table shows it; the other runs go on
            fi
            echo "seconds: $(( $(date +%s) - t0 ))" > "$OUT/runs/$run.time"
            if [ -n "$transform" ] && [ "$s" = "$SEED" ] && [ -f "$OUT/runs/$run/rectified.png" ]; then
                cp "$OUT/runs/$run/rectified.png" "$OUT/pictures/$d-$name.png"
            fi
        done
    done
done
TOTAL=$(( $(date +%s) - START ))

# ---------------------------------------------------------------- the tables
error_of() { # the run's test error in %, or "-" (not run) / "failed"
    local log="$OUT/logs/$1.log"
    if [ ! -s "$log" ]; then echo "-"; return; fi
    tail -1 "$log" | sed -n 's/^test error: \([0-9.]*\)%$/\1/p' | grep . || echo failed
}
cell_of() { # one distortion and model: the error, or for several seeds "mean ± half the range"
    local d=$1 m=$2 errs="" s
    for s in $(seeds_of "$d"); do errs="$errs $(error_of "$d-$(name_of "$m")-seed$s")"; done
    echo "$errs" | awk '{ n = 0; bad = ""; s = 0; mn = 1e9; mx = -1e9
        for (i = 1; i <= NF; i++) { if ($i !~ /^[0-9.]+$/) { bad = $i; continue } n++; s += $i; if ($i < mn) mn = $i; if ($i > mx) mx = $i }
        if (n == 0) { print (bad == "" ? "-" : bad); exit }
        if (NF == 1) { printf "%.2f", s; exit }
        printf "%.2f ± %.2f%s", s / n, (mx - mn) / 2, (n < NF ? " (" n " of " NF ")" : "") }'
}
{
    cat "$OUT/header.md"
    echo "- wall time of this invocation ($runs runs$([ "$RESUME" = 1 ] && echo ", the kept ones not timed")): $((TOTAL / 60)) min $((TOTAL % 60)) s"
    echo
    echo "Test error (%) on distorted Fashion-MNIST. RTS: mean ± half the range over seeds $RTS_SEEDS (every seed lies"
    echo "within); the other columns: seed $SEED."
    echo
    printf "| model |"; for d in $DISTORTIONS; do printf " %s |" "$(echo "$d" | tr '[:lower:]' '[:upper:]')"; done; echo
    printf "|---|"; for d in $DISTORTIONS; do printf -- "---:|"; done; echo
    for m in $MODELS; do
        printf "| %s |" "$(label_of "$m")"
        for d in $DISTORTIONS; do printf " %s |" "$(cell_of "$d" "$m")"; done
        echo
    done
    if echo " $DISTORTIONS " | grep -q ' rts ' && [ "$(echo "$RTS_SEEDS" | wc -w)" -gt 1 ]; then
        echo
        echo "RTS, each seed (%):"
        echo
        printf "| model |"; for s in $RTS_SEEDS; do printf " seed %s |" "$s"; done; echo
        printf "|---|"; for s in $RTS_SEEDS; do printf -- "---:|"; done; echo
        for m in $MODELS; do
            printf "| %s |" "$(label_of "$m")"
            for s in $RTS_SEEDS; do printf " %s |" "$(error_of "rts-$(name_of "$m")-seed$s")"; done
            echo
        done
    fi
    echo
    echo "Parameters and wall time of each run (seed $SEED; RTS: the mean over its seeds), seconds:"
    echo
    printf "| model |"; for d in $DISTORTIONS; do printf " %s params | %s s |" "${d^^}" "${d^^}"; done; echo
    printf "|---|"; for d in $DISTORTIONS; do printf -- "---:|---:|"; done; echo
    for m in $MODELS; do
        printf "| %s |" "$(label_of "$m")"
        for d in $DISTORTIONS; do
            first=$(seeds_of "$d" | awk '{print $1}')
            params=$( (grep -o '[0-9,]* parameters' "$OUT/logs/$d-$(name_of "$m")-seed$first.log" 2>/dev/null || true) \
                | head -1 | cut -d' ' -f1)
            secs=$(for s in $(seeds_of "$d"); do cat "$OUT/runs/$d-$(name_of "$m")-seed$s.time" 2>/dev/null || true; done \
                | awk '{ s += $2; n++ } END { if (n) printf "%.0f", s / n; else printf "-" }')
            printf " %s | %s |" "${params:--}" "$secs"
        done
        echo
    done
    echo
    echo "Pictures (test inputs beside what each transformer made of them, seed $SEED), in pictures/ beside this file:"
    ls "$OUT/pictures" 2>/dev/null | sed 's/^/- /'
} > "$OUT/table1.md"
echo
cat "$OUT/table1.md"
if [ -n "$RESULTS" ]; then
    mkdir -p "$RESULTS/logs" "$RESULTS/pictures"
    cp "$OUT/table1.md" "$RESULTS/"
    cp "$OUT"/logs/*.log "$RESULTS/logs/"
    cp "$OUT"/pictures/*.png "$RESULTS/pictures/" 2>/dev/null || true
    echo
    echo "copied the table, the logs and the pictures to $RESULTS/"
fi
