#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
r"""Reference fixtures for the C++ DPM-Solver / DPM-Solver++ / UniPC samplers.

Runs the ORIGINAL Python reference implementations (loaded from the given paths, never copied
into this repository) on the two lucidrains checkpoints of tests/fixtures and records every
network evaluation, every step's state and the final sample for a list of sampler
configurations. Output: tests/fixtures/fast_samplers/{tiny_pred_v_sigmoid,rgb_pred_noise_cosine}.pt
and tests/fixtures/fast_samplers/README.md (written by this script; it documents every key).

Getting the reference code (snapshots are bare git repositories under /work/.mirror; this puts
them where the defaults point; REGEN_RECIPE below holds the same commands):

    mkdir -p /tmp/refcode && cd /tmp/refcode
    git --git-dir=/work/.mirror/LuChengTHU+dpm-solver/repo show \
        52bc3fbcd5de56d60917b826b15d2b69460fc2fa:dpm_solver_pytorch.py > dpm_solver_pytorch.py
    git --git-dir=/work/.mirror/wl-zhao+UniPC/repo show \
        cf9de85bf2ed68137e6fba5f165f451677b174c4:uni_pc.py > uni_pc.py
    mkdir -p ddpm211 einops081
    git --git-dir=/work/.mirror/lucidrains+denoising-diffusion-pytorch/repo archive 2.1.1 \
        denoising_diffusion_pytorch | tar -x -C ddpm211
    git --git-dir=/work/.mirror/arogozhnikov+einops/repo archive v0.8.1 einops | tar -x -C einops081

(elsewhere: github.com/LuChengTHU/dpm-solver, github.com/wl-zhao/UniPC,
github.com/lucidrains/denoising-diffusion-pytorch tag 2.1.1, github.com/arogozhnikov/einops v0.8.1.)

Run with Debian's python3-torch (1.13):

    /usr/bin/python3 tests/tools/make_fast_sampler_fixtures.py \
        [--dpm-solver /tmp/refcode/dpm_solver_pytorch.py] [--unipc /tmp/refcode/uni_pc.py] \
        [--lucidrains /tmp/refcode/ddpm211] [--einops /tmp/refcode/einops081] [--out DIR]

The lucidrains package is imported from its 2.1.1 source with its training-only top-level
imports (accelerate, ema_pytorch, torchvision, tqdm, packaging) stubbed; `--unet restated` uses
the plain-PyTorch restatement in make_lucidrains_variants.py instead. Either way the Unet is
checked against the stored reference outputs (max abs error < 1e-5) before anything is written.

The only modifications of the reference code are the textual patches in PATCHES_DPM / PATCHES_UNIPC
(each must match exactly once); everything else is observation through instance-level wrappers.
"""
import argparse
import contextlib
import hashlib
import io
import os
import re
import sys
import types
from collections import OrderedDict

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", ".."))
FIX = os.path.join(REPO, "tests", "fixtures")

DPM_COMMIT = "52bc3fbcd5de56d60917b826b15d2b69460fc2fa"
UNIPC_COMMIT = "cf9de85bf2ed68137e6fba5f165f451677b174c4"
REGEN_RECIPE = f"""mkdir -p /tmp/refcode && cd /tmp/refcode
git --git-dir=/work/.mirror/LuChengTHU+dpm-solver/repo show {DPM_COMMIT}:dpm_solver_pytorch.py > dpm_solver_pytorch.py
git --git-dir=/work/.mirror/wl-zhao+UniPC/repo show {UNIPC_COMMIT}:uni_pc.py > uni_pc.py
mkdir -p ddpm211 einops081
git --git-dir=/work/.mirror/lucidrains+denoising-diffusion-pytorch/repo archive 2.1.1 denoising_diffusion_pytorch | tar -x -C ddpm211
git --git-dir=/work/.mirror/arogozhnikov+einops/repo archive v0.8.1 einops | tar -x -C einops081
cd <repo> && /usr/bin/python3 tests/tools/make_fast_sampler_fixtures.py"""

# ---------------------------------------------------------------------------------------------
# Patches of the reference code: (old text, new text, reason). Applied textually before exec.
# ---------------------------------------------------------------------------------------------
# (b) both wrappers map t_continuous to the discrete label with `* 1000.`, which assumes N = 1000
#     training steps. Our models have N = 100 / 50: use `* total_N`, i.e. the same mapping onto
#     0..N-1 (N = noise_schedule.total_N, which for dpm_solver_pytorch is the length AFTER its
#     numerical_clip_alpha truncation, consistent with its t_array).
PATCH_TIME = (
    "            return (t_continuous - 1. / noise_schedule.total_N) * 1000.\n",
    "            return (t_continuous - 1. / noise_schedule.total_N) * noise_schedule.total_N\n",
    "(b) discrete time label (t - 1/N) * N instead of (t - 1/N) * 1000",
)
PATCHES_DPM = [PATCH_TIME]
PATCHES_UNIPC = [
    PATCH_TIME,
    # (a) UniPC's model_wrapper multiplies (B,) alpha_t / sigma_t straight into (B,C,H,W) tensors for
    #     x_start / v models; dpm_solver_pytorch wraps them in expand_dims. Same two-line fix.
    ("            return (x - alpha_t * output) / sigma_t\n",
     "            return (x - expand_dims(alpha_t, x.dim()) * output) / expand_dims(sigma_t, x.dim())\n",
     "(a) broadcast alpha_t/sigma_t for model_type='x_start'"),
    ("            return alpha_t * output + sigma_t * x\n",
     "            return expand_dims(alpha_t, x.dim()) * output + expand_dims(sigma_t, x.dim()) * x\n",
     "(a) broadcast alpha_t/sigma_t for model_type='v'"),
]


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def load_patched(path, name, patches):
    with open(path) as f:
        src = f.read()
    for old, new, why in patches:
        n = src.count(old)
        assert n == 1, f"patch '{why}' matches {n} times in {path}"
        src = src.replace(old, new)
    mod = types.ModuleType(name)
    mod.__file__ = path
    exec(compile(src, path, "exec"), mod.__dict__)
    return mod


# ---------------------------------------------------------------------------------------------
# Models
# ---------------------------------------------------------------------------------------------
def import_lucidrains(pkg_root, einops_root):
    """Import denoising_diffusion_pytorch 2.1.1's module without its package __init__ and with the
    training-only dependencies stubbed (none of them is touched by Unet.__init__/forward)."""
    sys.path.insert(0, einops_root)

    class _Unavailable:
        def __init__(self, *a, **k):
            raise RuntimeError("stubbed dependency")

    def stub(name, **attrs):
        m = types.ModuleType(name)
        m.__dict__.update(attrs)
        sys.modules[name] = m
        return m

    def _parse(s):  # packaging.version.parse: only reached for flash attention / CUDA
        return tuple(int(p) for p in re.findall(r"\d+", s)[:3])

    stub("packaging").version = stub("packaging.version", parse=_parse)
    tv = stub("torchvision")
    tv.transforms, tv.utils = stub("torchvision.transforms"), stub("torchvision.utils")
    stub("tqdm").auto = stub("tqdm.auto", tqdm=lambda iterable, *a, **k: iterable)  # progress bars only
    if "ema_pytorch" not in sys.modules:  # a caller that trains provides the real one
        stub("ema_pytorch", EMA=_Unavailable)
    stub("accelerate", Accelerator=_Unavailable)
    pkg = types.ModuleType("denoising_diffusion_pytorch")
    pkg.__path__ = [os.path.join(pkg_root, "denoising_diffusion_pytorch")]
    sys.modules["denoising_diffusion_pytorch"] = pkg
    import denoising_diffusion_pytorch.denoising_diffusion_pytorch as ddp
    return ddp


def variants_module():
    sys.path.insert(0, HERE)
    import make_lucidrains_variants as mlv
    return mlv


def build_models(args):
    mlv = variants_module()
    if args.unet == "lucidrains":
        ddp = import_lucidrains(args.lucidrains, args.einops)
        make_unet = lambda **kw: ddp.Unet(**kw, flash_attn=False)
    else:
        make_unet = lambda **kw: mlv.Unet(**kw)
    rgb_spec = mlv.VARIANTS["rgb_pred_noise_cosine"]
    models = [
        dict(name="tiny_pred_v_sigmoid", model_type="v",
             ckpt=os.path.join(FIX, "ddpm_lucidrains_tiny", "model-1.pt"),
             ref=os.path.join(FIX, "ddpm_lucidrains_tiny", "reference.pt"),
             unet_kw=dict(dim=16, dim_mults=(1, 2), channels=1), image_size=16, channels=1,
             desc="ddpm_lucidrains_tiny/model-1.pt: Unet(dim=16, dim_mults=(1,2), channels=1), "
                  "N=100, sigmoid schedule, objective pred_v"),
        dict(name="rgb_pred_noise_cosine", model_type="noise",
             ckpt=os.path.join(FIX, "lucidrains_variants", "rgb_pred_noise_cosine.pt"),
             ref=os.path.join(FIX, "lucidrains_variants", "rgb_pred_noise_cosine.reference.pt"),
             unet_kw=dict(rgb_spec["unet"]), image_size=rgb_spec["diffusion"]["image_size"], channels=3,
             desc="lucidrains_variants/rgb_pred_noise_cosine.pt: Unet(dim=8, dim_mults=(1,2,2), channels=3, "
                  "attn_heads=2, attn_dim_head=8, full_attn=(F,T,T)), N=50, cosine schedule, objective pred_noise"),
    ]
    for m in models:
        ck = torch.load(m["ckpt"], map_location="cpu")
        sd = ck["model"]  # online weights
        unet = make_unet(**m["unet_kw"])
        unet.load_state_dict(OrderedDict((k[len("model."):], v) for k, v in sd.items() if k.startswith("model.")))
        unet.eval()
        ref = torch.load(m["ref"], map_location="cpu")
        with torch.no_grad():
            err = (unet(ref["unet_x"], ref["unet_t"]) - ref["unet_out"]).abs().max().item()
        assert err < 1e-5, f"{m['name']}: Unet does not reproduce unet_out ({err})"
        print(f"{m['name']}: unet_out reproduced, max abs err {err:.3g}")
        m["unet"], m["unet_check_err"] = unet, err
        m["alphas_cumprod"] = sd["alphas_cumprod"]
        assert m["alphas_cumprod"].dtype == torch.float32
    return models


# ---------------------------------------------------------------------------------------------
# Configurations
# ---------------------------------------------------------------------------------------------
def D(algorithm_type, method, order, skip, steps, **kw):
    c = dict(lib="dpm", algorithm_type=algorithm_type, method=method, order=order, skip_type=skip, steps=steps,
             lower_order_final=True, denoise_to_zero=False, solver_type="dpmsolver", correcting_x0_fn=None)
    c.update(kw)
    return c


def U(algorithm_type, variant, order, skip, steps, **kw):
    c = dict(lib="unipc", algorithm_type=algorithm_type, variant=variant, method="multistep", order=order,
             skip_type=skip, steps=steps, lower_order_final=True, denoise_to_zero=False, correcting_x0_fn=None)
    c.update(kw)
    return c


PP, NP = "dpmsolver++", "dpmsolver"
CONFIGS = OrderedDict([
    ("dpmpp_2m_tu_10", D(PP, "multistep", 2, "time_uniform", 10)),
    ("dpmpp_2m_tu_20", D(PP, "multistep", 2, "time_uniform", 20)),
    ("dpmpp_3m_logsnr_10", D(PP, "multistep", 3, "logSNR", 10)),
    ("dpm_3s_10", D(NP, "singlestep", 3, "time_uniform", 10)),
    ("dpm_3s_logsnr_10", D(NP, "singlestep", 3, "logSNR", 10)),
    ("dpm_2s_quad_12", D(NP, "singlestep", 2, "time_quadratic", 12)),
    ("dpm_1_tu_10", D(NP, "multistep", 1, "time_uniform", 10)),
    ("dpmpp_1_tu_10", D(PP, "multistep", 1, "time_uniform", 10)),
    ("dpm_2m_tu_10", D(NP, "multistep", 2, "time_uniform", 10)),
    ("dpm_3m_tu_10", D(NP, "multistep", 3, "time_uniform", 10)),
    ("dpmpp_2s_tu_10", D(PP, "singlestep", 2, "time_uniform", 10)),
    ("dpmpp_2s_tu_11", D(PP, "singlestep", 2, "time_uniform", 11)),
    ("dpmpp_3s_logsnr_10", D(PP, "singlestep", 3, "logSNR", 10)),
    ("dpmpp_3s_tu_11", D(PP, "singlestep", 3, "time_uniform", 11)),
    ("dpmpp_3s_tu_12", D(PP, "singlestep", 3, "time_uniform", 12)),
    ("dpmpp_3sf_tu_10", D(PP, "singlestep_fixed", 3, "time_uniform", 10)),
    ("dpmpp_2m_tu_10_dz", D(PP, "multistep", 2, "time_uniform", 10, denoise_to_zero=True)),
    ("dpmpp_3m_tu_10_nolof", D(PP, "multistep", 3, "time_uniform", 10, lower_order_final=False)),
    ("dpmpp_3m_tu_8", D(PP, "multistep", 3, "time_uniform", 8)),
    ("dpmpp_3m_tu_8_nolof", D(PP, "multistep", 3, "time_uniform", 8, lower_order_final=False)),
    ("dpmpp_2m_tu_10_taylor", D(PP, "multistep", 2, "time_uniform", 10, solver_type="taylor")),
    ("dpmpp_2m_tu_10_thresh", D(PP, "multistep", 2, "time_uniform", 10, correcting_x0_fn="dynamic_thresholding")),
    ("adaptive_o2", D(PP, "adaptive", 2, None, None, atol=0.0078, rtol=0.05)),
    ("adaptive_o3", D(PP, "adaptive", 3, None, None, atol=0.0078, rtol=0.05)),
    ("dpm_adaptive_o3", D(NP, "adaptive", 3, None, None, atol=0.0078, rtol=0.05)),
    ("adaptive_o3_tight", D(PP, "adaptive", 3, None, None, atol=1e-4, rtol=1e-4)),
    ("unipc_bh2_3_tu_10", U("data_prediction", "bh2", 3, "time_uniform", 10)),
    ("unipc_bh1_2_tu_10", U("data_prediction", "bh1", 2, "time_uniform", 10)),
    ("unipc_bh2_2_logsnr_20", U("data_prediction", "bh2", 2, "logSNR", 20)),
    ("unipc_bh1_3_quad_10", U("data_prediction", "bh1", 3, "time_quadratic", 10)),
    ("unipc_bh2_3_tu_10_nolof", U("data_prediction", "bh2", 3, "time_uniform", 10, lower_order_final=False)),
    ("unipc_bh2_3_tu_10_dz", U("data_prediction", "bh2", 3, "time_uniform", 10, denoise_to_zero=True)),
    ("unipc_p_bh2_3_tu_10", U("noise_prediction", "bh2", 3, "time_uniform", 10)),
    ("unipc_p_bh1_2_tu_10", U("noise_prediction", "bh1", 2, "time_uniform", 10)),
    ("unipc_vary_3_tu_10", U("data_prediction", "vary_coeff", 3, "time_uniform", 10)),
    ("unipc_bh2_2_tu_10_thresh", U("data_prediction", "bh2", 2, "time_uniform", 10,
                                   correcting_x0_fn="dynamic_thresholding")),
])

# The rgb model stores per-evaluation / per-step tensors only for these (size budget); for the
# others it stores final, t, timesteps, nfe, orders (and the adaptive trial log).
RGB_FULL = {"dpmpp_2m_tu_10", "dpmpp_3m_logsnr_10", "dpm_3s_10", "unipc_bh2_3_tu_10", "unipc_p_bh2_3_tu_10",
            "adaptive_o2"}
# The tiny model also drops xs and x0 (keeping final, t, timesteps and the trial log) for these.
TINY_SHORT = {"adaptive_o3_tight"}


# ---------------------------------------------------------------------------------------------
# Running one configuration with observation wrappers
# ---------------------------------------------------------------------------------------------
class Log:
    def __init__(self):
        self.t, self.x0, self.x0_raw = [], [], []
        self.orders, self.corrector = [], []
        self.grid, self.outer = None, None
        self.trials = []  # adaptive: dicts with s, t, x_lower, x_higher


def instrument(solver, ns, log, lib, cfg):
    orig_model = solver.model  # lambda x, t: model_fn(x, t.expand(B)) -> noise prediction

    def model(x, t):
        eps = orig_model(x, t)
        tt = t.reshape(-1)
        # the same formula the solvers' data_prediction_fn uses
        x0 = (x - ns.marginal_std(tt) * eps) / ns.marginal_alpha(tt)
        log.t.append(float(tt[0]))
        log.x0.append(x0.clone())
        log.x0_raw.append(x0.clone())
        return eps
    solver.model = model

    if solver.correcting_x0_fn is not None:
        orig_corr = solver.correcting_x0_fn

        def corr(x0, *a):
            out = orig_corr(x0, *a)
            log.x0[-1] = out.clone()
            return out
        solver.correcting_x0_fn = corr

    orig_gts = solver.get_time_steps

    def get_time_steps(*a, **k):
        out = orig_gts(*a, **k)
        if log.grid is None:
            log.grid = out.clone()
        return out
    solver.get_time_steps = get_time_steps

    orig_gots = solver.get_orders_and_timesteps_for_singlestep_solver

    def gots(*a, **k):
        out = orig_gots(*a, **k)
        log.outer = (out[0].clone(), list(out[1]))
        return out
    solver.get_orders_and_timesteps_for_singlestep_solver = gots

    if lib == "dpm":
        orig_ms = solver.multistep_dpm_solver_update

        def ms(x, model_prev_list, t_prev_list, t, order, **k):
            log.orders.append(order)
            return orig_ms(x, model_prev_list, t_prev_list, t, order, **k)
        solver.multistep_dpm_solver_update = ms
        if cfg["method"] == "adaptive":
            lower_name, higher_name = {2: ("dpm_solver_first_update", "singlestep_dpm_solver_second_update"),
                                       3: ("singlestep_dpm_solver_second_update",
                                           "singlestep_dpm_solver_third_update")}[cfg["order"]]
            orig_lo, orig_hi = getattr(solver, lower_name), getattr(solver, higher_name)

            def lo(x, s, t, *a, **k):
                out = orig_lo(x, s, t, *a, **k)
                log.trials.append(dict(s=float(s.reshape(-1)[0]), t=float(t.reshape(-1)[0]), x_lower=out[0].clone()))
                return out

            def hi(x, s, t, *a, **k):
                out = orig_hi(x, s, t, *a, **k)
                log.trials[-1]["x_higher"] = out.clone()
                return out
            setattr(solver, lower_name, lo)
            setattr(solver, higher_name, hi)
    else:
        orig_up = solver.multistep_uni_pc_update

        def up(x, model_prev_list, t_prev_list, t, order, **k):
            log.orders.append(order)
            log.corrector.append(bool(k.get("use_corrector", True)))
            return orig_up(x, model_prev_list, t_prev_list, t, order, **k)
        solver.multistep_uni_pc_update = up


def run_config(name, cfg, dpm, unipc, model, ns_dtype=torch.float32):
    lib = cfg["lib"]
    mod = dpm if lib == "dpm" else unipc
    ns = mod.NoiseScheduleVP("discrete", alphas_cumprod=model["alphas_cumprod"], dtype=ns_dtype)
    unet = model["unet"]
    model_fn = mod.model_wrapper(lambda x, t_input: unet(x, t_input), ns, model_type=model["model_type"],
                                 model_kwargs={}, guidance_type="uncond")
    if lib == "dpm":
        solver = mod.DPM_Solver(model_fn, ns, algorithm_type=cfg["algorithm_type"],
                                correcting_x0_fn=cfg["correcting_x0_fn"])
    else:
        solver = mod.UniPC(model_fn, ns, algorithm_type=cfg["algorithm_type"],
                           correcting_x0_fn=cfg["correcting_x0_fn"], variant=cfg["variant"])
    log = Log()
    instrument(solver, ns, log, lib, cfg)
    x_T = model["x_T"]
    kw = dict(steps=cfg["steps"], order=cfg["order"], skip_type=cfg["skip_type"], method=cfg["method"],
              lower_order_final=cfg["lower_order_final"], denoise_to_zero=cfg["denoise_to_zero"])
    if lib == "dpm":
        kw["solver_type"] = cfg["solver_type"]
    adaptive = cfg["method"] == "adaptive"
    if adaptive:
        kw = dict(order=cfg["order"], method="adaptive", atol=cfg["atol"], rtol=cfg["rtol"])
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed), torch.no_grad():
        if adaptive:
            final = solver.sample(x_T.clone(), **kw)
            inter = None
        else:
            final, inter = solver.sample(x_T.clone(), return_intermediate=True, **kw)
    nfe = len(log.t)
    res = OrderedDict()
    res["final"] = final
    res["x0"] = torch.stack(log.x0)
    if cfg["correcting_x0_fn"] is not None:
        res["x0_raw"] = torch.stack(log.x0_raw)
    res["t"] = torch.tensor(log.t, dtype=torch.float64)

    if adaptive:
        m = re.search(r"adaptive solver nfe (\d+)", printed.getvalue())
        assert m and int(m.group(1)) == nfe, (printed.getvalue(), nfe)
        trials = log.trials
        # accepted <=> the next trial starts from this trial's t (s only moves on acceptance);
        # the last trial is always accepted (the loop only ends after s reached t_0)
        acc = [trials[i + 1]["s"] != trials[i]["s"] for i in range(len(trials) - 1)] + [True]
        # recompute the reference's error estimate (same formula) and check it agrees
        x_prev, Es = x_T, []
        for tr, a in zip(trials, acc):
            delta = torch.max(torch.ones_like(x_T) * cfg["atol"],
                              cfg["rtol"] * torch.max(torch.abs(tr["x_lower"]), torch.abs(x_prev)))
            v = (tr["x_higher"] - tr["x_lower"]) / delta
            E = torch.sqrt(torch.square(v.reshape((v.shape[0], -1))).mean(dim=-1, keepdim=True)).max()
            Es.append(float(E))
            assert bool(E <= 1.) == a, (name, E, a)
            if a:
                x_prev = tr["x_lower"]
        xs = [x_T] + [tr["x_higher"] for tr, a in zip(trials, acc) if a]
        assert torch.equal(xs[-1], final)
        res["xs"] = torch.stack(xs)
        grid = [trials[0]["s"]] + [tr["t"] for tr, a in zip(trials, acc) if a]
        res["timesteps"] = torch.tensor(grid, dtype=torch.float64)
        res["trial_s"] = torch.tensor([tr["s"] for tr in trials], dtype=torch.float64)
        res["trial_t"] = torch.tensor([tr["t"] for tr in trials], dtype=torch.float64)
        res["trial_accepted"] = torch.tensor(acc, dtype=torch.int64)
        res["trial_E"] = torch.tensor(Es, dtype=torch.float32)
        steps = len(xs) - 1
        assert nfe == cfg["order"] * len(trials)
    else:
        if cfg["method"] in ("singlestep", "singlestep_fixed"):
            xs = [x_T] + list(inter)
            if cfg["method"] == "singlestep":
                grid, orders = log.outer
            else:
                K = cfg["steps"] // cfg["order"]
                grid, orders = log.grid, [cfg["order"]] * K
            res["orders"] = torch.tensor(orders, dtype=torch.int64)
            steps = len(orders)
            assert nfe == sum(orders) + int(cfg["denoise_to_zero"])
        else:
            xs = list(inter)
            assert torch.equal(xs[0], x_T)
            grid = log.grid
            steps = cfg["steps"]
            res["orders"] = torch.tensor(log.orders, dtype=torch.int64)
            if lib == "unipc":
                res["corrector"] = torch.tensor(log.corrector, dtype=torch.int64)
            assert nfe == steps + int(cfg["denoise_to_zero"]), (name, nfe)
        assert len(xs) == steps + 1 + int(cfg["denoise_to_zero"])
        assert torch.equal(xs[-1], final)
        res["xs"] = torch.stack(xs)
        res["timesteps"] = grid.to(torch.float64)
        assert res["timesteps"].shape[0] == steps + 1
    if cfg["denoise_to_zero"]:
        assert torch.equal(res["x0"][-1], final)
    res["nfe"] = torch.tensor(nfe, dtype=torch.int64)
    res["steps"] = torch.tensor(steps, dtype=torch.int64)
    # image space, unclipped
    for k in ("final", "xs", "x0", "x0_raw"):
        if k in res:
            res[k] = ((res[k] + 1) / 2).contiguous()
    return res, dict(nfe=nfe, steps=steps, maxabs=res["final"].abs().max().item(), orders=res["orders"].tolist() if "orders" in res else None,
                     corrector=res["corrector"].tolist() if "corrector" in res else None,
                     trials=len(log.trials) if adaptive else None)


def float64_deviation(name, cfg, dpm, unipc, model, final32):
    """Re-run a configuration entirely in float64 (Unet, schedule, x_T, default dtype) and return
    max|final64 - final32| / max|final32| (image space) and the float64 run's NFE: a measure of how
    much float32 rounding the configuration amplifies, i.e. what tolerance a port can expect."""
    import copy
    torch.set_default_dtype(torch.float64)
    try:
        m64 = dict(model, unet=copy.deepcopy(model["unet"]).double(),
                   alphas_cumprod=model["alphas_cumprod"].double(), x_T=model["x_T"].double())
        res64, info64 = run_config(name, cfg, dpm, unipc, m64, ns_dtype=torch.float64)
        dev = ((res64["final"].double() - final32.double()).abs().max() / final32.double().abs().max()).item()
    finally:
        torch.set_default_dtype(torch.float32)
    return dev, info64["nfe"]


def schedule_tensors(dpm, unipc, ac):
    out = OrderedDict()
    for tag, mod in (("dpm", dpm), ("unipc", unipc)):
        ns = mod.NoiseScheduleVP("discrete", alphas_cumprod=ac)
        out[f"ns_{tag}_log_alpha"] = ns.log_alpha_array.reshape(-1).clone()
        out[f"ns_{tag}_t_array"] = ns.t_array.reshape(-1).clone()
    return out


# ---------------------------------------------------------------------------------------------
# README
# ---------------------------------------------------------------------------------------------
def describe(cfg):
    if cfg["lib"] == "dpm":
        s = (f"dpm_solver_pytorch DPM_Solver(algorithm_type=\"{cfg['algorithm_type']}\""
             + (f", correcting_x0_fn=\"{cfg['correcting_x0_fn']}\"" if cfg["correcting_x0_fn"] else "") + ")"
             + f".sample(method=\"{cfg['method']}\", order={cfg['order']}")
        if cfg["method"] == "adaptive":
            s += f", atol={cfg['atol']}, rtol={cfg['rtol']})"
        else:
            s += (f", skip_type=\"{cfg['skip_type']}\", steps={cfg['steps']}, lower_order_final={cfg['lower_order_final']}"
                  f", denoise_to_zero={cfg['denoise_to_zero']}, solver_type=\"{cfg['solver_type']}\")")
    else:
        s = (f"uni_pc UniPC(algorithm_type=\"{cfg['algorithm_type']}\", variant=\"{cfg['variant']}\""
             + (f", correcting_x0_fn=\"{cfg['correcting_x0_fn']}\"" if cfg["correcting_x0_fn"] else "") + ")"
             + f".sample(method=\"multistep\", order={cfg['order']}, skip_type=\"{cfg['skip_type']}\", steps={cfg['steps']}"
             f", lower_order_final={cfg['lower_order_final']}, denoise_to_zero={cfg['denoise_to_zero']})")
    return s


README_HEAD = """# Fast-sampler reference fixtures (DPM-Solver, DPM-Solver++, UniPC)

Written by `tests/tools/make_fast_sampler_fixtures.py` (this file too); do not edit by hand.
Produced by running the ORIGINAL reference implementations:

- `dpm_solver_pytorch.py` from LuChengTHU/dpm-solver @ `{dpm_commit}` (sha256 `{dpm_sha}`)
- `uni_pc.py` from wl-zhao/UniPC @ `{unipc_commit}` (sha256 `{unipc_sha}`)
- Unet: {unet_src}
- torch {torch_version} (Debian python3-torch), CPU, `torch.set_num_threads(1)`, default dtype float32.

## Patches applied to the reference code (textual, each matching exactly once)

{patches}

Nothing else is modified. All recording is done by instance-level wrappers around the solver
objects (they call the original methods and only copy values).

## Models

{models}

The model function handed to `model_wrapper` is `lambda x, t_input: unet(x, t_input)` (no
self-conditioning), online weights (`model` state dict), `guidance_type="uncond"`,
`model_type` = "v" (tiny) / "noise" (rgb). Noise schedule: `NoiseScheduleVP('discrete',
alphas_cumprod=<checkpoint buffer alphas_cumprod, float32 as stored>)` of the respective library
(default dtype float32). `t_start`/`t_end` are the defaults (T = 1, t_0 = 1/total_N).

NOTE total_N: dpm_solver_pytorch's NoiseScheduleVP truncates the schedule where the half-logSNR
drops below -5.1 (`numerical_clip_alpha`); uni_pc.py does not. So for the same checkpoint the two
libraries use different schedules:

{schedules}

The Unet therefore receives t_input = (t - 1/total_N) * total_N with the library's own total_N
(float32 tensor of shape (B,)).

## Files and keys

One `torch.save`d OrderedDict per model (string keys, tensor values):
`tiny_pred_v_sigmoid.pt`, `rgb_pred_noise_cosine.pt`.

- `x_T`: (2, C, 16, 16) float32, MODEL space ([-1, 1] scale):
  `torch.randn(2, C, 16, 16, generator=torch.Generator().manual_seed(1234))`.
- `ns_dpm_log_alpha`, `ns_dpm_t_array`, `ns_unipc_log_alpha`, `ns_unipc_t_array`: (total_N,) float32,
  the libraries' `log_alpha_array` / `t_array` (the interpolation knots).

Per configuration `<c>` (all image tensors are IMAGE space, `(x + 1) / 2`, NOT clipped, float32):

- `<c>_final` (B,C,H,W): the returned sample.
- `<c>_xs` (S+1(+1),B,C,H,W): x_T, then the state after every outer step (multistep: after each of
  the `steps` updates; singlestep: after each singlestep-solver step, i.e. `len(orders)` entries;
  adaptive: after each ACCEPTED step). With denoise_to_zero one more entry (the denoised x) is
  appended. Last entry == `<c>_final`.
- `<c>_x0` (nfe,B,C,H,W): data prediction at EVERY network evaluation in call order:
  x0 = (x - sigma_t * eps) / alpha_t computed from the noise prediction eps the wrapper returns
  (for "v" models the wrapper first forms eps = alpha_t * v + sigma_t * x), with alpha_t, sigma_t
  from the library's NoiseScheduleVP at that t. This is the exact tensor dpmsolver++/data_prediction
  algorithms use; for dpmsolver/noise_prediction algorithms it is the implied x0. For configurations
  with `correcting_x0_fn="dynamic_thresholding"` `<c>_x0` is the thresholded x0 the solver uses and
  `<c>_x0_raw` the x0 before thresholding.
  UniPC evaluates the corrector's model call at the PREDICTOR's x_t; that evaluation is the one
  recorded (and reused by UniPC as the model value of the corrected x_t).
- `<c>_t` (nfe,) float64: continuous time t of every evaluation (float32 values widened).
- `<c>_timesteps` (S+1,) float64: the outer time grid (multistep: `get_time_steps(..., N=steps)`;
  singlestep: `timesteps_outer`; singlestep_fixed: `get_time_steps(..., N=steps//order)`;
  adaptive: t_T followed by the t of every accepted step).
- `<c>_float64_deviation` (float64 scalar): max|final64 - final32| / max|final32| of a rerun in
  float64 (the table's last column), how much float32 rounding the configuration amplifies.
- `<c>_nfe`, `<c>_steps`: int64 scalars (network evaluations; number of outer steps S).
- `<c>_orders` (int64): multistep: the `order` argument of every update call in order (warm-up
  steps included, S entries); singlestep: the per-step orders.
- `<c>_corrector` (int64, UniPC): whether each update ran the corrector (1) or not (0).
- adaptive only: `<c>_trial_s`, `<c>_trial_t` (float64, every attempted step's s -> t),
  `<c>_trial_accepted` (int64 0/1), `<c>_trial_E` (float32, the error estimate E of each trial,
  recomputed by the generator with the reference formula and checked against acceptance).

{budget}

## Configurations

`dpm_*` = algorithm_type "dpmsolver", `dpmpp_*` = "dpmsolver++", `m` multistep, `s` singlestep,
`sf` singlestep_fixed, `tu` time_uniform, `logsnr` logSNR, `quad` time_quadratic, number = steps.
`dpm_3s_10` uses skip_type time_uniform: the dpm-solver README's example for unconditional sampling
of discrete-time DPMs uses `skip_type="time_uniform"` (its hyper-parameter notes add that logSNR
is best for low-resolution images such as CIFAR-10, hence also `dpm_3s_logsnr_10`).
Thresholding: dpm_solver_pytorch's / uni_pc's `dynamic_thresholding_fn` with their defaults
`dynamic_thresholding_ratio=0.995`, `thresholding_max_val=1.0`
(s = max(quantile(|x0| per sample, 0.995), 1); x0 = clamp(x0, -s, s) / s).
Adaptive: `sample(method="adaptive")` (h_init=0.05, theta=0.9, t_err=1e-5 fixed inside
`dpm_solver_adaptive`; `solver_type="dpmsolver"`).

{configs}

## Comparing against these fixtures

- The rgb model has random (perturbed-initialisation) weights, so its noise prediction does not
  match x and the implied x0 = (x - sigma_t eps) / alpha_t is large near t = T (alpha_T = 0.031
  with dpm_solver_pytorch's clipped schedule, 0.001 with uni_pc's unclipped one): its samples reach
  |x| of 1e2 (DPM-Solver) to 5e4 (UniPC) in image space. Use tolerances relative to max|reference|.
- The last column above re-runs each configuration entirely in float64 (Unet, schedule,
  x_T, default dtype; same code) and reports max|final64 - final32| / max|final32|: the amount of
  float32 rounding the configuration amplifies, i.e. roughly the best agreement a float32 port
  with a different operation order can expect on `_final`. Compare step-wise tensors (`_xs`, `_x0`)
  with a tolerance that grows along the trajectory, or re-seed each step from the reference state.
- Two known float32 amplifiers (visible in that column):
  (1) adaptive: the first trial at t = T has E ~ 1e-6 (orders 2/3 agree almost exactly), so the next
  step size theta * h * E^(-1/order) is set by rounding noise; a port's trial times will differ
  (by up to ~0.02 in t for tiny `adaptive_o3`) and the trajectory with them. Compare NFE, the
  accept/reject pattern and `_final` loosely (~1e-2), or reproduce the reference's arithmetic exactly.
  (2) UniPC noise_prediction with an unclipped schedule (tiny: lambda_T = -6.35, first step
  h = 4.74): x_t = exp(la_t - la_s) x - sigma_t expm1(h) eps cancels two ~112 x |x| terms, and the
  corrector multiplies the eps difference by sigma_t * B(h) / 2 ~ 56, so 1-ulp differences in the
  coefficients give ~5e-3 deviations from step 1 on (`unipc_p_*`, tiny).
- Times are float32 values: compare `_t` / `_timesteps` to ~1e-6 absolute, not exactly.

## Not produced

{unsupported}

## Regenerate

```
{regen}
```
"""


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--dpm-solver", default="/tmp/refcode/dpm_solver_pytorch.py")
    p.add_argument("--unipc", default="/tmp/refcode/uni_pc.py")
    p.add_argument("--lucidrains", default="/tmp/refcode/ddpm211", help="dir holding denoising_diffusion_pytorch/ (2.1.1)")
    p.add_argument("--einops", default="/tmp/refcode/einops081", help="dir holding einops/")
    p.add_argument("--unet", choices=["lucidrains", "restated"], default="lucidrains")
    p.add_argument("--out", default=os.path.join(FIX, "fast_samplers"))
    args = p.parse_args()
    torch.set_num_threads(1)

    dpm = load_patched(args.dpm_solver, "dpm_solver_pytorch_patched", PATCHES_DPM)
    unipc = load_patched(args.unipc, "uni_pc_patched", PATCHES_UNIPC)
    models = build_models(args)
    os.makedirs(args.out, exist_ok=True)

    unsupported = OrderedDict()
    summary = OrderedDict()
    sched_lines = []
    for model in models:
        C, S = model["channels"], model["image_size"]
        model["x_T"] = torch.randn(2, C, S, S, generator=torch.Generator().manual_seed(1234))
        out = OrderedDict()
        out["x_T"] = model["x_T"].clone()
        out.update(schedule_tensors(dpm, unipc, model["alphas_cumprod"]))
        sched_lines.append(f"- {model['name']}: checkpoint N = {model['alphas_cumprod'].numel()}; "
                           f"dpm_solver_pytorch total_N = {out['ns_dpm_log_alpha'].numel()}, "
                           f"uni_pc total_N = {out['ns_unipc_log_alpha'].numel()}")
        for name, cfg in CONFIGS.items():
            try:
                res, info = run_config(name, cfg, dpm, unipc, model)
            except (AssertionError, ValueError, NotImplementedError, RuntimeError) as e:
                unsupported.setdefault(name, f"{type(e).__name__}: {e}")
                print(f"{model['name']}/{name}: NOT SUPPORTED ({type(e).__name__}: {e})")
                continue
            info["dev64"], info["nfe64"] = float64_deviation(name, cfg, dpm, unipc, model, res["final"])
            full = name in RGB_FULL if model["name"] == "rgb_pred_noise_cosine" else name not in TINY_SHORT
            for k, v in res.items():
                assert v.dtype == (torch.float64 if k in ("t", "timesteps", "trial_s", "trial_t") else
                                   torch.int64 if k in ("nfe", "steps", "orders", "corrector", "trial_accepted")
                                   else torch.float32), (name, k, v.dtype)
                if not full and k in ("xs", "x0", "x0_raw"):
                    continue
                out[f"{name}_{k}"] = v
            # How much float32 rounding this configuration amplifies (see the README): tests scale
            # their tolerance by it.
            out[f"{name}_float64_deviation"] = torch.tensor(info["dev64"], dtype=torch.float64)
            summary.setdefault(name, OrderedDict())[model["name"]] = (info, full)
            print(f"{model['name']}/{name}: nfe={info['nfe']} steps={info['steps']} orders={info['orders']}"
                  + (f" trials={info['trials']}" if info["trials"] else ""))
        path = os.path.join(args.out, model["name"] + ".pt")
        torch.save(out, path)
        print(f"wrote {path} ({os.path.getsize(path) / 1e6:.2f} MB)")

    # README
    def patch_md(patches, fname):
        lines = []
        for old, new, why in patches:
            lines.append(f"- `{fname}` {why}:\n  ```\n  - {old.strip()}\n  + {new.strip()}\n  ```")
        return "\n".join(lines)
    models_md = "\n".join(f"- `{m['name']}`: tests/fixtures/{m['desc']}; Unet check vs stored unet_out: "
                          f"max abs err {m['unet_check_err']:.2g}" for m in models)
    rows = ["| config | reference call | tiny nfe / steps | rgb nfe / steps | orders (tiny) | max abs final (tiny / rgb) "
            "| float64 rerun: rel. dev. of final (tiny / rgb) |",
            "|---|---|---|---|---|---|---|"]
    for name, per in summary.items():
        cells = []
        for mname in ("tiny_pred_v_sigmoid", "rgb_pred_noise_cosine"):
            if mname in per:
                info, full = per[mname]
                extra = "" if full else " (no xs/x0)"
                if info["trials"]:
                    extra += f", {info['trials']} trials"
                cells.append(f"{info['nfe']} / {info['steps']}{extra}")
            else:
                cells.append("n/a")
        o = per.get("tiny_pred_v_sigmoid", per.get("rgb_pred_noise_cosine"))[0]
        orders = "" if o["orders"] is None else ",".join(map(str, o["orders"]))
        if o["corrector"] is not None:
            orders += " (corrector " + "".join(map(str, map(int, o["corrector"]))) + ")"
        mx = " / ".join(f"{per[m][0]['maxabs']:.4g}" if m in per else "n/a"
                        for m in ("tiny_pred_v_sigmoid", "rgb_pred_noise_cosine"))
        dv = " / ".join((f"{per[m][0]['dev64']:.1e}" + ("" if per[m][0]["nfe64"] == per[m][0]["nfe"]
                                                      else f" (nfe {per[m][0]['nfe64']})")) if m in per else "n/a"
                        for m in ("tiny_pred_v_sigmoid", "rgb_pred_noise_cosine"))
        rows.append(f"| `{name}` | `{describe(CONFIGS[name])}` | {cells[0]} | {cells[1]} | {orders} | {mx} | {dv} |")
    regen = REGEN_RECIPE
    unet_src = ("lucidrains denoising_diffusion_pytorch 2.1.1 `Unet` itself (imported from the tag's source with "
                "einops v0.8.1 on sys.path; accelerate/ema_pytorch/torchvision/tqdm/packaging stubbed, unused)"
                if args.unet == "lucidrains" else
                "the plain-PyTorch restatement in tests/tools/make_lucidrains_variants.py")
    sizes = {m["name"]: os.path.getsize(os.path.join(args.out, m["name"] + ".pt")) / 1e6 for m in models}
    budget = ("Size budget: the rgb file stores `_xs`/`_x0` only for " + ", ".join(f"`{c}`" for c in sorted(RGB_FULL))
              + "; its other configurations keep `_final`, `_t`, `_timesteps`, `_nfe`, `_steps`, `_orders` "
              "(and the adaptive trial log). The tiny file keeps everything except `_xs`/`_x0` of "
              + ", ".join(f"`{c}`" for c in sorted(TINY_SHORT)) + ". File sizes: "
              + ", ".join(f"{k}.pt {v:.2f} MB" for k, v in sizes.items()) + ".")
    text = README_HEAD.format(
        dpm_commit=DPM_COMMIT, dpm_sha=sha256(args.dpm_solver), unipc_commit=UNIPC_COMMIT, unipc_sha=sha256(args.unipc),
        unet_src=unet_src, torch_version=torch.__version__,
        patches=patch_md(PATCHES_DPM, "dpm_solver_pytorch.py") + "\n" + patch_md(PATCHES_UNIPC, "uni_pc.py"),
        models=models_md, schedules="\n".join(sched_lines), budget=budget, configs="\n".join(rows),
        unsupported="\n".join(f"- `{k}`: {v}" for k, v in unsupported.items()) or
        "- Every configuration listed above ran. UniPC has no singlestep or adaptive method (its `sample` raises "
        "ValueError for anything but method=\"multistep\"), so none were requested from it.",
        regen=regen)
    with open(os.path.join(args.out, "README.md"), "w") as f:
        f.write(text)
    print("wrote README.md")


if __name__ == "__main__":
    main()
