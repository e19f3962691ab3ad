#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Seeded DDPM ancestral sampling and DDIM (eta > 0) references from lucidrains'
denoising-diffusion-pytorch 2.1.1 itself, for tests/fixtures/sampling_noise.

The upstream package is not installed: this script imports its source from a directory given on
the command line (nothing of it is copied into this repository). Prepare it with

    mkdir -p /tmp/ref/ddp /tmp/ref/einops
    git --git-dir=/work/.mirror/lucidrains+denoising-diffusion-pytorch/repo archive 2.1.1 | tar -x -C /tmp/ref/ddp
    git --git-dir=/work/.mirror/arogozhnikov+einops/repo archive v0.8.1 | tar -x -C /tmp/ref/einops

and run with Debian's python3-torch:

    /usr/bin/python3 tests/tools/make_sampling_noise_fixtures.py [--ddp /tmp/ref/ddp] [--einops /tmp/ref/einops]

Modules that denoising_diffusion_pytorch.py imports at the top but that sampling never uses
(torchvision, ema_pytorch, accelerate; tqdm, scipy, packaging when absent) are replaced by stubs; only
denoising_diffusion_pytorch/{attend,version,denoising_diffusion_pytorch}.py are loaded (the
package __init__, which pulls in every other variant, is bypassed).

Protocol: x_T is fixed and stored. lucidrains' own `p_sample_loop` / `ddim_sample` are called
unchanged; the only intervention is that the loop's very first `torch.randn(shape)` (the x_T
draw) is answered with the stored x_T without touching the generator, and that
`p_sample` / `model_predictions` are wrapped (call-through) to record the x0 estimate of every
step. `torch.manual_seed(S)` is called immediately before the loop, so every later
`torch.randn_like` (the per-step noise) comes from the global CPU mt19937 generator seeded with S.
See tests/fixtures/sampling_noise/README.md.
"""
import argparse
import importlib.util
import os
import sys
import types
from collections import OrderedDict

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "fixtures")
OUT = os.path.join(FIXTURES, "sampling_noise")


def stub(name, **attrs):
    mod = types.ModuleType(name)
    for k, v in attrs.items():
        setattr(mod, k, v)
    sys.modules[name] = mod
    return mod


class _Unused:
    def __init__(self, *a, **k):
        raise RuntimeError("stubbed: not used by the sampling references")


def load_lucidrains(ddp_root, einops_root):
    sys.path.insert(0, einops_root)
    import einops  # noqa: F401  (fails early when the path is wrong)
    tv = stub("torchvision")
    tv.transforms = stub("torchvision.transforms")
    tv.utils = stub("torchvision.utils")
    stub("ema_pytorch", EMA=_Unused)
    stub("accelerate", Accelerator=_Unused)
    try:
        import tqdm.auto  # noqa: F401
    except ImportError:
        stub("tqdm")
        stub("tqdm.auto", tqdm=lambda it, *a, **k: it)
    try:
        import packaging.version  # noqa: F401  (attend.py; only consulted for flash attention)
    except ImportError:
        pk = stub("packaging")
        pk.version = stub("packaging.version", parse=_Unused)
    try:
        import scipy.optimize  # noqa: F401
    except ImportError:
        stub("scipy")
        stub("scipy.optimize", linear_sum_assignment=_Unused)
    pkg_dir = os.path.join(ddp_root, "denoising_diffusion_pytorch")
    pkg = types.ModuleType("denoising_diffusion_pytorch")
    pkg.__path__ = [pkg_dir]
    sys.modules["denoising_diffusion_pytorch"] = pkg
    mods = {}
    for name in ("version", "attend", "denoising_diffusion_pytorch"):
        full = "denoising_diffusion_pytorch." + name
        spec = importlib.util.spec_from_file_location(full, os.path.join(pkg_dir, name + ".py"))
        mod = importlib.util.module_from_spec(spec)
        sys.modules[full] = mod
        spec.loader.exec_module(mod)
        mods[name] = mod
    assert mods["version"].__version__ == "2.1.1", mods["version"].__version__
    return mods["denoising_diffusion_pytorch"]


class FirstRandnIs:
    """Answer the next torch.randn(...) call with a given tensor (the loop's x_T draw), leaving the
    global generator untouched; every later call goes to the real torch.randn."""

    def __init__(self, x):
        self.x, self.orig = x, None

    def __enter__(self):
        self.orig = torch.randn

        def fake(*shape, **kw):
            torch.randn = self.orig
            size = tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], (tuple, list, torch.Size)) else shape
            assert tuple(size) == tuple(self.x.shape), (size, self.x.shape)
            return self.x.clone()

        torch.randn = fake
        return self

    def __exit__(self, *exc):
        assert torch.randn is self.orig, "the loop never drew x_T"
        torch.randn = self.orig


class RecordRandnLike:
    """Record every torch.randn_like draw (call-through) so the README's draw order is checked."""

    def __enter__(self):
        self.orig, self.draws = torch.randn_like, []

        def rec(*a, **k):
            out = self.orig(*a, **k)
            self.draws.append(out.clone())
            return out

        torch.randn_like = rec
        return self

    def __exit__(self, *exc):
        torch.randn_like = self.orig


def run_ddpm(gd, x_T, seed):
    x0s = []
    orig = gd.p_sample

    def p_sample(x, t, x_self_cond=None):
        img, x_start = orig(x, t, x_self_cond)
        x0s.append(x_start.clone())
        return img, x_start

    gd.p_sample = p_sample
    try:
        with FirstRandnIs(x_T), RecordRandnLike() as rec:
            torch.manual_seed(seed)
            xs = gd.p_sample_loop(tuple(x_T.shape), return_all_timesteps=True)
    finally:
        del gd.p_sample
    return xs, torch.stack(x0s), rec.draws


def run_ddim(gd, x_T, seed, steps, eta):
    x0s = []
    orig = gd.model_predictions

    def model_predictions(*a, **k):
        pred = orig(*a, **k)
        x0s.append(pred.pred_x_start.clone())
        return pred

    gd.model_predictions = model_predictions
    saved = gd.sampling_timesteps, gd.ddim_sampling_eta
    gd.sampling_timesteps, gd.ddim_sampling_eta = steps, eta
    try:
        with FirstRandnIs(x_T), RecordRandnLike() as rec:
            torch.manual_seed(seed)
            xs = gd.ddim_sample(tuple(x_T.shape), return_all_timesteps=True)
    finally:
        del gd.model_predictions
        gd.sampling_timesteps, gd.ddim_sampling_eta = saved
    return xs, torch.stack(x0s), rec.draws


def unnorm(x):
    return (x + 1) * 0.5


MODELS = {
    "ddpm_lucidrains_tiny": dict(
        ckpt="ddpm_lucidrains_tiny/model-1.pt", ref="ddpm_lucidrains_tiny/reference.pt",
        unet=dict(dim=16, dim_mults=(1, 2), channels=1, flash_attn=False),
        diffusion=dict(image_size=16, timesteps=100, sampling_timesteps=10),
        runs=[("ddpm", None, None, 1001), ("ddim_eta0.5", 10, 0.5, 1002), ("ddim_eta1", 10, 1.0, 1003),
              ("ddim25_eta1", 25, 1.0, 1004)],
        plain_sample=[("sample_ddpm", 100, None, 1005), ("sample_ddim_eta1", 10, 1.0, 1006)],
        xT_seed=11),
    "rgb_pred_noise_cosine": dict(
        ckpt="lucidrains_variants/rgb_pred_noise_cosine.pt", ref="lucidrains_variants/rgb_pred_noise_cosine.reference.pt",
        unet=dict(dim=8, dim_mults=(1, 2, 2), channels=3, attn_heads=2, attn_dim_head=8, full_attn=(False, True, True)),
        diffusion=dict(image_size=16, timesteps=50, sampling_timesteps=5, objective="pred_noise", beta_schedule="cosine"),
        runs=[("ddpm", None, None, 2001), ("ddim_eta0.5", 5, 0.5, 2002), ("ddim_eta1", 5, 1.0, 2003)],
        xT_seed=22),
}


def make(ddpm_mod, name, spec):
    ckpt = torch.load(os.path.join(FIXTURES, spec["ckpt"]), map_location="cpu")
    ref = torch.load(os.path.join(FIXTURES, spec["ref"]), map_location="cpu")
    gd = ddpm_mod.GaussianDiffusion(ddpm_mod.Unet(**spec["unet"]), **spec["diffusion"])
    gd.load_state_dict(ckpt["model"])  # the online weights, not the EMA copy
    gd.eval()
    with torch.inference_mode():
        err = (gd.model(ref["unet_x"], ref["unet_t"]) - ref["unet_out"]).abs().max().item()
    assert err < 1e-5, f"{name}: unet_out differs from the reference by {err}"
    print(f"{name}: unet_out matches reference within {err:.2e}")
    # The deterministic DDIM (eta 0) of the reference file, through the same hooks as below.
    xs, x0s, _ = run_ddim(gd, ref["ddim_x_T"], 0, gd.sampling_timesteps, 0.0)
    err = max((xs - ref["ddim_all_x"]).abs().max().item(), (unnorm(x0s) - ref["ddim_x0_preds"]).abs().max().item())
    assert err < 1e-5, f"{name}: eta-0 DDIM differs from the reference by {err}"
    print(f"{name}: eta-0 DDIM matches reference within {err:.2e}")

    c, s = spec["unet"]["channels"], spec["diffusion"]["image_size"]
    x_T = torch.randn(2, c, s, s, generator=torch.Generator().manual_seed(spec["xT_seed"]))
    out = OrderedDict(x_T=x_T)
    for key, steps, eta, seed in spec["runs"]:
        if steps is None:
            xs, x0s, draws = run_ddpm(gd, x_T, seed)
            n = gd.num_timesteps
            assert len(draws) == n - 1  # no draw at t = 0
        else:
            xs, x0s, draws = run_ddim(gd, x_T, seed, steps, eta)
            n = steps
            assert len(draws) == n - 1  # no draw on the last (time_next = -1) step
        xs = xs.transpose(0, 1).contiguous()  # lucidrains stacks on dim 1: (B, n+1, ...) -> (n+1, B, ...)
        assert xs.shape[0] == n + 1 and x0s.shape[0] == n
        assert torch.equal(xs[0], unnorm(x_T))
        # Re-draw the first noise from a fresh generator: shows it is plain randn on the seeded generator.
        g = torch.Generator().manual_seed(seed)
        assert torch.equal(draws[0], torch.randn(x_T.shape, generator=g))
        out[key + "_seed"] = torch.tensor([seed], dtype=torch.int64)
        if eta is not None:
            out[key + "_eta"] = torch.tensor([eta], dtype=torch.float64)
            out[key + "_steps"] = torch.tensor([steps], dtype=torch.int64)
        out[key + "_xs"] = xs
        out[key + "_x0"] = unnorm(x0s)
        out[key + "_final"] = xs[-1].clone()
        out[key + "_noise0"] = draws[0]
        print(f"  {key}: seed {seed}, {n} steps, {len(draws)} noise draws")
    for key, steps, eta, seed in spec.get("plain_sample", []):
        # lucidrains' public entry point, untouched: x_T is the first draw of the seeded generator.
        saved = gd.sampling_timesteps, gd.is_ddim_sampling, gd.ddim_sampling_eta
        gd.sampling_timesteps, gd.is_ddim_sampling = steps, steps < gd.num_timesteps
        gd.ddim_sampling_eta = 0.0 if eta is None else eta
        torch.manual_seed(seed)
        fin = gd.sample(batch_size=2)
        gd.sampling_timesteps, gd.is_ddim_sampling, gd.ddim_sampling_eta = saved
        out[key + "_seed"] = torch.tensor([seed], dtype=torch.int64)
        if eta is not None:
            out[key + "_eta"] = torch.tensor([eta], dtype=torch.float64)
        out[key + "_steps"] = torch.tensor([steps], dtype=torch.int64)
        out[key + "_x_T"] = torch.randn(fin.shape, generator=torch.Generator().manual_seed(seed))
        out[key + "_final"] = fin
        print(f"  {key}: gd.sample(batch_size=2) after torch.manual_seed({seed})")
    torch.save(out, os.path.join(OUT, name + ".pt"))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ddp", default="/tmp/ref/ddp", help="denoising-diffusion-pytorch 2.1.1 source tree")
    ap.add_argument("--einops", default="/tmp/ref/einops", help="einops source tree (pure Python)")
    args = ap.parse_args()
    torch.set_num_threads(1)
    ddpm_mod = load_lucidrains(args.ddp, args.einops)
    os.makedirs(OUT, exist_ok=True)
    for name, spec in MODELS.items():
        make(ddpm_mod, name, spec)


if __name__ == "__main__":
    main()
