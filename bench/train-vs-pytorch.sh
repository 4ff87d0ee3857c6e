#!/usr/bin/env bash
# Training speed side by side with PyTorch (the training-speed issue's measurement): for each round, each thread count
# and each model, `stn4j train` and the PyTorch peer (the same models, distortion and budget) run one after the
# other, so a ratio divides runs minutes apart at most on this drifting VM. Prints the second epoch's images/s of
# every run and, per model and thread count, the median and minimum of each side and the median ratio.
#   bench/train-vs-pytorch.sh [ROUNDS] [MODELS] [THREADS]   defaults: 3, "fcn st-fcn cnn st-cnn", "2 1"
# PEER (default ../shared/peers/torch_train.py) is the peer script, run with /usr/bin/python3 (Debian's PyTorch).
# Results: bench/target/train-vs-pytorch/runs.tsv and table.md.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-3}
MODELS=${2:-fcn st-fcn cnn st-cnn}
THREADS=${3:-2 1}
PEER=${PEER:-../shared/peers/torch_train.py}
OUT=bench/target/train-vs-pytorch
mkdir -p "$OUT"
./stn4j info > /dev/null # build first, outside the timed runs
printf 'round\tthreads\tmodel\tside\timages_per_s\n' > "$OUT/runs.tsv"
for round in $(seq 1 "$ROUNDS"); do
    for t in $THREADS; do
        for m in $MODELS; do
            s=$(./stn4j train --model "$m" --distortion rts --train-limit 10000 --epochs 2 --threads "$t" --seed 1 \
                    --out "$OUT/out-$m" 2>/dev/null | tr '\r' '\n' | sed -n 's/^epoch 2\/2: .*, \([0-9.]*\) images\/s$/\1/p')
            p=$(/usr/bin/python3 "$PEER" "$m" 2 "$t" 1 10000 2>/dev/null | sed -n 's/^epoch 2: \([0-9.]*\) images\/s.*/\1/p')
            printf '%s\t%s\t%s\tstn4j\t%s\n%s\t%s\t%s\tpytorch\t%s\n' "$round" "$t" "$m" "$s" "$round" "$t" "$m" "$p" \
                | tee -a "$OUT/runs.tsv"
        done
    done
done
/usr/bin/python3 - "$OUT/runs.tsv" <<'PY' | tee "$OUT/table.md"
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
keys = []
for r in rows:
    k = (r["threads"], r["model"])
    if k not in keys: keys.append(k)
print("| threads | model | stn4j images/s (median, min) | PyTorch images/s (median, min) | ratio of medians | per-round ratios |")
print("|---:|---|---:|---:|---:|---|")
for t, m in keys:
    side = lambda s: [float(r["images_per_s"]) for r in rows if (r["threads"], r["model"], r["side"]) == (t, m, s)
                      and r["images_per_s"]]
    a, b = side("stn4j"), side("pytorch")
    if not a or not b: continue
    per = [x / y for x, y in zip(a, b)]
    print(f"| {t} | {m} | {statistics.median(a):,.0f} ({min(a):,.0f}) | {statistics.median(b):,.0f} ({min(b):,.0f}) "
          f"| {statistics.median(a) / statistics.median(b):.2f}x | {', '.join(f'{r:.2f}' for r in per)} |")
PY
