#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Writes the fid_formula Inception weights (tests/fixtures/fid_formula/README of ../shared: the
lowbias32 formula over keys.tsv) to a PyTorch file, for trying `fid` and `bench fid` by hand
without the real pt_inception-2015-12-05-6726825d.pth. The tests build the same weights in C++.

    /usr/bin/python3 tests/tools/make_formula_weights.py OUT.pth [--legacy]
"""
import collections
import os
import sys

import numpy as np
import torch


def lowbias32(x):
    x = x.astype(np.uint64)
    m = np.uint64(0xFFFFFFFF)
    x ^= x >> np.uint64(16); x = (x * np.uint64(0x7FEB352D)) & m
    x ^= x >> np.uint64(15); x = (x * np.uint64(0x846CA68B)) & m
    x ^= x >> np.uint64(16)
    return x


def tensor(index, shape, kind):
    n = int(np.prod(shape)) if shape else 1
    if kind == "count":
        return torch.zeros(shape, dtype=torch.int64)
    j = np.arange(n, dtype=np.uint64)
    u = lowbias32((j + np.uint64((index + 1) * 0x9E3779B9)) & np.uint64(0xFFFFFFFF)).astype(np.float64) / 2.0**32
    if kind == "weight":
        v = (2 * u - 1) * np.sqrt(6.0 / np.prod(shape[1:]))
    elif kind == "bias":
        v = 0.01 * (2 * u - 1)
    elif kind in ("bn_weight", "bn_var"):
        v = 0.75 + 0.5 * u
    else:  # bn_bias, bn_mean
        v = 0.05 * (2 * u - 1)
    return torch.from_numpy(v.astype(np.float32).reshape(shape))


keys = os.path.join(os.path.dirname(__file__), "..", "fixtures", "fid_formula", "keys.tsv")
state = collections.OrderedDict()
for line in open(keys):
    index, name, shape, kind, _ = line.rstrip("\n").split("\t")
    dims = [] if shape == "scalar" else [int(d) for d in shape.split("x")]
    state[name] = tensor(int(index), dims, kind)
torch.save(state, sys.argv[1], _use_new_zipfile_serialization="--legacy" not in sys.argv)
print(sys.argv[1], len(state), "tensors")
