#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Reference values for the FID/KID arithmetic tests (tests/test_fid_math.cpp).

Run with Debian's python3 (numpy + python3-scipy): /usr/bin/python3 tests/tools/make_fid_math_reference.py
Writes tests/fixtures/fid_math/reference.npz (np.savez_compressed, as pytorch-fid writes its
statistics, so the test also reads numpy's own .npz output).

- Frechet distance: pytorch-fid 0.3.0's calculate_frechet_distance (scipy.linalg.sqrtm), restated
  below verbatim, on a full-rank case (200 samples, 64 dims) and a singular one (40 samples, 96 dims,
  like any folder under 2048 images).
- KID: torch-fidelity's kid_features_to_metric / mmd2 (polynomial kernel, np.random.RandomState
  subsets), restated, on random features; plus RandomState(2020).permutation(1000) prefixes so the
  numpy-compatible sampler is checked on its own.
"""
import os

import numpy as np
from scipy import linalg


def calculate_frechet_distance(mu1, sigma1, mu2, sigma2, eps=1e-6):  # pytorch-fid 0.3.0
    mu1 = np.atleast_1d(mu1)
    mu2 = np.atleast_1d(mu2)
    sigma1 = np.atleast_2d(sigma1)
    sigma2 = np.atleast_2d(sigma2)
    diff = mu1 - mu2
    covmean, _ = linalg.sqrtm(sigma1.dot(sigma2), disp=False)
    if not np.isfinite(covmean).all():
        offset = np.eye(sigma1.shape[0]) * eps
        covmean = linalg.sqrtm((sigma1 + offset).dot(sigma2 + offset))
    if np.iscomplexobj(covmean):
        if not np.allclose(np.diagonal(covmean).imag, 0, atol=1e-3):
            raise ValueError('Imaginary component {}'.format(np.max(np.abs(covmean.imag))))
        covmean = covmean.real
    tr_covmean = np.trace(covmean)
    return diff.dot(diff) + np.trace(sigma1) + np.trace(sigma2) - 2 * tr_covmean


def mmd2(f1, f2, degree=3, gamma=None, coef0=1):  # torch-fidelity's, polynomial kernel
    if gamma is None:
        gamma = 1.0 / f1.shape[1]
    k11 = (f1 @ f1.T * gamma + coef0) ** degree
    k22 = (f2 @ f2.T * gamma + coef0) ** degree
    k12 = (f1 @ f2.T * gamma + coef0) ** degree
    m = f1.shape[0]
    value = (k11.sum() - np.diagonal(k11).sum() + k22.sum() - np.diagonal(k22).sum()) / (m * (m - 1))
    value -= 2 * k12.sum() / (m ** 2)
    return value


def kid(f1, f2, subsets, subset_size, seed=2020):  # torch-fidelity's kid_features_to_metric
    rng = np.random.RandomState(seed)
    mmds = np.zeros(subsets)
    for i in range(subsets):
        a = f1[rng.choice(len(f1), subset_size, replace=False)]
        b = f2[rng.choice(len(f2), subset_size, replace=False)]
        mmds[i] = mmd2(a, b)
    return float(np.mean(mmds)), float(np.std(mmds))


def stats(x):
    return np.mean(x, axis=0), np.cov(x, rowvar=False)


rng = np.random.default_rng(7)
out = {}
# Full rank: 200 samples of 64 correlated dims.
mix = rng.normal(size=(64, 64)) / 8
a = rng.normal(size=(200, 64)) @ mix
b = (rng.normal(size=(200, 64)) * 1.2 + 0.3) @ mix
for name, (x, y) in {"full": (a, b), "singular": (rng.normal(size=(40, 96)), rng.normal(size=(40, 96)) + 0.1)}.items():
    mu1, s1 = stats(x)
    mu2, s2 = stats(y)
    out.update({f"{name}_mu1": mu1, f"{name}_sigma1": s1, f"{name}_mu2": mu2, f"{name}_sigma2": s2,
                f"{name}_fid": np.array(calculate_frechet_distance(mu1, s1, mu2, s2))})

# KID on float32 features (as torch-fidelity gets them from the network), computed in float64.
f1 = rng.normal(size=(120, 32)).astype(np.float32)
f2 = (rng.normal(size=(90, 32)) * 1.1 + 0.05).astype(np.float32)
m, s = kid(f1.astype(np.float64), f2.astype(np.float64), subsets=10, subset_size=50)
out.update({"kid_f1": f1, "kid_f2": f2, "kid_mean": np.array(m), "kid_std": np.array(s)})
m, s = kid(f1.astype(np.float64), f2.astype(np.float64), subsets=5, subset_size=90)  # the cap: min(n1, n2)
out.update({"kid_capped_mean": np.array(m), "kid_capped_std": np.array(s)})
out["permutation_2020_1000"] = np.random.RandomState(2020).permutation(1000)
r = np.random.RandomState(2020)
out["choice_2020_120_50_twice"] = np.concatenate([r.choice(120, 50, replace=False), r.choice(90, 50, replace=False)])

path = os.path.join(os.path.dirname(__file__), "..", "fixtures", "fid_math", "reference.npz")
np.savez_compressed(path, **out)
print(path, {k: (v.shape, v.dtype) for k, v in out.items()})
print("fid full", out["full_fid"], "singular", out["singular_fid"], "kid", out["kid_mean"], out["kid_std"])
