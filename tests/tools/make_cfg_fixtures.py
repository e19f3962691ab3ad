#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
r"""Reference fixtures for lucidrains' classifier-free guidance (tests/fixtures/lucidrains_cfg).

Runs the ORIGINAL `denoising_diffusion_pytorch/classifier_free_guidance.py` of
lucidrains/denoising-diffusion-pytorch tag 2.1.1 (loaded from a path, never copied into this
repository) on two small class-conditional models with seeded, perturbed random weights, and
records: the checkpoints in the three layouts users have, the Unet's conditional / null outputs,
`forward_with_cond_scale` over its options, `model_predictions` with and without CFG++, the
training loss `p_losses`, DDIM sampling (eta 0 and 1, several guidance scales, CFG++) and one
DDPM `p_sample_loop` run. The script writes the fixture's README.md too (every file and key).

Getting the reference code (snapshots are bare git repositories under /work/.mirror; this puts
them where the defaults point):

    mkdir -p /tmp/refcode/ddpm211 /tmp/refcode/einops081 && cd /tmp/refcode
    git --git-dir=/work/.mirror/lucidrains+denoising-diffusion-pytorch/repo archive 2.1.1 \
        denoising_diffusion_pytorch | tar -x -C ddpm211
    git --git-dir=/work/.mirror/arogozhnikov+einops/repo archive v0.8.1 einops | tar -x -C einops081

(elsewhere: github.com/lucidrains/denoising-diffusion-pytorch tag 2.1.1, commit
1d9d8dffb72e02172da8a77bee039b1c72b7c6d5; github.com/arogozhnikov/einops tag v0.8.1.)

Run with Debian's python3-torch (1.13):

    /usr/bin/python3 tests/tools/make_cfg_fixtures.py [--lucidrains /tmp/refcode/ddpm211] \
        [--einops /tmp/refcode/einops081] [--out DIR]

Only classifier_free_guidance.py is imported (as a stand-alone module, not through the package's
__init__, which pulls in accelerate/ema_pytorch/torchvision/...). Its one top-level import that is
not installed, tqdm, is stubbed by a pass-through iterator. No text of the reference code is
patched; the observations and the one behavioural shim (cond_scale = 1, see SHIM_NOTE) are
instance-level wrappers.
"""
import argparse
import copy
import hashlib
import importlib.util
import json
import os
import sys
import types
from collections import OrderedDict

import torch

torch.set_num_threads(1)

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", ".."))
OUT = os.path.join(REPO, "tests", "fixtures", "lucidrains_cfg")

UPSTREAM_TAG = "2.1.1"
UPSTREAM_COMMIT = "1d9d8dffb72e02172da8a77bee039b1c72b7c6d5"
REL_PATH = "denoising_diffusion_pytorch/classifier_free_guidance.py"

SHIM_NOTE = (
    "At cond_scale == 1 `Unet.forward_with_cond_scale` returns the conditional output alone, while "
    "`GaussianDiffusion.model_predictions` unpacks two values (`model_output, model_output_null = ...`): "
    "with a batch of 4 that raises 'too many values to unpack', with a batch of 2 it silently unpacks the "
    "BATCH dimension (sample 0 becomes the 'guided' output, sample 1 the 'null' one, each broadcast over the "
    "batch). For the W = 1 references the generator therefore wraps the instance's forward_with_cond_scale: "
    "when cond_scale == 1 it returns (forward(x, t, classes, cond_drop_prob=0.), None), i.e. W = 1 is the plain "
    "conditional model (the null output is only read by CFG++, which no W = 1 run uses). All other scales call "
    "the original method unchanged.")


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def import_cfg(pkg_root, einops_root):
    sys.path.insert(0, einops_root)
    tq = types.ModuleType("tqdm")
    tqa = types.ModuleType("tqdm.auto")
    tqa.tqdm = lambda it, *a, **k: it  # progress bar only
    tq.auto = tqa
    sys.modules.setdefault("tqdm", tq)
    sys.modules.setdefault("tqdm.auto", tqa)
    path = os.path.join(pkg_root, REL_PATH)
    spec = importlib.util.spec_from_file_location("lucidrains_cfg_211", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    import einops
    return mod, path, einops


# ---------------------------------------------------------------------------------------------
# Configurations
# ---------------------------------------------------------------------------------------------
MODELS = OrderedDict()
MODELS["model_a"] = dict(
    unet=dict(dim=4, num_classes=4, cond_drop_prob=0.5, dim_mults=[1, 2], channels=1),
    diffusion=dict(image_size=16, timesteps=100, sampling_timesteps=10, objective="pred_noise",
                   beta_schedule="cosine"),
    classes=[0, 1, 2, 3],
    unet_t=[99, 70, 31, 0],
    loss_t=[0, 31, 70, 99],
    seed=1000,
    ddpm=True,
)
MODELS["model_b"] = dict(
    unet=dict(dim=4, num_classes=4, cond_drop_prob=0.5, dim_mults=[1, 2, 2], channels=3, attn_heads=2,
              attn_dim_head=8, learned_sinusoidal_cond=False),
    diffusion=dict(image_size=8, timesteps=60, sampling_timesteps=8, objective="pred_v", beta_schedule="linear"),
    classes=[3, 1],
    unet_t=[59, 6],
    loss_t=[6, 20],      # loss_weight (pred_v: alphas_cumprod) is ~0 at t = 59: keep both rows weighted
    seed=2000,
    ddpm=False,
)

PERTURB = 0.05          # every parameter += PERTURB * N(0, 1) after the library's own init
TRAIN_STEPS = 2         # Adam steps (GaussianDiffusion.forward, cond_drop_prob 0.5) before saving
ADAM = dict(lr=1e-3, betas=(0.9, 0.99))   # Trainer's adam_betas default; larger lr than its 1e-4
EMA_BETA = 0.9          # ema = ema + (1 - beta) * (online - ema) after every step, from the initial weights

FWCS_SCALES = [3.0, 6.0]
FWCS_PHIS = [0.0, 0.7]
# (remove_parallel_component, keep_parallel_frac); keep_parallel_frac is unused when the projection is off
FWCS_PROJ = [(True, 0.0), (True, 0.5), (False, 0.0)]

MP_SCALE, MP_PHI = 3.0, 0.7

# DDIM runs: (name, cond_scale, rescaled_phi, eta, cfg++, store the per-step x0 predictions)
DDIM_RUNS = [
    ("ddim_w1_eta0", 1.0, 0.0, 0.0, False, False),
    ("ddim_w3_phi0_eta0", 3.0, 0.0, 0.0, False, False),
    ("ddim_w3_phi0.7_eta0", 3.0, 0.7, 0.0, False, False),
    ("ddim_w6_phi0_eta0", 6.0, 0.0, 0.0, False, False),
    ("ddim_w6_phi0.7_eta0", 6.0, 0.7, 0.0, False, True),
    ("ddim_w1_eta1", 1.0, 0.0, 1.0, False, False),
    ("ddim_w3_phi0.7_eta1", 3.0, 0.7, 1.0, False, True),
    ("ddim_cfgpp_w6_phi0.7_eta0", 6.0, 0.7, 0.0, True, True),
]
DDPM_SCALE, DDPM_PHI = 3.0, 0.7
DDPM_KEEP_T = [99, 98, 50, 1, 0]  # the state entering p_sample(t) and its clamped x0 at these t

# Checkpoint layouts written per model (size: the folder should stay near 2 MB; the layouts do not
# depend on the architecture, so model_b gets one; --all-layouts writes all three for both)
LAYOUTS = {"model_a": ("gd", "unet", "trainer"), "model_b": ("gd",)}
ALL_LAYOUTS = ("gd", "unet", "trainer")


def img01(x):
    return (x + 1) * 0.5


def build(cfg, spec):
    torch.manual_seed(spec["seed"])
    ukw = dict(spec["unet"])
    ukw["dim_mults"] = tuple(ukw["dim_mults"])
    unet = cfg.Unet(**ukw)
    gd = cfg.GaussianDiffusion(unet, **spec["diffusion"])
    with torch.no_grad():
        for p in gd.parameters():
            p.add_(PERTURB * torch.randn_like(p))
    ema = copy.deepcopy(gd)
    opt = torch.optim.Adam(gd.parameters(), **ADAM)
    c, s = unet.channels, gd.image_size
    classes = torch.tensor(spec["classes"])
    gd.train()
    losses = []
    for _ in range(TRAIN_STEPS):
        data = torch.rand(len(spec["classes"]), c, s, s)
        loss = gd(data, classes=classes)       # draws t, the keep mask and the noise from the global RNG
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
        with torch.no_grad():
            for pe, pn in zip(ema.parameters(), gd.parameters()):
                pe.add_((1 - EMA_BETA) * (pn - pe))
    gd.eval()
    ema.eval()
    return gd, ema, opt, losses


def save_checkpoints(name, gd, ema, opt, out, layouts):
    sd = gd.state_dict()
    if "gd" in layouts:
        torch.save(sd, os.path.join(out, f"{name}.gd.pt"))
    if "unet" in layouts:
        torch.save(gd.model.state_dict(), os.path.join(out, f"{name}.unet.pt"))
    if "trainer" not in layouts:
        return
    ema_sd = OrderedDict()
    ema_sd["initted"] = torch.tensor(True)
    ema_sd["step"] = torch.tensor(TRAIN_STEPS)
    for k, v in sd.items():             # the same tensors as 'model' (as in a real Trainer save:
        ema_sd["online_model." + k] = v  # EMA holds the trained module itself), stored once by torch.save
    for k, v in ema.state_dict().items():
        ema_sd["ema_model." + k] = v
    trainer = {"step": TRAIN_STEPS, "model": sd, "opt": opt.state_dict(), "ema": ema_sd, "scaler": None,
               "version": UPSTREAM_TAG}
    torch.save(trainer, os.path.join(out, f"{name}.trainer.pt"))


def with_w1_shim(unet):
    orig = unet.forward_with_cond_scale

    def fwcs(*args, cond_scale=1., **kwargs):
        if cond_scale == 1:
            kwargs.pop("rescaled_phi", None)
            kwargs.pop("remove_parallel_component", None)
            kwargs.pop("keep_parallel_frac", None)
            return unet.forward(*args, cond_drop_prob=0., **kwargs), None
        return orig(*args, cond_scale=cond_scale, **kwargs)

    unet.forward_with_cond_scale = fwcs


def record_calls(obj, name, log):
    orig = getattr(obj, name)

    def wrapper(*args, **kwargs):
        out = orig(*args, **kwargs)
        log.append((args, kwargs, out))
        return out

    setattr(obj, name, wrapper)
    return orig


def ddim_run(cfg, gd, classes, shape, W, phi, eta, cfgpp, seed):
    gd.ddim_sampling_eta = eta
    gd.use_cfg_plus_plus = cfgpp
    calls = []
    orig = record_calls(gd, "model_predictions", calls)
    torch.manual_seed(seed)
    final = gd.ddim_sample(classes, shape, cond_scale=W, rescaled_phi=phi)
    gd.model_predictions = orig
    gd.ddim_sampling_eta = 1.
    gd.use_cfg_plus_plus = False

    # replay the global generator: x_T first, then one randn_like per step except the last
    torch.manual_seed(seed)
    x_T = torch.randn(shape)
    noises = [torch.randn(shape) for _ in range(len(calls) - 1)]
    xs = [a[0] for a, _, _ in calls]
    times = [int(a[1][0]) for a, _, _ in calls]
    pred_noise = [o[0] for _, _, o in calls]
    x0 = [o[1] for _, _, o in calls]
    assert torch.equal(xs[0], x_T), "x_T is not the first draw after seeding"
    # check the recorded trajectory against the DDIM update with the replayed noise
    T = list(reversed(torch.linspace(-1, gd.num_timesteps - 1, steps=gd.sampling_timesteps + 1).int().tolist()))
    assert times == T[:-1], (times, T)
    for i in range(len(calls) - 1):
        a, an = gd.alphas_cumprod[T[i]], gd.alphas_cumprod[T[i + 1]]
        sigma = eta * ((1 - a / an) * (1 - an) / (1 - a)).sqrt()
        c = (1 - an - sigma ** 2).sqrt()
        nxt = x0[i] * an.sqrt() + c * pred_noise[i] + sigma * noises[i]
        assert torch.equal(nxt, xs[i + 1]), f"step {i}: replay mismatch {(nxt - xs[i + 1]).abs().max()}"
    assert torch.equal(img01(x0[-1]), final)
    all_x = torch.stack([img01(x) for x in xs] + [final], dim=1)
    return dict(x_T=x_T, times=torch.tensor(T), all_x=all_x, x0_preds=img01(torch.stack(x0, 0)), final=final)


def ddpm_run(gd, classes, shape, W, phi, seed):
    calls = []
    orig = record_calls(gd, "p_sample", calls)
    torch.manual_seed(seed)
    final = gd.p_sample_loop(classes, shape, cond_scale=W, rescaled_phi=phi)
    gd.p_sample = orig
    torch.manual_seed(seed)
    x_T = torch.randn(shape)
    first_noise = torch.randn(shape)  # drawn inside p_sample(t = T-1) after the model call
    assert torch.equal(calls[0][0][0], x_T)
    ts = [a[1] for a, _, _ in calls]
    assert ts == list(range(gd.num_timesteps - 1, -1, -1))
    # check step T-1 with the replayed noise
    x, t = calls[0][0][0], ts[0]
    bt = torch.full((shape[0],), t, dtype=torch.long)
    mean, _, logvar, _ = gd.p_mean_variance(x=x, t=bt, classes=classes, cond_scale=W, rescaled_phi=phi)
    assert torch.equal(mean + (0.5 * logvar).exp() * first_noise, calls[0][2][0])
    keep = [ts.index(k) for k in DDPM_KEEP_T]
    assert torch.equal(img01(calls[-1][2][0]), final)
    return dict(x_T=x_T, first_noise=first_noise, keep_t=torch.tensor(DDPM_KEEP_T),
                x_in=img01(torch.stack([calls[i][0][0] for i in keep], 1)),
                x0=img01(torch.stack([calls[i][2][1] for i in keep], 1)),
                final=final)


def make_model(cfg, name, spec, out, layouts):
    gd, ema, opt, train_losses = build(cfg, spec)
    save_checkpoints(name, gd, ema, opt, out, layouts)
    unet = gd.model
    with_w1_shim(unet)
    B, C, S = len(spec["classes"]), unet.channels, gd.image_size
    shape = (B, C, S, S)
    classes = torch.tensor(spec["classes"])
    g = torch.Generator().manual_seed(spec["seed"] + 1)
    ref = OrderedDict()
    ref["classes"] = classes
    x = torch.randn(shape, generator=g)
    t = torch.tensor(spec["unet_t"])
    ref["unet_x"], ref["unet_t"] = x, t
    meta = {}
    with torch.no_grad():
        cond = unet(x, t, classes, cond_drop_prob=0.)
        null = unet(x, t, classes, cond_drop_prob=1.)
        ref["unet_cond"], ref["unet_null"] = cond, null
        ema_unet = ema.model
        ref["unet_cond_ema"] = ema_unet(x, t, classes, cond_drop_prob=0.)
        # the Unet's own default (cond_drop_prob = 0.5): mask drawn from the global generator
        mask_log = []
        orig_pm = cfg.prob_mask_like

        def pm(shape_, prob, device):
            m = orig_pm(shape_, prob, device)
            mask_log.append((prob, m))
            return m

        cfg.prob_mask_like = pm
        torch.manual_seed(spec["seed"] + 2)
        ref["unet_drop05_out"] = unet(x, t, classes)
        cfg.prob_mask_like = orig_pm
        torch.manual_seed(spec["seed"] + 2)
        u = torch.zeros((B,)).float().uniform_(0, 1)
        ref["unet_drop05_uniform"] = u
        ref["unet_drop05_keep"] = u < 0.5
        assert len(mask_log) == 1 and mask_log[0][0] == 0.5 and torch.equal(mask_log[0][1], u < 0.5)
        # per-sample check: kept rows equal the conditional output, dropped rows the null one
        keep = ref["unet_drop05_keep"]
        exp = torch.where(keep[:, None, None, None], cond, null)
        assert (exp - ref["unet_drop05_out"]).abs().max() < 1e-5

        for W in FWCS_SCALES:
            for phi in FWCS_PHIS:
                for rpc, kpf in FWCS_PROJ:
                    o, n = unet.forward_with_cond_scale(x, t, classes, cond_scale=W, rescaled_phi=phi,
                                                        remove_parallel_component=rpc, keep_parallel_frac=kpf)
                    assert torch.equal(n, null)
                    ref[f"fwcs_w{W:g}_phi{phi:g}_proj{int(rpc)}_keep{kpf:g}"] = o

        for cfgpp in (False, True):
            gd.use_cfg_plus_plus = cfgpp
            for clip in (False, True):
                pn, px = gd.model_predictions(x, t, classes, cond_scale=MP_SCALE, rescaled_phi=MP_PHI,
                                              clip_x_start=clip)
                tag = f"mp_cfgpp{int(cfgpp)}_clip{int(clip)}"
                ref[tag + "_pred_noise"], ref[tag + "_pred_x_start"] = pn, px
        gd.use_cfg_plus_plus = False

        # training loss on a fixed batch
        img = torch.rand(shape, generator=g)
        lt = torch.tensor(spec["loss_t"])
        noise = torch.randn(shape, generator=g)
        ref["loss_img"], ref["loss_t"], ref["loss_noise"] = img, lt, noise
        unet.cond_drop_prob = 0.
        ref["loss_drop0"] = gd.p_losses(img * 2 - 1, lt, classes=classes, noise=noise).reshape(1)
        unet.cond_drop_prob = 0.5
        mseed = spec["seed"] + 3    # the first seed from seed+3 up whose mask keeps some rows and drops others
        while True:
            torch.manual_seed(mseed)
            u = torch.zeros((B,)).float().uniform_(0, 1)
            if 0 < int((u < 0.5).sum()) < B:
                break
            mseed += 1
        torch.manual_seed(mseed)
        ref["loss_drop05"] = gd.p_losses(img * 2 - 1, lt, classes=classes, noise=noise).reshape(1)
        ref["loss_drop05_uniform"], ref["loss_drop05_keep"] = u, u < 0.5
        meta["unet_drop05"] = dict(seed=spec["seed"] + 2)
        meta["loss_drop05"] = dict(seed=mseed)

        for i, (run, W, phi, eta, cfgpp, keep_x0) in enumerate(DDIM_RUNS):
            seed = spec["seed"] + 10 + i
            r = ddim_run(cfg, gd, classes, shape, W, phi, eta, cfgpp, seed)
            meta[run] = dict(seed=seed, cond_scale=W, rescaled_phi=phi, eta=eta, use_cfg_plus_plus=cfgpp)
            for k in ("x_T", "all_x", "x0_preds", "final"):
                if k != "x0_preds" or keep_x0:
                    ref[f"{run}_{k}"] = r[k]
            ref["ddim_times"] = r["times"]
        if spec["ddpm"]:
            seed = spec["seed"] + 50
            r = ddpm_run(gd, classes, shape, DDPM_SCALE, DDPM_PHI, seed)
            meta["ddpm"] = dict(seed=seed, cond_scale=DDPM_SCALE, rescaled_phi=DDPM_PHI)
            for k, v in r.items():
                ref["ddpm_" + k] = v
    torch.save(ref, os.path.join(out, f"{name}.reference.pt"))
    print(f"{name}: {sum(p.numel() for p in unet.parameters())} parameters, train losses {train_losses}, "
          f"|cond| {cond.abs().mean():.4f}, |cond-null| {(cond - null).abs().mean():.4f}")
    return ref, meta, train_losses, gd


def describe(ref):
    rows = []
    for k, v in ref.items():
        if torch.is_tensor(v):
            rows.append(f"| `{k}` | {str(v.dtype).replace('torch.', '')} | {list(v.shape)} |")
    return "\n".join(rows)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lucidrains", default="/tmp/refcode/ddpm211",
                    help="folder holding denoising_diffusion_pytorch/ of tag 2.1.1")
    ap.add_argument("--einops", default="/tmp/refcode/einops081", help="folder holding einops/ (v0.8.1)")
    ap.add_argument("--out", default=OUT)
    ap.add_argument("--all-layouts", action="store_true",
                    help="write the gd/unet/trainer files for every model (default: LAYOUTS, to stay near 2 MB)")
    args = ap.parse_args()
    cfg, path, einops = import_cfg(args.lucidrains, args.einops)
    os.makedirs(args.out, exist_ok=True)
    config = OrderedDict(
        upstream=dict(repo="lucidrains/denoising-diffusion-pytorch", tag=UPSTREAM_TAG, commit=UPSTREAM_COMMIT,
                      file=REL_PATH, sha256=sha256(path), einops=einops.__version__, torch=torch.__version__),
        perturb=PERTURB, train_steps=TRAIN_STEPS, adam=ADAM, ema_beta=EMA_BETA)
    metas = {}
    for name, spec in MODELS.items():
        layouts = ALL_LAYOUTS if args.all_layouts else LAYOUTS[name]
        ref, meta, losses, gd = make_model(cfg, name, spec, args.out, layouts)
        metas[name] = (ref, meta)
        config[name] = OrderedDict(layouts=list(layouts), unet=spec["unet"], diffusion=spec["diffusion"], classes=spec["classes"],
                                   seed=spec["seed"], train_losses=losses, runs=meta)
    with open(os.path.join(args.out, "config.json"), "w") as f:
        json.dump(config, f, indent=1)
    write_readme(args.out, config, metas, sha256(path))


def write_readme(out, config, metas, file_sha):
    files = sorted(os.listdir(out))
    sizes = "\n".join(f"- `{f}` ({os.path.getsize(os.path.join(out, f))} bytes)" for f in files if f != "README.md")
    if config["model_b"]["layouts"] == list(ALL_LAYOUTS):
        layouts_note = "Written (`--all-layouts`): all three for model_a and model_b."
    else:
        layouts_note = ("Written: model_a in all three; model_b as `model_b.gd.pt` only (the layouts do not depend on\n"
                        "the architecture; `--all-layouts` writes `model_b.unet.pt` and `model_b.trainer.pt` too, about +1.25 MB).")
    text = README.format(layouts_note=layouts_note, tag=UPSTREAM_TAG, commit=UPSTREAM_COMMIT, rel=REL_PATH, sha=file_sha,
                         torch=torch.__version__, files=sizes, shim=SHIM_NOTE,
                         perturb=PERTURB, steps=TRAIN_STEPS, adam=ADAM, ema_beta=EMA_BETA,
                         cfg_a=json.dumps(config["model_a"]["unet"]), gd_a=json.dumps(config["model_a"]["diffusion"]),
                         cfg_b=json.dumps(config["model_b"]["unet"]), gd_b=json.dumps(config["model_b"]["diffusion"]),
                         keys_a=describe(metas["model_a"][0]), keys_b=describe(metas["model_b"][0]),
                         runs="\n".join(f"  | `{r}` | {w:g} | {p:g} | {e:g} | {bool(c)} | {'yes' if x else 'no'} |" for r, w, p, e, c, x in DDIM_RUNS),
                         mp_w=MP_SCALE, mp_phi=MP_PHI, ddpm_w=DDPM_SCALE, ddpm_phi=DDPM_PHI,
                         ddpm_keep=DDPM_KEEP_T,
                         times_a=metas["model_a"][0]["ddim_times"].tolist(),
                         times_b=metas["model_b"][0]["ddim_times"].tolist())
    with open(os.path.join(out, "README.md"), "w") as f:
        f.write(text)


README = r"""# lucidrains classifier-free guidance reference fixtures

Written by `tests/tools/make_cfg_fixtures.py` (this file too); do not edit by hand.

Produced by running the ORIGINAL `{rel}` of lucidrains/denoising-diffusion-pytorch tag `{tag}`
(commit `{commit}`, file sha256 `{sha}`), imported on its own (not through the package's
`__init__`) with einops v0.8.1 on `sys.path`; its only uninstalled top-level import, `tqdm`, is
stubbed by a pass-through iterator. torch {torch} (Debian python3-torch), CPU, one thread, float32.
No text of the reference code is patched.

Regenerate:

    mkdir -p /tmp/refcode/ddpm211 /tmp/refcode/einops081 && cd /tmp/refcode
    git --git-dir=/work/.mirror/lucidrains+denoising-diffusion-pytorch/repo archive 2.1.1 denoising_diffusion_pytorch | tar -x -C ddpm211
    git --git-dir=/work/.mirror/arogozhnikov+einops/repo archive v0.8.1 einops | tar -x -C einops081
    cd <repo> && /usr/bin/python3 tests/tools/make_cfg_fixtures.py

## Files

{files}

`config.json`: the upstream identification, and per model the constructor arguments
(`unet` -> `Unet(**unet)` with `dim_mults` as a tuple, `diffusion` -> `GaussianDiffusion(unet, **diffusion)`;
every other argument at its default, in particular `ddim_sampling_eta=1.`, `offset_noise_strength=0.`,
`min_snr_loss_weight=False`, `use_cfg_plus_plus=False`), the classes, the seed, the two training
losses and every sampling run's seed and settings.

## Models

- **model_a**: `Unet({cfg_a})`, `GaussianDiffusion({gd_a})`; classes `[0, 1, 2, 3]` (batch 4, 1x16x16).
  DDIM times (`ddim_times`): {times_a}.
- **model_b**: `Unet({cfg_b})`, `GaussianDiffusion({gd_b})`; classes `[3, 1]` (batch 2, 3x8x8).
  Mid attention: 2 heads x 8 channels (the LinearAttention blocks are always 4 heads x 32 channels:
  `attn_heads`/`attn_dim_head` only reach `mid_attn` in this file). DDIM times: {times_b}
  (`torch.linspace(-1, T-1, S+1).int()` truncates toward zero: 6.5 -> 6, 21.5 -> 21, ...).

The sizes (dim 4) are smaller than a realistic model to keep this folder near 2 MB; every module
type and key pattern of the file is present (LinearAttention's fixed 4 x 32 heads dominate the
parameter count).

Weights: the library's own initialisation under `torch.manual_seed(seed)`, then every parameter
of the GaussianDiffusion (= of the Unet; `null_classes_emb` and the RMSNorm gains included) +=
{perturb} * N(0,1); then {steps} Adam steps (lr {adam[lr]}, betas {adam[betas]}) on
`GaussianDiffusion.forward(rand images, classes=classes)` with the Unet's default
`cond_drop_prob=0.5`; EMA: a copy of the perturbed weights updated after every step by
`ema += (1 - {ema_beta}) * (online - ema)` (ema_pytorch is not installed; only the layout matters).

## Checkpoint layouts (same weights in all three)

{layouts_note}

- `<model>.gd.pt`: bare `GaussianDiffusion.state_dict()`: the schedule buffers (`betas`,
  `alphas_cumprod`, ..., `loss_weight`, float32) and the Unet under `model.`.
- `<model>.unet.pt`: bare `Unet.state_dict()` (no prefix).
- `<model>.trainer.pt`: lucidrains Trainer's `save()` layout `{{step, model, opt, ema, scaler, version}}`:
  `step` = {steps} (int), `model` = the GaussianDiffusion state dict, `opt` = the Adam
  `state_dict()` (torch 1.13 layout), `ema` = ema_pytorch's state dict: `initted` (bool 0-d),
  `step` (int64 0-d), `online_model.<gd key>` (the SAME tensors as `model`, stored once, as a real
  Trainer save does) and `ema_model.<gd key>` (the EMA weights, different), `scaler` = None,
  `version` = "2.1.1".

Unet keys specific to this file (vs the main `denoising_diffusion_pytorch.Unet`): `classes_emb.weight`
(num_classes x dim), `null_classes_emb` (dim), `classes_mlp.0/.2` (Linear dim -> 4dim, GELU,
Linear 4dim -> 4dim); every ResnetBlock's `mlp.1` is Linear(8*dim -> 2*dim_out) over
`cat(time_emb, class_emb)` (time first); attention blocks are `Residual(PreNorm(...))`:
`downs.i.2.fn.norm.g`, `downs.i.2.fn.fn.to_qkv.weight`, `downs.i.2.fn.fn.to_out.0.weight/bias`,
`downs.i.2.fn.fn.to_out.1.g`, `mid_attn.fn.norm.g`, `mid_attn.fn.fn.to_qkv.weight`,
`mid_attn.fn.fn.to_out.weight/bias`; no `mem_kv`, no flash attention.

## `<model>.reference.pt` keys

Conventions: `x`-like inputs and network outputs are in model space; anything that is an image
(sampler states, x0 predictions, finals, training images) is stored in image space `(x + 1) / 2`,
as in tests/fixtures/ddpm_lucidrains_tiny. All under `torch.no_grad()`, `eval()`.

- `classes`: the labels used everywhere (int64).
- `unet_x`, `unet_t`: fixed input (N(0,1), seeded generator) and times (int64).
- `unet_cond` = `Unet.forward(unet_x, unet_t, classes, cond_drop_prob=0.)`; `unet_null` = same with
  `cond_drop_prob=1.` (every row uses `null_classes_emb`); `unet_cond_ema` = the EMA weights'
  conditional output.
- `unet_drop05_out` = `Unet.forward(unet_x, unet_t, classes)` with the Unet's default
  `cond_drop_prob=0.5` right after `torch.manual_seed(seed+2)`: the keep mask is the first draw,
  `prob_mask_like((B,), 1 - 0.5)` = `torch.zeros(B).float().uniform_(0, 1) < 0.5` (`unet_drop05_uniform`,
  `unet_drop05_keep`; True = keep the class, False = null embedding); each row equals the matching row of
  `unet_cond` / `unet_null` (checked: max difference < 1e-5; it was 0 here). Note the argument is the
  KEEP probability `1 - cond_drop_prob`, and `prob_mask_like` draws nothing when that is exactly 0 or 1.
- `fwcs_w{{W}}_phi{{phi}}_proj{{0|1}}_keep{{f}}` = first output of
  `forward_with_cond_scale(unet_x, unet_t, classes, cond_scale=W, rescaled_phi=phi,
  remove_parallel_component=bool(proj), keep_parallel_frac=f)` for W in {{3, 6}}, phi in {{0, 0.7}},
  (proj, f) in {{(1, 0), (1, 0.5), (0, 0)}} (f is unused without the projection). The second output
  is always `unet_null` (checked). The arithmetic (reproduce exactly):
  ```
  logits = forward(cond_drop_prob=0); null = forward(cond_drop_prob=1)
  update = logits - null                                   # float32
  if remove_parallel_component:                            # project(update, logits), per sample
      u, y = update.flatten(1).double(), logits.flatten(1).double()
      unit = y / max(||y||_2, 1e-12)                       # F.normalize(dim=-1), float64
      parallel = (u * unit).sum(-1, keepdim) * unit; orthogonal = u - parallel
      update = orthogonal.float() + parallel.float() * keep_parallel_frac   # each cast to float32 first
      # (a float32 projection differs from these outputs by <= 2.4e-7 here)
  scaled = logits + update * (W - 1.)
  if phi == 0: return scaled, null
  std = torch.std over all non-batch dims, keepdim, UNBIASED (Bessel, n - 1; it cancels in the ratio:
        biased std changes the outputs by <= 2.4e-7 here)
  rescaled = scaled * (std(logits) / std(scaled))
  return rescaled * phi + scaled * (1. - phi), null
  ```
- `mp_cfgpp{{0|1}}_clip{{0|1}}_pred_noise` / `_pred_x_start` = `GaussianDiffusion.model_predictions(unet_x,
  unet_t, classes, cond_scale={mp_w}, rescaled_phi={mp_phi}, clip_x_start=bool(clip))` with
  `use_cfg_plus_plus` set to the flag (model space). model_predictions calls forward_with_cond_scale
  with only cond_scale and rescaled_phi, so the projection is ON (remove_parallel_component=True,
  keep_parallel_frac=0) in every model_predictions / sampling call.
- `loss_img` (image space), `loss_t`, `loss_noise`: a fixed batch; `loss_drop0` = `p_losses(2*loss_img-1,
  loss_t, classes=classes, noise=loss_noise)` with the Unet's `cond_drop_prob` set to 0 (shape [1]);
  `loss_drop05` = the same with `cond_drop_prob=0.5` right after `torch.manual_seed(s)` (s in config.json
  `runs.loss_drop05.seed`: the first seed from seed+3 up whose mask is mixed): the
  only global draw is the keep mask `loss_drop05_uniform < 0.5` = `loss_drop05_keep` (noise is
  passed in; offset noise is off). p_losses: per-sample mean of the squared error against the
  target (noise / x0 / v), times `loss_weight[t]`, then the batch mean.
- DDIM runs `<run>_*` (`GaussianDiffusion.ddim_sample(classes, shape, cond_scale, rescaled_phi)` with
  `ddim_sampling_eta` and `use_cfg_plus_plus` set on the instance; clip_denoised=True):

  | run | cond_scale | rescaled_phi | eta | CFG++ | `_x0_preds` stored |
  |---|---|---|---|---|---|
{runs}

  Each run starts with `torch.manual_seed(seed)` (seeds in config.json `runs`); the global
  generator then gives `x_T = torch.randn(shape)` (`<run>_x_T`, model space) and, inside the loop, one
  `torch.randn_like(img)` per step AFTER that step's model call, in every step but the last
  (the last step returns x0 through `continue` before the draw). The draw happens at eta = 0 too
  (multiplied by sigma = 0), and the network calls draw nothing (cond_drop_prob 0 / 1 take no
  random numbers), so the k-th step's noise is the (k+1)-th `randn(shape)` after the seed.
  `<run>_all_x` (B, steps+1, C, H, W) = image-space states, `[:, 0]` = x_T, `[:, -1]` = final;
  `<run>_x0_preds` (steps, B, C, H, W) = image-space clipped x0 of each step (three runs only, for
  size); `<run>_final` = the sampler's return value (= `all_x[:, -1]`). The update per step
  (time -> time_next from `ddim_times`): `a = alphas_cumprod[time]`, `an = alphas_cumprod[time_next]`
  (float32 buffer entries), `sigma = eta * sqrt((1 - a/an) * (1 - an) / (1 - a))`,
  `c = sqrt(1 - an - sigma^2)`, `x = x0 * sqrt(an) + c * pred_noise + sigma * noise` (float32, in this
  order); at time_next = -1, `x = x0`. Before saving, the generator re-derived every state from the
  recorded x0 / pred_noise and the replayed noise (bit-exact), and checked `x_T` is the first draw.
  W = 1 runs: {shim}
- `ddpm_*` (model_a only): `p_sample_loop(classes, shape, cond_scale={ddpm_w}, rescaled_phi={ddpm_phi})` after
  `torch.manual_seed(seed)` (config.json `runs.ddpm`): `ddpm_x_T` = the first draw `torch.randn(shape)`
  (model space); then for t = T-1..0: model call, then `torch.randn_like(x)` only if t > 0
  (`ddpm_first_noise` = the t = T-1 draw, checked against the first step). `ddpm_keep_t` = {ddpm_keep};
  `ddpm_x_in[:, k]` = image-space state entering `p_sample(t = keep_t[k])` (so `[:, 1]` is what the
  t = 99 step produced), `ddpm_x0[:, k]` = that step's clamped x0 (image space); `ddpm_final` = the
  return value (image space). p_sample: `model_predictions(clip_x_start=False)`, then
  `x0.clamp_(-1, 1)`, posterior mean `coef1[t] * x0 + coef2[t] * x` with the clamped x0,
  `x = mean + exp(0.5 * posterior_log_variance_clipped[t]) * noise` (noise = 0 at t = 0).

### model_a.reference.pt

| key | dtype | shape |
|---|---|---|
{keys_a}

### model_b.reference.pt

| key | dtype | shape |
|---|---|---|
{keys_b}

## Protocol notes for a port

- ResnetBlock: `mlp = Sequential(SiLU, Linear(time_dim + classes_dim, 2*dim_out))` applied to
  `cat((time_emb, class_emb), -1)` (time first); `scale, shift = chunk(2)`; block1 = conv3x3 ->
  RMSNorm (F.normalize over channels * g * sqrt(C)) -> `x * (scale + 1) + shift` -> SiLU; block2 the
  same without scale/shift; plus res_conv (1x1 if channels differ).
- Class path: `classes_emb(classes)` (or `null_classes_emb` for dropped rows) -> `classes_mlp`
  (Linear, GELU (exact erf), Linear). Time path: SinusoidalPosEmb(dim) (theta 10000, sin then cos) ->
  Linear -> GELU -> Linear. Both are dim*4 wide.
- Attention blocks are pre-normed with a separate RMSNorm (`fn.norm.g`); LinearAttention: q softmax
  over channels, k softmax over positions, q * dim_head^-0.5, output conv + RMSNorm; mid Attention:
  plain softmax attention, no memory key/values.
- DDIM's pred_noise is NOT re-derived from the clipped x0 for `pred_noise` (it is the guided network
  output itself; x0 = clip(predict_start_from_noise(guided))). For `pred_v` (and `pred_x0`) pred_noise
  IS derived from the clipped x0: `predict_noise_from_start(x, t, clip(predict_start_from_v(x, t, v)))`.
- CFG++ (`use_cfg_plus_plus`): x0 always comes from the guided output; pred_noise comes from the NULL
  output: `pred_noise` objective: pred_noise = null output (raw); `pred_v`: predict_noise_from_start(x, t,
  clip(predict_start_from_v(x, t, null_v))) (clip only when clip_x_start); `pred_x0`: from clip(null x0).
- The schedule buffers are float64 computations cast to float32 at registration.
- Differences from the main 2.1.1 `denoising_diffusion_pytorch.Unet` beyond the class path:
  Downsample is `Conv2d(dim_in, dim_out, 4, stride 2, padding 1)` (`downs.i.3.weight` is
  [out, in, 4, 4]; the main Unet uses pixel-unshuffle + 1x1 conv), Upsample is nearest x2 +
  conv3x3 (same as main), attention is `Residual(PreNorm(...))` without memory key/values, no
  dropout, no flash/`Attend`, no `full_attn`, no self-conditioning, `init_conv` is 7x7.
- `GaussianDiffusion.__init__` asserts `not model.random_or_learned_sinusoidal_cond`, so
  `learned_sinusoidal_cond` / `random_fourier_features` cannot be used with this file's diffusion.
- Sampling always goes through `model_predictions`, which never passes `remove_parallel_component`
  / `keep_parallel_frac`: the projection is always on (keep 0) when W != 1. Only a direct
  `forward_with_cond_scale` call can turn it off.
"""


if __name__ == "__main__":
    main()
