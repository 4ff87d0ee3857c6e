#!/usr/bin/env python3
"""Prints JMH CSV results (bench/run.sh) as one markdown table: a row per operation, shape, mode and thread count;
a column per stn4j backend and per peer (ms per call, lower is better); and PyTorch's time over stn4j's best.
A sample-mode result (-bm sample) shows its median (the p0.50 row), an average-time result its mean. A result that
two files both hold keeps the first file's (the files come in name order). Then, for each file that measured 1 and 2
threads side by side, the speed-up: this VM drifts too much over minutes for a ratio of two runs apart to mean much."""
import csv
import sys
from collections import defaultdict

COLS = ["NATIVE_AVX512", "NATIVE_AVX2", "NATIVE_SCALAR", "VECTOR_API", "JAVA_SCALAR", "PyTorch", "OpenCV", "BoofCV"]
rows = defaultdict(dict)
copy = {}
alloc = []
threads_in_file = defaultdict(dict)  # (file, op, shape, mode, column) -> {threads: score}
for path in sys.argv[1:]:
    with open(path) as f:
        for r in csv.DictReader(f):
            name = r["Benchmark"]
            if r["Mode"] == "sample":
                # the median row stands for the benchmark; the mean and the other percentiles are left out
                if not name.endswith(":p0.50"):
                    continue
                name = name[: -len(":p0.50")]
            elif ":" in name:
                # secondary metrics (-prof gc): keep the bytes allocated per operation
                if name.endswith("gc.alloc.rate.norm"):
                    alloc.append((name.split(":")[0].rsplit(".", 1)[-1], r.get("Param: backend", ""),
                                  r.get("Param: shape", ""), float(r["Score"])))
                continue
            bench = name.rsplit(".", 2)
            cls, op = bench[-2], bench[-1]
            shape = r.get("Param: shape", "")
            mode = r.get("Param: mode", "") or "BILINEAR"
            threads = r.get("Param: threads", "") or "1"
            score = float(r["Score"])
            if cls == "BandwidthBench":
                copy[shape] = score
                continue
            if op == "affineGrid":
                mode = "-"
            col = {"PyTorchBench": "PyTorch", "OpenCvBench": "OpenCV", "BoofCvBench": "BoofCV"}.get(cls)
            if cls == "StnBench":
                col = r["Param: backend"]
                if r.get("Param: memory", "OFF_HEAP") == "HEAP":
                    op += " (heap)"
            rows[(op, shape, mode, threads)].setdefault(col, score)
            threads_in_file[(path, op, shape, mode, col)][threads] = score

def fmt(ms):
    # three significant digits down to the tiny shape's microsecond calls
    return "%.5f" % ms if ms < 0.01 else "%.4f" % ms if ms < 0.1 else "%.3f" % ms


order = {"affineGrid": 0, "forward": 1, "forward (heap)": 2, "backward": 3}
shapes = {"tiny": 0, "mnist": 1, "imagenet": 2, "featmap": 3, "large": 4}
print("| op | shape | mode | threads | " + " | ".join(COLS) + " | PyTorch / best stn4j | copy bound |")
print("|---|---|---|---:|" + "---:|" * len(COLS) + "---:|---:|")
for key in sorted(rows, key=lambda k: (order.get(k[0], 9), shapes.get(k[1], 9), k[2], k[3])):
    op, shape, mode, threads = key
    r = rows[key]
    cells = [fmt(r[c]) if c in r else "" for c in COLS]
    native = [r[c] for c in COLS[:5] if c in r]
    ratio = ("%.1fx" % (r["PyTorch"] / min(native))) if "PyTorch" in r and native else ""
    bound = fmt(copy[shape]) if shape in copy and op.startswith("forward") else ""
    print("| %s | %s | %s | %s | %s | %s | %s |" % (op, shape, mode, threads, " | ".join(cells), ratio, bound))

if alloc:
    print()
    print("Java heap allocated per call (JMH -prof gc, gc.alloc.rate.norm):")
    for op, backend, shape, b in alloc:
        print("- %s %s %s: %.0f bytes" % (op, backend, shape, b))

speedups = [(k, t["1"] / t["2"]) for k, t in threads_in_file.items() if "1" in t and "2" in t]
if speedups:
    print()
    print("2 threads over 1, both measured in the same run:")
    for (path, op, shape, mode, col), x in sorted(speedups, key=lambda e: e[0][1:]):
        print("- %s %s %s %s: %.2fx" % (op, shape, mode, col, x))
