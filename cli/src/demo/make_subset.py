#!/usr/bin/python3
"""Writes cli/src/demo/fashion-mnist-subset/: the first 5000 training and 1000 test examples of Fashion-MNIST, in the
original IDX format, gzipped. Source: Debian's dataset-fashion-mnist package (/usr/share/datasets/fashion-mnist),
a copy of https://github.com/zalandoresearch/fashion-mnist, (c) 2017 Zalando SE, MIT ("Expat") licence (see the
LICENSE file written next to the data)."""
import gzip
import os
import struct

SRC = "/usr/share/datasets/fashion-mnist"
DST = os.path.join("cli", "src", "demo", "fashion-mnist-subset")


def subset(prefix, n):
    with gzip.open(os.path.join(SRC, prefix + "-images-idx3-ubyte.gz")) as f:
        magic, count, h, w = struct.unpack(">IIII", f.read(16))
        images = f.read(n * h * w)
    with gzip.open(os.path.join(SRC, prefix + "-labels-idx1-ubyte.gz")) as f:
        magic_l, count_l = struct.unpack(">II", f.read(8))
        labels = f.read(n)
    # mtime=0: the same bytes on every run
    with gzip.GzipFile(os.path.join(DST, prefix + "-images-idx3-ubyte.gz"), "wb", mtime=0) as f:
        f.write(struct.pack(">IIII", magic, n, h, w) + images)
    with gzip.GzipFile(os.path.join(DST, prefix + "-labels-idx1-ubyte.gz"), "wb", mtime=0) as f:
        f.write(struct.pack(">II", magic_l, n) + labels)


os.makedirs(DST, exist_ok=True)
subset("train", 5000)
subset("t10k", 1000)
