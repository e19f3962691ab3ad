#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
r"""Reference fixtures for precision/recall (torch-fidelity) and density/coverage (clovaai prdc).

Runs the ORIGINAL Python code, loaded from the project's snapshots and never copied into this
repository:

- torch-fidelity's `torch_fidelity/metric_prc.py` (toshas/torch-fidelity @ TF_COMMIT; its
  helpers.py, defaults.py and deprecations.py come along, its `utils` module is stubbed: the
  feature extractors are not needed on features), through `prc_features_to_metric`, the entry
  point `calculate_metrics(prc=True)` uses, with its defaults (prc_batch_size 10000,
  save_cpu_ram False: `calculate_precision_recall_full`); `calculate_precision_recall_part` is
  run too and must agree.
- clovaai/generative-evaluation-prdc's `prdc/prdc.py` (@ PRDC_COMMIT), `compute_prdc`, on
  Debian's python3-sklearn (pairwise_distances, n_jobs=8).

on fixed random feature sets, and writes tests/fixtures/prdc/reference.npz (inputs and
outputs) and tests/fixtures/prdc/README.md (this script writes it; it documents every key).

The snapshots are bare git repositories; the script extracts the files at the pinned commits
itself (`git show`) into a temporary folder and puts that on sys.path:

    /usr/bin/python3 tests/tools/make_prdc_fixtures.py \
        [--torch-fidelity-git /work/.mirror/toshas+torch-fidelity/repo] \
        [--prdc-git /work/.mirror/clovaai+generative-evaluation-prdc/repo] [--out DIR]

(elsewhere: github.com/toshas/torch-fidelity, github.com/clovaai/generative-evaluation-prdc.)
Needs Debian's python3-torch, python3-numpy and python3-sklearn (apt-get install python3-sklearn).

Robustness of the comparison. A count (how many points lie within a k-NN ball) is exact unless
a distance lies within rounding of the radius it is compared with: float32 distances carry
errors of about 1e-7 relative, and OpenBLAS's sgemm rounds differently with its thread count
(torch-fidelity's own result can move there). For every case but `ties` this script therefore
computes every distance again in float64 from differences (exact to ~1e-16), checks that no
cross distance lies within MIN_GAP (relative) of a radius it is compared with, and checks that
both packages' counts equal the counts of those exact distances. The `ties` case instead uses
small integer coordinates, where both packages' arithmetic is exact (integers below 2^24) and
distances equal radii exactly: it tells torch-fidelity's `<=` from prdc's `<`.
"""
import argparse
import contextlib
import hashlib
import io
import os
import subprocess
import sys
import tempfile
import types

import numpy as np
import torch

TF_COMMIT = "5e211a950a7b45206bd4976813ffd6aed6cf4ccc"
PRDC_COMMIT = "e320c1d2811d33081361a08f595b43830b78641c"
TF_FILES = ["torch_fidelity/metric_prc.py", "torch_fidelity/helpers.py", "torch_fidelity/defaults.py",
            "torch_fidelity/deprecations.py"]
PRDC_FILES = ["prdc/prdc.py"]
KS = (3, 5)
MIN_GAP = 1e-5  # 100x the float32 rounding of a distance


def extract(git_dir, commit, files, dest):
    hashes = {}
    for path in files:
        data = subprocess.run(["git", "--git-dir", git_dir, "show", f"{commit}:{path}"], check=True,
                              capture_output=True).stdout
        os.makedirs(os.path.join(dest, os.path.dirname(path)), exist_ok=True)
        with open(os.path.join(dest, path), "wb") as f:
            f.write(data)
        hashes[path] = hashlib.sha256(data).hexdigest()
    return hashes


def load_references(tf_git, prdc_git, tmp):
    hashes = extract(tf_git, TF_COMMIT, TF_FILES, tmp)
    hashes.update(extract(prdc_git, PRDC_COMMIT, PRDC_FILES, tmp))
    # torch_fidelity/__init__.py imports every feature extractor (and their weights' downloads):
    # a bare package object over the extracted folder instead, and a stub for `utils`, whose
    # extraction helpers metric_prc.py imports but the feature-level functions never call.
    package = types.ModuleType("torch_fidelity")
    package.__path__ = [os.path.join(tmp, "torch_fidelity")]
    sys.modules["torch_fidelity"] = package
    utils = types.ModuleType("torch_fidelity.utils")
    for name in ["create_feature_extractor", "extract_featuresdict_from_input_id_cached",
                 "resolve_feature_extractor", "resolve_feature_layer_for_metric"]:
        setattr(utils, name, lambda *a, **k: (_ for _ in ()).throw(RuntimeError("stub")))
    sys.modules["torch_fidelity.utils"] = utils
    sys.path.insert(0, tmp)
    import torch_fidelity.metric_prc as metric_prc
    import prdc.prdc as prdc_module  # prdc/__init__.py only re-exports compute_prdc
    return metric_prc, prdc_module, hashes


def exact_distances(a, b):
    a = a.astype(np.float64)
    b = b.astype(np.float64)
    return np.sqrt(((a[:, None, :] - b[None, :, :]) ** 2).sum(-1))


def kth(d, k):  # the (k+1)-th smallest of each row: the k-th neighbour, the point itself excluded
    return np.sort(d, axis=1)[:, k]


def exact_counts(gen, real, k):
    """Counts from float64 distances: torch-fidelity's (<=) and prdc's (<) comparisons."""
    d = exact_distances(real, gen)  # real x generated, as both packages orient it
    r_gen = kth(exact_distances(gen, gen), k)
    r_real = kth(exact_distances(real, real), k)
    inside_real = d <= r_real[:, None], d < r_real[:, None]
    inside_gen = d <= r_gen[None, :], d < r_gen[None, :]
    gap = min(np.min(np.abs(d - r_real[:, None]) / r_real[:, None]), np.min(np.abs(d - r_gen[None, :]) / r_gen[None, :]))
    return {
        "tf_precision": int(inside_real[0].any(0).sum()), "tf_recall": int(inside_gen[0].any(1).sum()),
        "prdc_precision": int(inside_real[1].any(0).sum()), "prdc_recall": int(inside_gen[1].any(1).sum()),
        "prdc_density": int(inside_real[1].sum()), "prdc_coverage": int((d.min(1) < r_real).sum()),
    }, gap, r_gen, r_real


def run_torch_fidelity(metric_prc, gen, real, k):
    f1, f2 = torch.from_numpy(gen), torch.from_numpy(real)
    with contextlib.redirect_stderr(io.StringIO()):
        out = metric_prc.prc_features_to_metric(f1, f2, prc_neighborhood=k, verbose=False)
    part = metric_prc.calculate_precision_recall_part(f1, f2, k, 10000)
    assert part == (out["precision"], out["recall"]), (part, out)
    radii_gen = metric_prc.calc_cdist_full(f1, f1).kthvalue(k + 1).values.numpy()
    radii_real = metric_prc.calc_cdist_full(f2, f2).kthvalue(k + 1).values.numpy()
    return out, radii_gen, radii_real


def run_prdc(prdc_module, gen, real, k):
    with contextlib.redirect_stdout(io.StringIO()):
        out = prdc_module.compute_prdc(real_features=real, fake_features=gen, nearest_k=k)
    radii_real = prdc_module.compute_nearest_neighbour_distances(real, k)
    radii_gen = prdc_module.compute_nearest_neighbour_distances(gen, k)
    return out, radii_gen, radii_real


def mixed_normal(rng, n, d, mix, scale=1.0, shift=0.0):
    return ((rng.normal(size=(n, d)) * scale + shift) @ mix).astype(np.float32)


def basic_case(rng, mix):
    # Two overlapping Gaussians of different mean and spread, N != M.
    return mixed_normal(rng, 300, 64, mix, 1.15, 0.15), mixed_normal(rng, 250, 64, mix)


def duplicates_case(rng, mix):
    # Duplicates: pairs inside each set (counted as neighbours: they shrink the radii) and
    # generated points that are exact copies of real ones (memorised training images). A copy of
    # a real point that is another real point's k-th neighbour (or a copy that is a generated
    # point's k-th neighbour) would sit exactly on that point's ball, an exact tie decided by
    # rounding: copies are added one by one, each kept only when the whole set has no near-tie.
    real = mixed_normal(rng, 240, 64, mix)
    real = np.concatenate([real, real[rng.choice(240, 10, replace=False)]])
    gen = mixed_normal(rng, 180, 64, mix, 1.1, 0.1)
    gen = np.concatenate([gen, gen[rng.choice(180, 20, replace=False)]])
    copies = []
    for i in rng.permutation(240):
        trial = np.concatenate([gen, real[copies + [i]]])
        if min(exact_counts(trial, real, k)[1] for k in KS) > MIN_GAP:
            copies.append(i)
        if len(copies) == 15:
            break
    return np.concatenate([gen, real[copies]]), real


def unequal_case(rng, mix):
    # Mode collapse, N << M: a tight generated cluster around one real point, a wide real set.
    real = mixed_normal(rng, 400, 64, mix)
    return (real[7] + 0.35 * rng.normal(size=(40, 64)) @ mix).astype(np.float32), real


def ties_case(rng, mix):
    # Exact ties: integer coordinates in {-2..2}^4, where every sum is an exact small integer.
    return rng.integers(-2, 3, size=(50, 4)).astype(np.float32), rng.integers(-2, 3, size=(60, 4)).astype(np.float32)


CASES = {
    "basic": (basic_case, "generated 300 x 64 ~ N(0.15, 1.15^2 I) A, real 250 x 64 ~ N(0, I) A"),
    "duplicates": (duplicates_case, "generated 215 x 64 ~ N(0.1, 1.1^2 I) A, 20 of them repeated, 15 exact "
                                    "copies of real points; real 250 x 64 ~ N(0, I) A, 10 repeated"),
    "unequal": (unequal_case, "generated 40 x 64, a tight cluster N(real[7], 0.35^2 A^T A); real 400 x 64 ~ N(0, I) A"),
    "ties": (ties_case, "generated 50 x 4, real 60 x 4, integers in {-2..2}: distances equal radii exactly"),
}


def make_case(name):
    """The case's sets from the first seed (2024, 2025, ...) without a near-tie: a cross distance
    within MIN_GAP of a radius it is compared with (`ties`: the first seed)."""
    build, description = CASES[name]
    for seed in range(2024, 2124):
        rng = np.random.default_rng(seed)
        mix = np.eye(64) + rng.normal(size=(64, 64)) / 16  # A: correlated dimensions
        gen, real = build(rng, mix)
        gaps = [exact_counts(gen, real, k)[1] for k in KS]
        if name == "ties" or min(gaps) > MIN_GAP:
            return gen, real, f"{description}; seed {seed}", min(gaps)
    raise RuntimeError(f"no seed without near-ties for {name}")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--torch-fidelity-git", default="/work/.mirror/toshas+torch-fidelity/repo")
    parser.add_argument("--prdc-git", default="/work/.mirror/clovaai+generative-evaluation-prdc/repo")
    parser.add_argument("--out", default=os.path.join(here, "..", "fixtures", "prdc"))
    args = parser.parse_args()

    import sklearn
    tmp = tempfile.mkdtemp(prefix="prdc_refs_")
    metric_prc, prdc_module, hashes = load_references(args.torch_fidelity_git, args.prdc_git, tmp)

    out = {}
    notes = []
    for name in CASES:
        gen, real, description, min_gap = make_case(name)
        out[f"{name}_generated"], out[f"{name}_real"] = gen, real
        gap_text = ("exact ties by construction" if name == "ties" else
                    f"smallest relative gap between a cross distance and a radius: {min_gap:.2e}")
        for dtype in (np.float32, np.float64):
            tag = name if dtype == np.float32 else f"{name}_f64"
            if dtype == np.float64 and name != "basic":
                continue
            g, r = gen.astype(dtype), real.astype(dtype)
            for k in KS:
                tf, tf_rg, tf_rr = run_torch_fidelity(metric_prc, g, r, k)
                pr, pr_rg, pr_rr = run_prdc(prdc_module, g, r, k)
                counts, gap, ex_rg, ex_rr = exact_counts(gen, real, k)
                got = {"tf_precision": tf["precision"] * len(g), "tf_recall": tf["recall"] * len(r),
                       "prdc_precision": pr["precision"] * len(g), "prdc_recall": pr["recall"] * len(r),
                       "prdc_density": pr["density"] * k * len(g), "prdc_coverage": pr["coverage"] * len(r)}
                for key, value in got.items():  # both packages agree with exact arithmetic
                    assert abs(value - counts[key]) < 1e-3, (tag, k, key, value, counts[key])
                assert gap > MIN_GAP if name != "ties" else gap == 0.0, (tag, k, gap)
                for key, value in tf.items():
                    out[f"{tag}_tf_k{k}_{key}"] = np.array(value, dtype=np.float64)
                for key, value in pr.items():
                    out[f"{tag}_prdc_k{k}_{key}"] = np.array(value, dtype=np.float64)
                out[f"{tag}_tf_k{k}_radii_generated"], out[f"{tag}_tf_k{k}_radii_real"] = tf_rg, tf_rr
                out[f"{tag}_prdc_k{k}_radii_generated"], out[f"{tag}_prdc_k{k}_radii_real"] = pr_rg, pr_rr
                for key, value in counts.items():
                    out[f"{tag}_count_k{k}_{key}"] = np.array(value, dtype=np.int64)
                print(f"{tag} k={k}: tf P={tf['precision']:.6f} R={tf['recall']:.6f}  prdc P={pr['precision']:.6f} "
                      f"R={pr['recall']:.6f} D={pr['density']:.6f} C={pr['coverage']:.6f}  gap={gap:.2e}")
        notes.append(f"- `{name}`: {description}; {gap_text}.")

    os.makedirs(args.out, exist_ok=True)
    np.savez_compressed(os.path.join(args.out, "reference.npz"), **out)
    write_readme(args.out, hashes, notes, sklearn.__version__)
    print("wrote", os.path.join(args.out, "reference.npz"), len(out), "arrays")


def write_readme(out_dir, hashes, notes, sklearn_version):
    lines = [
        "# Precision/recall and density/coverage reference fixtures",
        "",
        "Written by `tests/tools/make_prdc_fixtures.py` (this file too); do not edit by hand.",
        "Produced by running the ORIGINAL reference implementations (extracted from the snapshots, not",
        "copied into this repository, not modified):",
        "",
        f"- torch-fidelity @ `{TF_COMMIT}` (0.4.0 with the precision/recall swap fixed, #70):",
        *[f"  `{p}` sha256 `{hashes[p]}`" for p in TF_FILES],
        "  through `prc_features_to_metric(features_1=generated, features_2=real, prc_neighborhood=k)`,",
        "  defaults otherwise (prc_batch_size 10000, save_cpu_ram False); `calculate_precision_recall_part`",
        "  gave the same values.",
        f"- clovaai/generative-evaluation-prdc @ `{PRDC_COMMIT}`: `prdc/prdc.py` sha256 `{hashes['prdc/prdc.py']}`",
        "  through `compute_prdc(real_features=real, fake_features=generated, nearest_k=k)`.",
        f"- torch {torch.__version__}, numpy {np.__version__}, scikit-learn {sklearn_version} (Debian), CPU,",
        f"  torch threads {torch.get_num_threads()}.",
        "",
        "## Cases (`reference.npz`)",
        "",
        "Inputs `<case>_generated` (N x D) and `<case>_real` (M x D), float32; `basic_f64` is `basic`",
        "given to both packages as float64 (the test upcasts the stored float32 arrays).",
        "",
        *notes,
        "",
        "## Outputs, per case `<c>` and k in {3, 5} (float64 scalars unless said)",
        "",
        "- `<c>_tf_k<k>_precision`, `_recall`, `_f_score`: torch-fidelity's dict (its precision and",
        "  recall are float32 means, `.item()`-ed).",
        "- `<c>_tf_k<k>_radii_generated`, `_radii_real`: its k-NN radii, `calc_cdist_full(f, f)",
        "  .kthvalue(k + 1).values` (float32; float64 for `_f64`).",
        "- `<c>_prdc_k<k>_precision`, `_recall`, `_density`, `_coverage`: compute_prdc's dict.",
        "- `<c>_prdc_k<k>_radii_generated`, `_radii_real`: its `compute_nearest_neighbour_distances`.",
        "- `<c>_count_k<k>_{tf_precision, tf_recall, prdc_precision, prdc_recall, prdc_density,",
        "  prdc_coverage}` (int64): the counts behind them (generated points inside a real ball, real",
        "  points inside a generated ball, ball memberships summed for density, real points whose nearest",
        "  generated point is inside their ball), from float64 distances of differences; the script",
        "  asserts both packages' values equal these counts over N (M; k N for density).",
        "",
        f"Every case but `ties` has no distance within {MIN_GAP:g} (relative) of a radius it is compared",
        "with, so the counts do not depend on float rounding (or OpenBLAS's thread count).",
        "",
    ]
    with open(os.path.join(out_dir, "README.md"), "w") as f:
        f.write("\n".join(lines))


if __name__ == "__main__":
    main()
