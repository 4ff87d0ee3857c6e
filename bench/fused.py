#!/usr/bin/env python3
"""Prints bench/run.sh fused's results as markdown: the fused affine transformer (StnBench.fusedForward /
fusedBackward) beside gridSample / gridSampleBackward alone (forward / backward), per shape, call and input. JMH
sample-mode CSVs, one per round: per round the median (p0.50) and minimum (p0.00) of each benchmark; the ratios
fused / unfused are taken per round (side by side in one JVM run), then their median over the rounds."""
import csv
import statistics
import sys

rounds = []
for f in sys.argv[1:]:
    d = {}
    for r in csv.DictReader(open(f)):
        name = r["Benchmark"].split("StnBench.")[-1]
        if "p0.50" in name: stat = "med"
        elif "p0.00" in name: stat = "min"
        else: continue
        b = name.split(":")[0]
        key = (r["Param: shape"], r["Param: call"], r["Param: input"])
        d.setdefault(key, {})[(b, stat)] = float(r["Score"])
    rounds.append(d)
keys = sorted(rounds[0])
print("| shape | call | input | forward med / min (ms) | fused forward med / min | fused / unfused (med, min) | backward med / min | fused backward med / min | fused / unfused (med, min) |")
print("|---|---|---|---:|---:|---:|---:|---:|---:|")
for key in keys:
    def med(b, s): return statistics.median(r[key][(b, s)] for r in rounds)
    def rat(fb, b, s): return statistics.median(r[key][(fb, s)] / r[key][(b, s)] for r in rounds)
    line = f"| {key[0]} | {key[1]} | {key[2]} "
    for b, fb in (("forward", "fusedForward"), ("backward", "fusedBackward")):
        line += f"| {med(b,'med'):.3f} / {min(r[key][(b,'min')] for r in rounds):.3f} "
        line += f"| {med(fb,'med'):.3f} / {min(r[key][(fb,'min')] for r in rounds):.3f} "
        line += f"| {rat(fb,b,'med'):.2f}, {rat(fb,b,'min'):.2f} "
    print(line + "|")
