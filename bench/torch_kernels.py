#!/usr/bin/python3
"""PyTorch in Python (Debian's python3-torch, 1.13): the kernels StnBench and PyTorchBench time, on the same shapes,
the same θ recipe and the same warm / cold input, for bench/run.sh kernels.

Usage: torch_kernels.py [--shapes mnist,imagenet] [--inputs WARM,COLD] [--threads 1] [--warmup 0.5] [--measure 1]
Prints CSV on stdout, a row per (op, mode, shape, input, threads): the median and the minimum of the per-call times
in ms, and the number of timed calls.

- Shapes, data: as Shapes.java (N, C, H, W, output size = input size; θ = a rotation + scale base with Gaussian noise
  of 0.02 per element; input uniform in [0, 1); gradOutput uniform in [-0.5, 0.5); align_corners = False, zeros
  padding). numpy's generator is not Java's, so the values differ, the distributions (which decide the sampled
  positions and so the memory traffic) do not.
- WARM passes one batch to every call; COLD rotates through enough batches of their own data (input, grid,
  gradOutput) to hold 64 MB, one step per call.
- The ops a Python user calls: F.affine_grid, F.grid_sample; the backward is the ATen op the JVM peer calls,
  grid_sampler_2d_backward with both gradients (what autograd runs for grid_sample).
- Each (op, mode, input) warms up for at least `--warmup` seconds and 10 calls (PyTorch's first calls are several
  times slower than its steady state), then times each call for at least `--measure` seconds and 10 calls, as JMH's
  sample mode does.
"""
import argparse
import math
import statistics
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

SHAPES = {"mnist": (256, 1, 28, 28), "imagenet": (8, 3, 224, 224), "featmap": (16, 64, 56, 56),
          "large": (1, 3, 1024, 1024)}
MODES = {"BILINEAR": 0, "NEAREST": 1, "BICUBIC": 2}
COLD_BYTES = 64 << 20
BASE = np.array([0.9, -0.3, 0.1, 0.25, 0.85, -0.05], dtype=np.float64)
MASK = (True, True)


def batch_bytes(n, c, h, w):
    return 4 * (2 * n * c * h * w + 2 * n * h * w)


def make_batch(size, b):
    n, c, h, w = size
    rng = np.random.default_rng(1000 + b)
    theta = torch.from_numpy((BASE + rng.normal(0, 0.02, (n, 6))).astype(np.float32).reshape(n, 2, 3))
    grid = F.affine_grid(theta, list(size), align_corners=False).contiguous()
    x = torch.from_numpy(rng.random(size, dtype=np.float32))
    go = torch.from_numpy(rng.random(size, dtype=np.float32) - np.float32(0.5))
    return theta, grid, x, go


def timed(fn, batches, warmup_s, measure_s):
    """Per-call times (ns) of fn(batch), the batches taken in rotation."""
    k, i = len(batches), 0
    end, calls = time.perf_counter() + warmup_s, 0
    while calls < 10 or time.perf_counter() < end:
        fn(batches[i])
        i, calls = (i + 1) % k, calls + 1
    times = []
    end = time.perf_counter() + measure_s
    while len(times) < 10 or time.perf_counter() < end:
        t0 = time.perf_counter_ns()
        fn(batches[i])
        times.append(time.perf_counter_ns() - t0)
        i = (i + 1) % k
    return times


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shapes", default="mnist,imagenet,featmap,large")
    ap.add_argument("--inputs", default="WARM,COLD")
    ap.add_argument("--modes", default="BILINEAR,NEAREST,BICUBIC")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--warmup", type=float, default=0.5, help="seconds of warm-up per op")
    ap.add_argument("--measure", type=float, default=1.0, help="seconds of timed calls per op")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    out = sys.stdout
    out.write("peer,version,op,mode,shape,input,threads,calls,median_ms,min_ms\n")
    for shape in a.shapes.split(","):
        size = SHAPES[shape]
        for inp in a.inputs.split(","):
            k = 1 if inp == "WARM" else math.ceil(COLD_BYTES / batch_bytes(*size))
            batches = [make_batch(size, b) for b in range(k)]
            ops = [("affineGrid", "-", lambda bt: F.affine_grid(bt[0], list(size), align_corners=False))]
            for mode in a.modes.split(","):
                m = mode.lower()
                code = MODES[mode]
                ops.append(("forward", mode, lambda bt, m=m: F.grid_sample(
                    bt[2], bt[1], mode=m, padding_mode="zeros", align_corners=False)))
                ops.append(("backward", mode, lambda bt, code=code: torch.ops.aten.grid_sampler_2d_backward(
                    bt[3], bt[2], bt[1], code, 0, False, MASK)))
            with torch.no_grad():
                for op, mode, fn in ops:
                    t = timed(fn, batches, a.warmup, a.measure)
                    out.write("PyTorch-python,%s,%s,%s,%s,%s,%d,%d,%.6f,%.6f\n" % (
                        torch.__version__, op, mode, shape, inp, a.threads, len(t),
                        statistics.median(t) / 1e6, min(t) / 1e6))
                    out.flush()
            del batches


if __name__ == "__main__":
    main()
