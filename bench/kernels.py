#!/usr/bin/env python3
"""Prints bench/run.sh kernels' results as markdown: stn4j's kernels against the faster PyTorch, per operation and
shape, warm and cold input, into-outputs (call=OUTPUTS) and allocating (call=CLOSED) calls; then thread scaling and
the Vector API against AVX2.

Usage: kernels.py target/results-kernels/kernels-*.csv
The round is read from the file name (`-r<k>-`); JMH files (StnBench, PyTorchBench, sample mode) give each benchmark's
median (p0.50) and minimum (p0.00), torch_kernels.py's files (PyTorch 1.13 in Python) the same two per op.

- stn4j, PyTorch 2.10, PyTorch 1.13: median over rounds of each round's median, and (in brackets) the minimum over
  rounds of each round's minimum, in ms per call.
- ratio: per round, the faster PyTorch's median (the faster of the two peers in that round) over stn4j's median; the
  table shows the median of those per-round ratios (the runs one ratio divides are minutes apart at most, while this
  VM's speed drifts over longer spans). faster: which peer was the faster, in how many rounds.
- min ratio: the faster PyTorch's minimum (over rounds and both peers) over stn4j's minimum.
- PASS / MISS: the median ratio against the target of the op and shape (issue 23); stretch targets are named too.
- PyTorch allocates its results in every call: it is the reference of both stn4j calls.
Then the done-when grid: per op and shape the lowest median ratio of the four (input, call) rows, and the thread-scaling
(2 threads over 1, warm, stn4j native, same run) and Vector API (VECTOR_API over NATIVE_AVX2) lines.
"""
import csv
import re
import statistics
import sys
from collections import defaultdict

SHAPES = ["imagenet", "featmap", "large", "mnist"]
# (op label, op, mode) in table order, and their targets per shape (stretch targets second, None where none)
OPS = [("bilinear forward", "forward", "BILINEAR"), ("bilinear backward", "backward", "BILINEAR"),
       ("nearest forward", "forward", "NEAREST"), ("nearest backward", "backward", "NEAREST"),
       ("bicubic forward", "forward", "BICUBIC"), ("bicubic backward", "backward", "BICUBIC"),
       ("affine grid", "affineGrid", "-")]
TARGETS = {
    "bilinear forward": {"imagenet": 3, "featmap": 3, "large": 3, "mnist": 2},
    "bilinear backward": {"imagenet": 3, "featmap": 3, "large": (2, 3), "mnist": 2},
    "nearest forward": {"imagenet": 2, "featmap": 2, "large": 2, "mnist": 1.5},
    "nearest backward": {"imagenet": 2, "featmap": 2, "large": 2, "mnist": 1.5},
    "bicubic forward": {"imagenet": 3, "featmap": 3, "large": (2, 3), "mnist": 1.5},
    "bicubic backward": {"imagenet": 3, "featmap": 3, "large": (2, 3), "mnist": 1.5},
    "affine grid": {"imagenet": 3, "featmap": 3, "large": 3, "mnist": 3},
}
THREADS_TARGET, VECTOR_TARGET = 1.8, 3.0
INPUTS, CALLS = ["WARM", "COLD"], ["OUTPUTS", "CLOSED"]
PEERS = ["2.10", "1.13"]

# key -> round -> (median ms, min ms); keys:
#   ("stn", group, op, mode, shape, input, call, backend, threads)   ("2.10" | "1.13", op, mode, shape, input)
# group: the run a figure comes from ("main", "threads", "vector"): the thread-scaling run's 1-thread rows are its own
# figures, beside its 2-thread ones, not the per-shape run's
data = defaultdict(dict)


def read_jmh(path, rnd, group):
    with open(path) as f:
        rows = list(csv.DictReader(f))
    stats = defaultdict(dict)
    for r in rows:
        if r["Mode"] != "sample" or ":p0." not in r["Benchmark"]:
            continue
        name, pct = r["Benchmark"].split(":")
        if pct not in ("p0.00", "p0.50"):
            continue
        cls, op = name.rsplit(".", 2)[-2:]
        mode = "-" if op == "affineGrid" else r["Param: mode"]
        shape, inp = r["Param: shape"], r.get("Param: input") or "WARM"
        if cls == "StnBench":
            key = ("stn", group, op, mode, shape, inp, r.get("Param: call") or "OUTPUTS", r["Param: backend"],
                   int(r.get("Param: threads") or 1))
        elif cls == "PyTorchBench":
            if (r.get("Param: threads") or "1") != "1":
                continue
            key = ("2.10", op, mode, shape, inp)
        else:
            continue
        stats[key][pct] = float(r["Score"])
    for key, s in stats.items():
        if "p0.50" in s and "p0.00" in s:
            data[key][rnd] = (s["p0.50"], s["p0.00"])


def read_python(path, rnd, group):
    with open(path) as f:
        for r in csv.DictReader(f):
            if int(r["threads"]) != 1:
                continue
            key = ("1.13", r["op"], r["mode"], r["shape"], r["input"])
            data[key][rnd] = (float(r["median_ms"]), float(r["min_ms"]))


paths = sys.argv[1:]
if not paths:
    sys.exit("usage: kernels.py kernels-r<k>-....csv ...")
for path in paths:
    m = re.search(r"-r(\d+)-", path.rsplit("/", 1)[-1])
    if not m:
        sys.exit("%s: no round (-r<k>-) in the file name" % path)
    with open(path) as f:
        header = f.readline()
    name = path.rsplit("/", 1)[-1]
    group = "threads" if "-threads" in name else "vector" if ("-vector" in name or "-avx2" in name) else "main"
    (read_python if header.startswith("peer,") else read_jmh)(path, int(m.group(1)), group)


def fmt(ms):
    if ms is None:
        return "-"
    return "%.4f" % ms if ms < 0.1 else "%.3f" % ms if ms < 10 else "%.1f" % ms


def summary(key):
    """(median over rounds of the medians, min over rounds of the minima), or (None, None)."""
    rounds = data.get(key, {})
    if not rounds:
        return None, None
    return statistics.median(v[0] for v in rounds.values()), min(v[1] for v in rounds.values())


def cell(key):
    med, lo = summary(key)
    return "-" if med is None else "%s (%s)" % (fmt(med), fmt(lo))


def native_backend():
    backends = {k[7] for k in data if k[0] == "stn" and k[1] == "main"}
    return "NATIVE_AVX512" if "NATIVE_AVX512" in backends else "NATIVE_AVX2"


def target_of(label, shape):
    t = TARGETS[label][shape]
    return t if isinstance(t, tuple) else (t, None)


NATIVE = native_backend()
print("stn4j %s, one thread; ms per call: median over rounds (minimum over rounds); ratio = faster PyTorch / stn4j "
      "(median of per-round ratios; min ratio from the minima)." % NATIVE)
print()
print("| op | shape | input | call | stn4j | PyTorch 2.10 | PyTorch 1.13 | faster | ratio | min ratio | target | |")
print("|---|---|---|---|---:|---:|---:|---|---:|---:|---:|---|")
worst = {}  # (label, shape) -> (lowest median ratio over the rows, rows measured)
misses = []
for label, op, mode in OPS:
    for shape in SHAPES:
        for inp in INPUTS:
            peers = {p: data.get((p, op, mode, shape, inp), {}) for p in PEERS}
            for call in CALLS:
                skey = ("stn", "main", op, mode, shape, inp, call, NATIVE, 1)
                stn = data.get(skey, {})
                if not stn:
                    continue
                ratios, wins = [], defaultdict(int)
                for rnd, (s_med, _) in stn.items():
                    here = {p: peers[p][rnd][0] for p in PEERS if rnd in peers[p]}
                    if here:
                        best = min(here, key=here.get)
                        wins[best] += 1
                        ratios.append(here[best] / s_med)
                ratio = statistics.median(ratios) if ratios else None
                peer_mins = [v[1] for p in PEERS for v in peers[p].values()]
                s_min = min(v[1] for v in stn.values())
                min_ratio = min(peer_mins) / s_min if peer_mins else None
                target, stretch = target_of(label, shape)
                verdict = "-" if ratio is None else "PASS" if ratio >= target else "**MISS**"
                if ratio is not None and stretch is not None:
                    verdict += " (stretch %gx: %s)" % (stretch, "met" if ratio >= stretch else "not met")
                if ratio is not None and ratio < target:
                    misses.append("%s %s %s %s %.2fx" % (label, shape, inp, call, ratio))
                faster = ", ".join("%s %d/%d" % (p, wins[p], len(ratios)) for p in PEERS if wins[p])
                x = lambda r: "-" if r is None else "%.2fx" % r
                print("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %gx | %s |" % (
                    label, shape, inp, call, cell(skey), cell(("2.10", op, mode, shape, inp)),
                    cell(("1.13", op, mode, shape, inp)), faster or "-", x(ratio), x(min_ratio), target, verdict))
                if ratio is not None:
                    lo, n = worst.get((label, shape), (float("inf"), 0))
                    worst[(label, shape)] = (min(lo, ratio), n + 1)

print()
print("Done-when grid: per cell the lowest median ratio of its (warm, cold) x (OUTPUTS, CLOSED) rows, and whether it "
      "meets the target (n: rows measured, of 4).")
print()
print("| op | " + " | ".join(SHAPES) + " |")
print("|---|" + "---|" * len(SHAPES))
for label, _, _ in OPS:
    cells = []
    for shape in SHAPES:
        if (label, shape) not in worst:
            cells.append("-")
            continue
        r, n = worst[(label, shape)]
        target, stretch = target_of(label, shape)
        cells.append("%.2fx / %gx%s %s%s" % (r, target, " (stretch %gx)" % stretch if stretch else "",
                                          "PASS" if r >= target else "**MISS**", "" if n == 4 else " n=%d" % n))
    print("| %s | %s |" % (label, " | ".join(cells)))
print()
print("Peer targets missed (median ratio): %s" % ("; ".join(misses) if misses else "none"))


def compare(num, den, shapes, at_least, target, what):
    """Per shape and op, num's median over den's within each round, the median of those; against the target."""
    for shape in shapes:
        for op in ["forward", "backward"]:
            a = ("stn",) + num[:1] + (op, "BILINEAR", shape, "WARM", "OUTPUTS") + num[1:]
            b = ("stn",) + den[:1] + (op, "BILINEAR", shape, "WARM", "OUTPUTS") + den[1:]
            rs = [data[a][k][0] / data[b][k][0] for k in data.get(a, {}) if k in data.get(b, {})]
            if rs:
                x = statistics.median(rs)
                ok = x >= target if at_least else x <= target
                print("- bilinear %s %s: %.2fx (%s: %s ms, %s: %s ms) %s" % (
                    op, shape, x, what[0], fmt(summary(a)[0]), what[1], fmt(summary(b)[0]),
                    "PASS" if ok else "**MISS**"))


# thread scaling: 1 and 2 threads of the same run (the threads file)
print()
print("2 threads over 1 (warm, %s, OUTPUTS, same run; median over rounds of per-round speed-ups; target >= %gx):"
      % (NATIVE, THREADS_TARGET))
compare(("threads", NATIVE, 1), ("threads", NATIVE, 2), ["imagenet", "large"], True, THREADS_TARGET,
        ("1 thread", "2 threads"))
print()
print("VECTOR_API over NATIVE_AVX2 (warm, off-heap, OUTPUTS, one thread; median over rounds of per-round ratios; "
      "target <= %gx):" % VECTOR_TARGET)
compare(("vector", "VECTOR_API", 1), ("vector", "NATIVE_AVX2", 1), ["imagenet", "featmap"], False, VECTOR_TARGET,
        ("VECTOR_API", "NATIVE_AVX2"))
