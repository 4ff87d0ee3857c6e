#!/usr/bin/env python3
"""Prints bench/run.sh targets' results as one markdown table: a row per operation, shape, mode and backend, with
StnBench's three `call` values side by side: OUTPUTS (into given outputs), CLOSED (allocating call, results closed at
once) and GC (allocating call, results left to the garbage collector).

Usage: pairs.py target/results-targets/targets-*.csv
The round is read from the file name (`-r<k>-`), everything else from the CSV (sample mode, -bm sample).

Per round, a call's time is its median (JMH's p0.50 row). The table shows, over the rounds:
- OUTPUTS, CLOSED, GC: the median of the rounds' medians (ms per call);
- CLOSED/OUT, GC/OUT: the ratio computed within each round (the runs of one round are seconds apart, while this
  VM's speed drifts over minutes), then the median of those ratios;
- the targets: CLOSED within 1.15x of OUTPUTS, or within 0.03 ms (the per-round difference, median over rounds)
  when OUTPUTS takes under 0.2 ms; GC within 1.5x of OUTPUTS for calls of 1 ms or more (OUTPUTS median), '-' for
  shorter calls or when GC was not run;
- GC/OUT mean: the same ratio of the rounds' means (JMH's sample-mode score), for information: the median hides the
  collections the pool runs every few dozen calls when tensors are never closed, the mean counts them;
- min O / C / G: each call's fastest round (ms), and n: the number of rounds.
"""
import csv
import re
import statistics
import sys
from collections import defaultdict

CALLS = ["OUTPUTS", "CLOSED", "GC"]
CLOSED_RATIO, CLOSED_ABS_MS, CLOSED_ABS_BELOW_MS = 1.15, 0.03, 0.2
GC_RATIO, GC_FROM_MS = 1.5, 1.0

# (op, shape, mode, backend) -> call -> round -> {"p50": ms, "mean": ms}
data = defaultdict(lambda: defaultdict(lambda: defaultdict(dict)))
paths = sys.argv[1:]
if not paths:
    sys.exit("usage: pairs.py targets-<backend>-r<k>-<call>-....csv ...")
for path in paths:
    m = re.search(r"-r(\d+)-", path.rsplit("/", 1)[-1])
    if not m:
        sys.exit("%s: no round (-r<k>-) in the file name" % path)
    rnd = int(m.group(1))
    with open(path) as f:
        for r in csv.DictReader(f):
            if r["Mode"] != "sample":
                continue
            name = r["Benchmark"]
            if name.endswith(":p0.50"):
                stat, name = "p50", name[: -len(":p0.50")]
            elif ":" in name:
                continue  # the other percentiles
            else:
                stat = "mean"
            cls, op = name.rsplit(".", 2)[-2:]
            if cls != "StnBench":
                continue
            call = r.get("Param: call") or "OUTPUTS"
            mode = "-" if op == "affineGrid" else r["Param: mode"]
            key = (op, r["Param: shape"], mode, r["Param: backend"])
            data[key][call][rnd][stat] = float(r["Score"])


def fmt(ms):
    return "" if ms is None else "%.5f" % ms if ms < 0.01 else "%.4f" % ms if ms < 0.1 else "%.3f" % ms


def med(values):
    return statistics.median(values) if values else None


def per_round(calls, call, stat="p50"):
    return {k: v[stat] for k, v in calls.get(call, {}).items() if stat in v}


def ratios(calls, call, stat="p50"):
    """The call's time over OUTPUTS' within each round that ran both."""
    a, o = per_round(calls, call, stat), per_round(calls, "OUTPUTS", stat)
    return [a[k] / o[k] for k in sorted(a) if k in o]


order = {"affineGrid": 0, "forward": 1, "backward": 2}
shapes = {"tiny": 0, "mnist": 1, "imagenet": 2, "featmap": 3, "large": 4}
modes = {"-": 0, "BILINEAR": 1, "NEAREST": 2, "BICUBIC": 3}
print("| op | shape | mode | backend | OUTPUTS | CLOSED | GC | CLOSED/OUT | GC/OUT | CLOSED target | GC target "
      "| GC/OUT mean | min O / C / G | n |")
print("|---|---|---|---|---:|---:|---:|---:|---:|:---:|:---:|---:|---|---:|")
failed, passed = [], 0
for key in sorted(data, key=lambda k: (order.get(k[0], 9), shapes.get(k[1], 9), modes.get(k[2], 9), k[3])):
    op, shape, mode, backend = key
    calls = data[key]
    t = {c: med(list(per_round(calls, c).values())) for c in CALLS}
    lo = {c: min(per_round(calls, c).values(), default=None) for c in CALLS}
    rc, rg = med(ratios(calls, "CLOSED")), med(ratios(calls, "GC"))
    rg_mean = med(ratios(calls, "GC", "mean"))
    o, co = per_round(calls, "OUTPUTS"), per_round(calls, "CLOSED")
    diff = med([co[k] - o[k] for k in co if k in o])
    closed_ok = gc_ok = "-"
    if rc is not None:
        ok = rc <= CLOSED_RATIO or (t["OUTPUTS"] < CLOSED_ABS_BELOW_MS and diff <= CLOSED_ABS_MS)
        closed_ok = "pass" if ok else "**FAIL**"
        passed += ok
        if not ok:
            failed.append("%s %s %s %s CLOSED %.2fx" % (op, shape, mode, backend, rc))
    if rg is not None and t["OUTPUTS"] >= GC_FROM_MS:
        ok = rg <= GC_RATIO
        gc_ok = "pass" if ok else "**FAIL**"
        passed += ok
        if not ok:
            failed.append("%s %s %s %s GC %.2fx" % (op, shape, mode, backend, rg))
    n = max((len(calls.get(c, {})) for c in CALLS), default=0)
    x = lambda r: "" if r is None else "%.2fx" % r
    print("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %d |" % (
        op, shape, mode, backend, fmt(t["OUTPUTS"]), fmt(t["CLOSED"]), fmt(t["GC"]), x(rc), x(rg), closed_ok, gc_ok,
        x(rg_mean), " / ".join(fmt(lo[c]) or "-" for c in CALLS), n))
print()
print("Targets: %d passed, %d failed%s" % (passed, len(failed), (": " + "; ".join(failed)) if failed else "."))
