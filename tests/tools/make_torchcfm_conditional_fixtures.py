#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
r"""Reference fixtures for torchcfm's CLASS-CONDITIONAL UNetModel (tests/fixtures/torchcfm_conditional).

Runs the ORIGINAL torchcfm code of atong01/conditional-flow-matching (UNetModelWrapper of
torchcfm/models/unet/unet.py, exported as torchcfm.models.unet.UNetModel, which is what
examples/images/conditional_mnist.ipynb builds; its ConditionalFlowMatcher for the two training
steps) and the ORIGINAL torchdiffeq 0.2.5 odeint, both loaded from paths given on the command
line (never copied into this repository), on two class-conditional models with seeded, perturbed
random weights:

* `mnist_notebook`: the notebook's exact model, UNetModel(dim=(1, 28, 28), num_channels=32,
  num_res_blocks=1, num_classes=10, class_cond=True);
* `rgb16_options`: a smaller one with the other options (num_res_blocks 2, heads by count with
  the new attention order, scale-shift norm, residual up/down sampling, dropout), num_classes=4.

It records torchcfm-layout checkpoints, the velocity of both weight sets for several labels,
the notebook's own dopri5 call (every field evaluation and step attempt) and a 4-step Euler
sample, and writes the fixture's config.json and README.md (every file and key).

Getting the reference code (snapshots are bare git repositories under /work/.mirror; this puts
them where the defaults point):

    mkdir -p /tmp/torchcfm_src /tmp/torchdiffeq_src
    git --git-dir=/work/.mirror/atong01+conditional-flow-matching/repo archive HEAD torchcfm \
        examples/images/conditional_mnist.ipynb | tar -x -C /tmp/torchcfm_src
    git --git-dir=/work/.mirror/rtqichen+torchdiffeq/repo archive HEAD torchdiffeq | tar -x -C /tmp/torchdiffeq_src

(elsewhere: github.com/atong01/conditional-flow-matching commit
cacd4dc8a5b6f50de63780e8f73754c9371f15db; github.com/rtqichen/torchdiffeq commit
657943acefa826ef04c025ebeb1ff5e9d60dc268, version 0.2.5.)

Run with Debian's python3-torch (1.13), one thread, CPU (about 3 minutes; the notebook's
dopri5 call on 100 MNIST-sized samples dominates):

    /usr/bin/python3 tests/tools/make_torchcfm_conditional_fixtures.py [--torchcfm /tmp/torchcfm_src] \
        [--torchdiffeq /tmp/torchdiffeq_src] [--out DIR] [--train-all]

Shim: torchcfm/__init__.py imports conditional_flow_matching -> optimal_transport, which does
`import ot` (POT, not installed; only OTPlanSampler uses it, which nothing here calls): `ot` is an
empty stub module. No text of the reference code is patched.
"""
import argparse
import copy
import hashlib
import importlib
import json
import os
import sys
import types
from collections import OrderedDict

import torch

torch.set_num_threads(1)

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", ".."))
OUT = os.path.join(REPO, "tests", "fixtures", "torchcfm_conditional")

TORCHCFM = dict(repo="atong01/conditional-flow-matching", commit="cacd4dc8a5b6f50de63780e8f73754c9371f15db",
                mirror="/work/.mirror/atong01+conditional-flow-matching/repo")
TORCHDIFFEQ = dict(repo="rtqichen/torchdiffeq", commit="657943acefa826ef04c025ebeb1ff5e9d60dc268", version="0.2.5",
                   mirror="/work/.mirror/rtqichen+torchdiffeq/repo")
HASHED = ["torchcfm/models/unet/unet.py", "torchcfm/models/unet/nn.py", "torchcfm/models/unet/__init__.py",
          "torchcfm/conditional_flow_matching.py"]
NOTEBOOK = "examples/images/conditional_mnist.ipynb"

SHIM_NOTE = ("`ot` (POT) is an empty stub module: torchcfm/__init__.py -> conditional_flow_matching.py -> "
             "optimal_transport.py does `import ot as pot` at import time; only OTPlanSampler uses it and nothing "
             "here calls it. No text of torchcfm or torchdiffeq is patched; observation is done by call-through "
             "wrappers around the model and by torchdiffeq's own callback_step/callback_accept_step/"
             "callback_reject_step hooks set as attributes on the notebook's lambda.")

# ---------------------------------------------------------------------------------------------
# Configurations
# ---------------------------------------------------------------------------------------------
MODELS = OrderedDict()
# The notebook's model: conditional_mnist.ipynb cells 2, 5, 8 all build exactly this.
MODELS["mnist_notebook"] = dict(
    wrapper=dict(dim=(1, 28, 28), num_channels=32, num_res_blocks=1, num_classes=10, class_cond=True),
    seed=300,
    velocity_t=[0.0, 0.37, 0.81, 1.0],
    velocity_y=[3, 7, 0, 9],
    velocity_y_alt=[8, 2, 0, 1],  # row 2 keeps its label
    # the notebook's sampling cell (cells 4/7/10): 100 samples, labels arange(10).repeat(10)
    dopri5_net=dict(labels=("arange_repeat", 10, 10)),
    dopri5_ema=dict(labels=("arange_repeat", 10, 1)),
    euler_labels=[0, 3, 7, 9],
    extra_keys=(),
)
MODELS["rgb16_options"] = dict(
    wrapper=dict(dim=(3, 16, 16), num_channels=32, num_res_blocks=2, channel_mult=(1, 1), num_classes=4,
                 class_cond=True, attention_resolutions="8", num_heads=2, use_new_attention_order=True,
                 use_scale_shift_norm=True, resblock_updown=True, dropout=0.1),
    seed=400,
    velocity_t=[0.0, 0.37, 0.81, 1.0],
    velocity_y=[0, 1, 2, 3],
    velocity_y_alt=[3, 3, 2, 0],  # row 2 keeps its label
    dopri5_net=dict(labels=("arange_repeat", 4, 2)),
    dopri5_ema=dict(labels=("arange_repeat", 4, 2)),
    euler_labels=[0, 1, 2, 3],
    extra_keys=(),
)

PERTURB = 0.05           # every parameter += PERTURB * N(0, 1) after torchcfm's own initialisation
TRAIN_STEPS = 2          # Adam steps on the notebook's training loss, random images and labels
TRAIN_BATCH = 4
ADAM = dict(lr=1e-3)     # torch.optim.Adam(model.parameters()) as the notebook: defaults (lr 1e-3)
EMA_DECAY = 0.9999       # train_cifar10.py's --ema_decay default; utils_cifar.ema's formula
ODE = dict(atol=1e-4, rtol=1e-4, method="dopri5")  # the notebook's odeint call
EULER_STEPS = 4


def is_trained(name, p):
    return name.startswith("label_emb.") or name.startswith("time_embed.") or p.dim() == 1


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def load(torchcfm_root, torchdiffeq_root):
    if "ot" not in sys.modules:
        sys.modules["ot"] = types.ModuleType("ot")  # see SHIM_NOTE
    for p in (torchdiffeq_root, torchcfm_root):
        sys.path.insert(0, p)
    torchdiffeq = importlib.import_module("torchdiffeq")
    unet_pkg = importlib.import_module("torchcfm.models.unet")
    unet = importlib.import_module("torchcfm.models.unet.unet")
    cfm = importlib.import_module("torchcfm.conditional_flow_matching")
    assert os.path.abspath(unet.__file__).startswith(os.path.abspath(torchcfm_root)), unet.__file__
    assert os.path.abspath(torchdiffeq.__file__).startswith(os.path.abspath(torchdiffeq_root)), torchdiffeq.__file__
    assert unet_pkg.UNetModel is unet.UNetModelWrapper
    return torchdiffeq, unet_pkg, unet, cfm


def notebook_code_cells(torchcfm_root):
    path = os.path.join(torchcfm_root, NOTEBOOK)
    if not os.path.exists(path):
        return None
    with open(path) as f:
        nb = json.load(f)
    return ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]


def check_notebook(cells):
    """The notebook's text that this generator restates (model, optimizer, loss, odeint call)."""
    if cells is None:
        return "notebook not found next to torchcfm (archive examples/images/conditional_mnist.ipynb too to check it)"
    text = "\n".join(cells)
    needed = [
        "UNetModel(\n    dim=(1, 28, 28), num_channels=32, num_res_blocks=1, num_classes=10, class_cond=True\n)",
        "optimizer = torch.optim.Adam(model.parameters())",
        "FM = ConditionalFlowMatcher(sigma=sigma)",
        "t, xt, ut = FM.sample_location_and_conditional_flow(x0, x1)",
        "vt = model(t, xt, y)",
        "loss = torch.mean((vt - ut) ** 2)",
        "generated_class_list = torch.arange(10, device=device).repeat(10)",
        "lambda t, x: model.forward(t, x, generated_class_list)",
        "torch.randn(100, 1, 28, 28, device=device)",
        "torch.linspace(0, 1, 2, device=device)",
        "atol=1e-4,\n            rtol=1e-4,\n            method=\"dopri5\"",
        "USE_TORCH_DIFFEQ = True",
    ]
    missing = [s for s in needed if s not in text]
    assert not missing, "the notebook changed: " + repr(missing)
    return "checked: the notebook's code cells contain the restated lines verbatim"


def labels_of(spec):
    kind, k, n = spec
    assert kind == "arange_repeat"
    return torch.arange(k).repeat(n)


class Recorder:
    """Call-through stand-in for the model inside the notebook's lambda: logs each time."""

    def __init__(self, model):
        self.model = model
        self.times = []

    def forward(self, t, x, y=None):
        assert t.dim() == 0 and t.dtype == torch.float32, (t.shape, t.dtype)
        self.times.append(t.item())
        return self.model.forward(t, x, y)


def notebook_odeint(torchdiffeq, model, noise, generated_class_list):
    """conditional_mnist.ipynb's sampling cell with USE_TORCH_DIFFEQ = True, device = cpu; the
    noise (torch.randn(N, C, H, W) there) is passed in. Returns traj and the log."""
    rec = Recorder(model)
    steps = {"accept": [], "reject": []}
    with torch.no_grad():
        field = lambda t, x: rec.forward(t, x, generated_class_list)  # noqa: E731 (the notebook's lambda)
        field.callback_accept_step = lambda t0, y0, dt: steps["accept"].append((t0.item(), dt.item()))
        field.callback_reject_step = lambda t0, y0, dt: steps["reject"].append((t0.item(), dt.item()))
        traj = torchdiffeq.odeint(
            field,
            noise,
            torch.linspace(0, 1, 2),
            atol=ODE["atol"],
            rtol=ODE["rtol"],
            method=ODE["method"],
        )
    return traj, rec.times, steps


def attention_table(model, unet, x, t, y):
    """Every AttentionBlock: where it sits, its input size, channels, heads and order."""
    rows, hooks = [], []
    for name, mod in model.named_modules():
        if isinstance(mod, unet.AttentionBlock):
            def hook(m, inp, out, name=name):
                b, c, h, w = inp[0].shape
                rows.append(OrderedDict(module=name, resolution=[h, w], ds=model.image_size // h, channels=c,
                                        num_heads=m.num_heads, head_channels=c // m.num_heads,
                                        qkv_attention=type(m.attention).__name__))
            hooks.append(mod.register_forward_hook(hook))
    with torch.no_grad():
        model(t, x, y)
    for h in hooks:
        h.remove()
    return rows


def capture_emb(model, unet, t, x, y):
    """time_embed's output and the emb the blocks receive (time + label), from hooks."""
    got = {}
    h1 = model.time_embed.register_forward_hook(lambda m, i, o: got.__setitem__("time", o.clone()))
    h2 = model.input_blocks[0].register_forward_pre_hook(lambda m, args: got.__setitem__("emb", args[1].clone()))
    with torch.no_grad():
        model(t, x, y)
    h1.remove()
    h2.remove()
    return got["time"], got["emb"]


def error_of(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - the message is the observation
        return f"{type(e).__name__}: {e}"
    return None


def make(name, spec, unet_pkg, unet, cfm, torchdiffeq, out, train_all):
    w = spec["wrapper"]
    c, h, wd = w["dim"]
    k = w["num_classes"]
    torch.manual_seed(spec["seed"])
    net = unet_pkg.UNetModel(**w)
    with torch.no_grad():
        for p in net.parameters():
            p.add_(PERTURB * torch.randn_like(p))
    ema = copy.deepcopy(net)

    # Trained (unless --train-all): label_emb, the time MLP and every 1-D tensor (biases,
    # GroupNorm affine); the rest (convolution kernels, the ResBlocks' emb_layers weights) stays at
    # its perturbed value, so it is equal in both weight sets and stored once.
    trained = OrderedDict((n, p) for n, p in net.named_parameters() if train_all or is_trained(n, p))
    for n, p in net.named_parameters():
        p.requires_grad_(n in trained)
    optimizer = torch.optim.Adam(list(trained.values()), **ADAM)
    FM = cfm.ConditionalFlowMatcher(sigma=0.0)
    losses = []
    net.train()
    ema_params = dict(ema.named_parameters())
    for step in range(TRAIN_STEPS):
        # the notebook's training cell on random "images" in [-1, 1] and random labels
        x1 = torch.rand(TRAIN_BATCH, c, h, wd) * 2 - 1
        y = torch.randint(0, k, (TRAIN_BATCH,))
        optimizer.zero_grad()
        x0 = torch.randn_like(x1)
        t, xt, ut = FM.sample_location_and_conditional_flow(x0, x1)
        vt = net(t, xt, y)
        loss = torch.mean((vt - ut) ** 2)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        with torch.no_grad():  # utils_cifar.ema's formula, on the trained tensors
            for n, pn in trained.items():
                pe = ema_params[n]
                pe.copy_(pe * EMA_DECAY + pn * (1 - EMA_DECAY))
    for p in net.parameters():
        p.requires_grad_(True)
    net.eval()
    ema.eval()

    net_sd = net.state_dict()
    ema_sd = ema.state_dict()
    shared = [n for n in net_sd if n not in trained]
    for n in shared:
        assert torch.equal(net_sd[n], ema_sd[n]), n
        ema_sd[n] = net_sd[n]  # one storage in the file (torch.save writes a storage once)
    differing = [n for n in net_sd if not torch.equal(net_sd[n], ema_sd[n])]
    assert set(differing) == set(trained), "every trained tensor must differ between the weight sets"
    checkpoint = OrderedDict(net_model=net_sd, ema_model=ema_sd, step=TRAIN_STEPS)
    if "optim" in spec["extra_keys"]:
        checkpoint["optim"] = optimizer.state_dict()
    ckpt_path = os.path.join(out, name + ".pt")
    torch.save(checkpoint, ckpt_path)

    # The file loads back into a fresh model with identical outputs.
    reloaded = torch.load(ckpt_path)
    fresh = unet_pkg.UNetModel(**w).eval()
    fresh.load_state_dict(reloaded["ema_model"])

    ref = OrderedDict()
    g = torch.Generator().manual_seed(spec["seed"] + 1)
    x = torch.randn(4, c, h, wd, generator=g)
    t = torch.tensor(spec["velocity_t"], dtype=torch.float32)
    y = torch.tensor(spec["velocity_y"], dtype=torch.int64)
    y_alt = torch.tensor(spec["velocity_y_alt"], dtype=torch.int64)
    ref["x"], ref["t"], ref["y"], ref["y_alt"] = x, t, y, y_alt
    with torch.no_grad():
        ref["net_v"] = net(t, x, y)
        ref["ema_v"] = ema(t, x, y)
        assert torch.equal(fresh(t, x, y), ref["ema_v"])
        ref["net_v_alt"] = net(t, x, y_alt)
        ref["ema_v_alt"] = ema(t, x, y_alt)
        ref["t_scalar"] = torch.tensor(0.5)
        ref["ema_v_scalar_t"] = ema(ref["t_scalar"], x, y)
        ref["ema_time_emb"], ref["ema_emb"] = capture_emb(ema, unet, t, x, y)
        ref["net_time_emb"], ref["net_emb"] = capture_emb(net, unet, t, x, y)
        # one image, every label, t = 0.5
        ref["x_all_labels"] = x[:1].repeat(k, 1, 1, 1)
        ref["t_all_labels"] = torch.full((k,), 0.5)
        ref["y_all_labels"] = torch.arange(k)
        ref["ema_v_all_labels"] = ema(ref["t_all_labels"], ref["x_all_labels"], ref["y_all_labels"])

    label_facts = OrderedDict(
        max_abs_ema_v=ref["ema_v"].abs().max().item(),
        mean_abs_ema_v=ref["ema_v"].abs().mean().item(),
        max_abs_net_v_minus_ema_v=(ref["net_v"] - ref["ema_v"]).abs().max().item(),
        max_abs_v_minus_v_alt_rows_with_new_label=(ref["ema_v"] - ref["ema_v_alt"])[[i for i in range(4) if y[i] != y_alt[i]]].abs().max().item(),
        max_abs_v_minus_v_alt_row_with_same_label=(ref["ema_v"] - ref["ema_v_alt"])[[i for i in range(4) if y[i] == y_alt[i]]].abs().max().item(),
        max_abs_ema_emb_minus_sum_time_emb_label_emb=(ref["ema_emb"] - (ref["ema_time_emb"] + ema.label_emb.weight[y])).abs().max().item(),
        min_pairwise_max_abs_diff_all_labels=min(
            (ref["ema_v_all_labels"][i] - ref["ema_v_all_labels"][j]).abs().max().item()
            for i in range(k) for j in range(i + 1, k)),
    )

    # The notebook's odeint call, online weights (the notebook has no EMA) and EMA weights.
    ode = OrderedDict()
    for which, model, key in (("net", net, "dopri5_net"), ("ema", ema, "dopri5_ema")):
        labels = labels_of(spec[key]["labels"])
        noise = torch.randn(len(labels), c, h, wd, generator=g)
        traj, times, steps = notebook_odeint(torchdiffeq, model, noise, labels)
        assert traj.shape == (2,) + tuple(noise.shape)
        assert torch.equal(traj[0], noise)
        p = which + "_dopri5_"
        ref[p + "noise"] = noise
        ref[p + "labels"] = labels
        ref[p + "final"] = traj[-1].clone()  # not a view: torch.save would write all of traj
        ref[p + "nfe"] = torch.tensor(len(times), dtype=torch.int64)
        ref[p + "eval_t"] = torch.tensor(times, dtype=torch.float64)
        ref[p + "accept_t0"] = torch.tensor([a for a, _ in steps["accept"]], dtype=torch.float64)
        ref[p + "accept_dt"] = torch.tensor([d for _, d in steps["accept"]], dtype=torch.float64)
        ref[p + "reject_t0"] = torch.tensor([a for a, _ in steps["reject"]], dtype=torch.float64)
        ref[p + "reject_dt"] = torch.tensor([d for _, d in steps["reject"]], dtype=torch.float64)
        ode[which] = OrderedDict(batch=len(labels), labels=labels.tolist(), nfe=len(times),
                                 accepted=len(steps["accept"]), rejected=len(steps["reject"]),
                                 last_eval_t=times[-1], max_eval_t=max(times))
        print(f"{name} {which} dopri5: batch {len(labels)}, NFE {len(times)}, "
              f"{len(steps['accept'])} accepted, {len(steps['reject'])} rejected", flush=True)

    # 4-step Euler, t_i = i / 4 as a (B,) tensor, z += v / 4.
    el = torch.tensor(spec["euler_labels"], dtype=torch.int64)
    noise = torch.randn(len(el), c, h, wd, generator=g)
    ref["euler_noise"], ref["euler_labels"] = noise, el
    with torch.no_grad():
        for which, model in (("net", net), ("ema", ema)):
            z = noise.clone()
            states = [z]
            for i in range(EULER_STEPS):
                z = z + model(torch.full((len(el),), i / EULER_STEPS), z, el) / EULER_STEPS
                states.append(z)
            ref[which + "_euler4_states"] = torch.stack(states)

    errors = OrderedDict()
    with torch.no_grad():
        errors["y_None"] = error_of(lambda: ema(t, x))
        errors["y_num_classes"] = error_of(lambda: ema(t, x, torch.full((4,), k, dtype=torch.int64)))
        errors["y_negative"] = error_of(lambda: ema(t, x, torch.full((4,), -1, dtype=torch.int64)))
        errors["y_shape_B1"] = error_of(lambda: ema(t, x, y[:, None]))
        errors["y_float"] = error_of(lambda: ema(t, x, y.float()))
        errors["y_int32"] = error_of(lambda: ema(t, x, y.int()))
        if errors["y_int32"] is None:
            assert torch.equal(ema(t, x, y.int()), ref["ema_v"])
    ref_path = os.path.join(out, name + ".reference.pt")
    ref = OrderedDict((kk, v.detach().clone().contiguous()) for kk, v in ref.items())  # own storages, no views
    torch.save(ref, ref_path)

    attn = attention_table(ema, unet, x, t, y)
    um = OrderedDict((a, getattr(net, a)) for a in (
        "image_size", "in_channels", "model_channels", "out_channels", "num_res_blocks", "attention_resolutions",
        "dropout", "channel_mult", "conv_resample", "num_classes", "num_heads", "num_head_channels",
        "num_heads_upsample"))
    um["channel_mult"] = list(um["channel_mult"])
    um["attention_resolutions"] = list(um["attention_resolutions"])
    um["use_scale_shift_norm"] = w.get("use_scale_shift_norm", False)
    um["resblock_updown"] = w.get("resblock_updown", False)
    um["use_new_attention_order"] = w.get("use_new_attention_order", False)
    um["use_fp16"] = False
    um["dims"] = 2
    wrapper = OrderedDict((kk, list(v) if isinstance(v, tuple) else v) for kk, v in w.items())
    params = sum(p.numel() for p in net.parameters())
    info = OrderedDict(
        wrapper_args=wrapper,
        unet_model_args=um,
        parameters=params,
        time_embed_dim=4 * net.model_channels,
        label_emb_shape=list(net.label_emb.weight.shape),
        attention=attn,
        seed=spec["seed"],
        training=OrderedDict(steps=TRAIN_STEPS, batch=TRAIN_BATCH, losses=losses,
                             trained_tensors=len(trained), shared_tensors=len(shared),
                             trained_parameters=sum(p.numel() for p in trained.values())),
        checkpoint_keys=list(checkpoint.keys()),
        velocity=OrderedDict(t=spec["velocity_t"], y=spec["velocity_y"], y_alt=spec["velocity_y_alt"]),
        label_dependence=label_facts,
        dopri5=ode,
        euler=OrderedDict(steps=EULER_STEPS, labels=spec["euler_labels"]),
        errors=errors,
        files=OrderedDict(checkpoint=os.path.getsize(ckpt_path), reference=os.path.getsize(ref_path)),
    )
    print(f"{name}: {params} parameters, |ema_v| {label_facts['mean_abs_ema_v']:.4f}, "
          f"label effect {label_facts['max_abs_v_minus_v_alt_rows_with_new_label']:.4f}", flush=True)
    return info, list(ref.keys()), {kk: tuple(v.shape) for kk, v in ref.items()}, \
        {kk: str(v.dtype).replace("torch.", "") for kk, v in ref.items()}


# ---------------------------------------------------------------------------------------------
# README
# ---------------------------------------------------------------------------------------------
def readme(cfg, keys, shapes, dtypes, train_all):
    L = []
    a = L.append
    tc, td = cfg["upstream"]["torchcfm"], cfg["upstream"]["torchdiffeq"]
    a("# torchcfm class-conditional UNetModel reference fixtures\n")
    a("Written by `tests/tools/make_torchcfm_conditional_fixtures.py` (this file too); do not edit by hand.\n")
    a(f"Produced by running the ORIGINAL code of {tc['repo']} (commit `{tc['commit']}`): "
      "`torchcfm.models.unet.UNetModel` (= `UNetModelWrapper` of `torchcfm/models/unet/unet.py`) and "
      "`torchcfm.conditional_flow_matching.ConditionalFlowMatcher`, with the ORIGINAL `torchdiffeq.odeint` of "
      f"{td['repo']} {td['version']} (commit `{td['commit']}`), both imported from extracted snapshots "
      "(nothing copied into this repository). torch "
      f"{cfg['torch']} (Debian python3-torch), CPU, one thread, float32. Source hashes (sha256):\n")
    for p, h in tc["sha256"].items():
        a(f"- `{p}`: `{h}`")
    a("")
    a(f"Shim: {cfg['shim']}\n")
    a(f"Notebook check: {cfg['notebook_check']}.\n")
    a("Regenerate:\n")
    a("    mkdir -p /tmp/torchcfm_src /tmp/torchdiffeq_src")
    a(f"    git --git-dir={tc['mirror']} archive HEAD torchcfm examples/images/conditional_mnist.ipynb | tar -x -C /tmp/torchcfm_src")
    a(f"    git --git-dir={td['mirror']} archive HEAD torchdiffeq | tar -x -C /tmp/torchdiffeq_src")
    a("    cd <repo> && /usr/bin/python3 tests/tools/make_torchcfm_conditional_fixtures.py"
      " [--torchcfm /tmp/torchcfm_src] [--torchdiffeq /tmp/torchdiffeq_src]" + (" --train-all" if train_all else ""))
    a("")
    a("(about 3 minutes on one CPU thread; the outputs are deterministic for this torch build.)\n")
    a("## Files\n")
    for f in sorted(os.listdir(cfg["_out"])):
        if f == "README.md":
            continue
        a(f"- `{f}` ({os.path.getsize(os.path.join(cfg['_out'], f))} bytes)")
    a("- `README.md` (this file)\n")
    a("`config.json`: the upstream identification (commits, file hashes), the shim, the notebook's sampling "
      "protocol (`notebook`), and per model: `wrapper_args` (the `UNetModel(...)` = `UNetModelWrapper(...)` call; "
      "`dim` is a tuple there), `unet_model_args` (what the wrapper passes to `UNetModel.__init__`, resolved: "
      "`attention_resolutions` are downsample factors, `num_heads_upsample` resolved from -1), `parameters`, "
      "`time_embed_dim`, `label_emb_shape`, `attention` (every AttentionBlock: module path, input resolution, ds, "
      "channels, heads, head channels, QKVAttentionLegacy = legacy order / QKVAttention = new order), `seed`, "
      "`training` (losses; how many tensors were trained / are shared), `checkpoint_keys`, `velocity` (the inputs), "
      "`label_dependence` (summary numbers), `dopri5` (batch, labels, NFE, accepted / rejected steps), `euler`, "
      "`errors` (the exception text of the original code for bad labels; null = no error), and `files` (sizes).\n")
    a("## Models\n")
    for name, m in cfg["models"].items():
        um = m["unet_model_args"]
        a(f"- **{name}**: `UNetModel({json.dumps(m['wrapper_args'])})` -> `UNetModel.__init__` with "
          f"model_channels {um['model_channels']}, channel_mult {tuple(um['channel_mult'])}, num_res_blocks "
          f"{um['num_res_blocks']}, attention_resolutions (downsample factors) {tuple(um['attention_resolutions'])}, "
          f"num_heads {um['num_heads']}, num_head_channels {um['num_head_channels']}, num_heads_upsample "
          f"{um['num_heads_upsample']}, use_scale_shift_norm {um['use_scale_shift_norm']}, resblock_updown "
          f"{um['resblock_updown']}, use_new_attention_order {um['use_new_attention_order']}, dropout {um['dropout']}, "
          f"num_classes {um['num_classes']}; {m['parameters']} parameters; label_emb {tuple(m['label_emb_shape'])}.")
        a("  Attention blocks (input resolution, channels x heads, order):")
        for r in m["attention"]:
            a(f"  - `{r['module']}`: {r['resolution'][0]}x{r['resolution'][1]} (ds {r['ds']}), {r['channels']} channels, "
              f"{r['num_heads']} head(s) x {r['head_channels']}, {r['qkv_attention']}")
    a("")
    a("The notebook's `attention_resolutions` is the wrapper's default `\"16\"`: the wrapper turns it into "
      "`28 // 16 = 1`, i.e. attention at downsample factor 1 = the full 28x28 resolution (784 tokens, 32 channels, "
      "1 head), in input block 1 and output blocks 4 and 5; the middle block always has one (7x7, 64 channels). "
      "channel_mult is the wrapper's default for 28 px, (1, 2, 2); 28 -> 14 -> 7 by strided 3x3 convolutions "
      "(conv_resample), back by nearest x2 + 3x3 convolution.\n")
    a("## Weights and checkpoints\n")
    if train_all:
        a("Weights: torchcfm's own initialisation under `torch.manual_seed(seed)`, then every parameter += "
          f"{PERTURB} * N(0,1) (zero_module would make the output 0); EMA = a copy at that point. Then "
          f"{TRAIN_STEPS} Adam steps (defaults, lr {ADAM['lr']}, as the notebook's `torch.optim.Adam(model.parameters())`) on "
          "the notebook's loss (ConditionalFlowMatcher(sigma=0).sample_location_and_conditional_flow, "
          f"`mean((model(t, xt, y) - ut)^2)`) with random images in [-1, 1] and random labels (batch {TRAIN_BATCH}), "
          f"every parameter trained; after each step `ema = ema * {EMA_DECAY} + online * (1 - {EMA_DECAY})` "
          "(train_cifar10.py's default decay, utils_cifar.ema's formula) on every tensor.\n")
    else:
        a("Weights: torchcfm's own initialisation under `torch.manual_seed(seed)`, then every parameter += "
          f"{PERTURB} * N(0,1) (zero_module would make the output 0); EMA = a copy at that point. Then "
          f"{TRAIN_STEPS} Adam steps (defaults, lr {ADAM['lr']}, as the notebook's `torch.optim.Adam(model.parameters())`) on "
          "the notebook's loss (ConditionalFlowMatcher(sigma=0).sample_location_and_conditional_flow, "
          f"`mean((model(t, xt, y) - ut)^2)`) with random images in [-1, 1] and random labels (batch {TRAIN_BATCH}), "
          "training only `label_emb.weight`, `time_embed.*` and every 1-D tensor (all biases, all GroupNorm "
          "weights/biases; the optimizer is given only those); after each step "
          f"`ema = ema * {EMA_DECAY} + online * (1 - {EMA_DECAY})` (train_cifar10.py's default decay, utils_cifar.ema's "
          "formula) on those. Everything else (the 2-D/3-D/4-D kernels: convolutions, qkv / proj_out Conv1d, the "
          "ResBlocks' emb_layers Linear weights) keeps its perturbed value, is therefore EQUAL in both weight sets, "
          "and the file stores it once: `ema_model[k]` IS the tensor `net_model[k]` (one pickled storage "
          "referenced from both dicts), which halves the size; every trained tensor differs between the two "
          "sets (checked), so online and EMA outputs differ everywhere. A real torchcfm save holds two full "
          "copies; a loader must accept both (`--train-all` writes that: everything trained, nothing shared, "
          "about twice the size).\n")
    a("Checkpoint layout (`<model>.pt`, torch.save zip): the train_cifar10.py keys: `net_model` (online state_dict, "
      "plain UNetModel keys, no prefix, including `label_emb.weight` [num_classes, 4 * num_channels]), "
      f"`ema_model` (EMA state_dict), `step` = {TRAIN_STEPS} (int); train_cifar10.py also saves `sched` and "
      "`optim`, left out for size (the unconditional fixtures in ../torchcfm_unet have them). The notebook itself "
      "saves nothing (it makes `models/cond_mnist` and never writes to it).\n")
    for name, m in cfg["models"].items():
        a(f"- {name}: keys {m['checkpoint_keys']}; {m['training']['trained_tensors']} trained tensors "
          f"({m['training']['trained_parameters']} parameters), {m['training']['shared_tensors']} shared; losses "
          f"{[round(v, 6) for v in m['training']['losses']]}.")
    a("")
    a("## `<model>.reference.pt` keys\n")
    a("A dict of tensors (torch.save zip); float32 unless noted; labels int64. `net_*` = online weights, "
      "`ema_*` = EMA weights; both in eval() mode (dropout off). `v = model(t, x, y)` is the velocity "
      "(torchcfm's forward signature: time first).\n")
    desc = OrderedDict([
        ("x", "(4, C, H, W) inputs, N(0,1) from a generator seeded seed + 1"),
        ("t", "(4,) times `velocity.t` = [0, 0.37, 0.81, 1]"),
        ("y", "(4,) labels `velocity.y`"),
        ("y_alt", "(4,) other labels for the same x, t; row 2 keeps its label (its output must not change)"),
        ("net_v / ema_v", "model(t, x, y)"),
        ("net_v_alt / ema_v_alt", "model(t, x, y_alt)"),
        ("t_scalar", "0-d tensor 0.5"),
        ("ema_v_scalar_t", "ema(t_scalar, x, y): a 0-d time is repeated over the batch (`timesteps.repeat(B)`)"),
        ("net_time_emb / ema_time_emb", "(4, 4*num_channels) `time_embed(timestep_embedding(t, num_channels))`, "
                                        "captured by a hook (t in [0, 1] as given: no x1000)"),
        ("net_emb / ema_emb", "(4, 4*num_channels) the `emb` every TimestepBlock receives = time_emb + label_emb(y) "
                              "(captured by a pre-hook on input_blocks[0])"),
        ("x_all_labels / t_all_labels / y_all_labels", "one image (x[0]) repeated num_classes times, t = 0.5, "
                                                       "y = arange(num_classes)"),
        ("ema_v_all_labels", "ema(t_all_labels, x_all_labels, y_all_labels): the label's effect alone"),
        ("{net,ema}_dopri5_noise", "(N, C, H, W) the initial state (the notebook's `torch.randn(N, C, H, W)`)"),
        ("{net,ema}_dopri5_labels", "(N,) `generated_class_list` = `torch.arange(K).repeat(R)` "
                                    "(0, 1, ..., K-1, 0, 1, ...)"),
        ("{net,ema}_dopri5_final", "(N, C, H, W) traj[-1] of `torchdiffeq.odeint(lambda t, x: model.forward(t, x, "
                                   "labels), noise, torch.linspace(0, 1, 2), atol=1e-4, rtol=1e-4, method=\"dopri5\")`; "
                                   "traj has shape (2, N, C, H, W) and traj[0] is the noise bitwise (checked)"),
        ("{net,ema}_dopri5_nfe", "0-d int64: field calls (= model forwards), the initial step selection included"),
        ("{net,ema}_dopri5_eval_t", "(nfe,) float64: the float32 time the field got, in call order (a 0-d float32 "
                                    "tensor each time: f(0), the initial step selection's f(h0), then 6 per step "
                                    "attempt at t0 + (1/5, 3/10, 4/5, 8/9, 1, 1) dt, the two last at "
                                    "nextafter(t1, -inf) in float32; the first stage reuses the previous f (FSAL)). "
                                    "The LAST STEP OVERSHOOTS t = 1 (times up to ~1.5 here): torchdiffeq does not "
                                    "clip steps to the output times, it interpolates the solution at t = 1"),
        ("{net,ema}_dopri5_accept_t0 / _accept_dt", "float64: torchdiffeq's callback_accept_step (t0, dt) of each "
                                                    "accepted step (its internal float64 times)"),
        ("{net,ema}_dopri5_reject_t0 / _reject_dt", "float64: callback_reject_step (t0, dt) of each rejected step "
                                                    "(possibly empty)"),
        ("euler_noise / euler_labels", "(4, C, H, W) / (4,) the Euler run's start and labels"),
        ("{net,ema}_euler4_states", "(5, 4, C, H, W): z_0 = euler_noise, z_{i+1} = z_i + model(torch.full((4,), i/4), "
                                    "z_i, euler_labels) / 4 for i = 0..3; [4] is the sample"),
    ])
    for kk, d in desc.items():
        a(f"- `{kk}`: {d}")
    a("")
    for name in cfg["models"]:
        a(f"{name} shapes: " + ", ".join(f"`{kk}` {list(shapes[name][kk])}" +
                                         ("" if dtypes[name][kk] == "float32" else f" {dtypes[name][kk]}")
                                         for kk in keys[name]) + ".\n")
    a("## Sampling: what the notebook does\n")
    for line in cfg["notebook"]["facts"]:
        a(f"- {line}")
    a("")
    for name, m in cfg["models"].items():
        for which, o in m["dopri5"].items():
            a(f"- {name} {which} dopri5: batch {o['batch']}, NFE {o['nfe']}, {o['accepted']} accepted / "
              f"{o['rejected']} rejected steps, last evaluation at t = {o['last_eval_t']:.6f}.")
    a("")
    a("`net` = the notebook's call on the online weights (mnist_notebook: its exact batch of 100 and labels); "
      "`ema` = the same call on the EMA weights (mnist_notebook: 10 samples, labels 0..9). The error norm of "
      "dopri5 is an RMS over the WHOLE batch, so the step sizes depend on the batch: a port must solve the batch "
      "as one state to reproduce NFE and times. Random weights give a smooth field: no rejected step here "
      "(../dopri5 covers rejections).\n")
    a("## Conditioning in torchcfm's UNetModel\n")
    for line in cfg["conditioning"]:
        a(f"- {line}")
    a("")
    for name, m in cfg["models"].items():
        a(f"{name}: label dependence " + ", ".join(f"{kk} {v:.3g}" for kk, v in m["label_dependence"].items()) + ".\n")
        a(f"{name}: errors of the original code: " + "; ".join(f"{kk}: {v!r}" for kk, v in m["errors"].items()) + ".\n")
    return "\n".join(L) + "\n"


NOTEBOOK_FACTS = [
    "Training (cells 3, 6, 9): every sample has its MNIST label (`vt = model(t, xt, y)`); no label dropout, no null "
    "label: the model cannot be queried unconditionally, so the notebook has no classifier-free guidance.",
    "Sampling (cells 4, 7, 10; `USE_TORCH_DIFFEQ = True`): `generated_class_list = torch.arange(10).repeat(10)` "
    "(0..9, 0..9, ...: a 10x10 grid with one class per column, `make_grid(nrow=10)`), then "
    "`torchdiffeq.odeint(lambda t, x: model.forward(t, x, generated_class_list), torch.randn(100, 1, 28, 28), "
    "torch.linspace(0, 1, 2), atol=1e-4, rtol=1e-4, method=\"dopri5\")` and `traj[-1]` clipped to [-1, 1]. Plain "
    "conditional velocity, no guidance scale. The model is the online one (the notebook keeps no EMA).",
    "The field's time is torchdiffeq's 0-d float32 tensor; UNetModel.forward repeats it over the batch.",
    "The `NeuralODE(model, solver=\"dopri5\", sensitivity=\"adjoint\", atol=1e-4, rtol=1e-4)` (torchdyn) objects "
    "are built but only used when USE_TORCH_DIFFEQ is False (and would call model(t, x) without labels); the adjoint "
    "does not change the forward solve.",
    "Cells 5-7 (OT-CFM) train the same model with ExactOptimalTransportConditionalFlowMatcher."
    "guided_sample_location_and_conditional_flow (labels permuted with the OT plan) and sample identically. "
    "Cells 8-13 (SF2M) add a second UNetModel as a score model and sample with the same odeint call, then with "
    "torchsde.sdeint (drift = v + score, sigma 0.1, dt 0.01); not covered here.",
]

CONDITIONING = [
    "`UNetModel(..., num_classes=10, class_cond=True)` is UNetModelWrapper: `num_classes` reaches UNetModel only "
    "when `class_cond=True` (else None, whatever num_classes says; the wrapper's default num_classes is 1000).",
    "With num_classes set, `self.label_emb = nn.Embedding(num_classes, 4 * num_channels)` (key `label_emb.weight`, "
    "initialised N(0, 1)); exactly num_classes rows, no extra null / unconditional row.",
    "forward(t, x, y): `emb = time_embed(timestep_embedding(t, num_channels))` (Linear(C, 4C), SiLU, "
    "Linear(4C, 4C)), then `emb = emb + label_emb(y)` - the label embedding is ADDED to the time MLP's OUTPUT (no "
    "activation between; it is not fed through the MLP). That emb goes to every ResBlock as before (emb_layers: "
    "SiLU, Linear; added, or scale/shift with use_scale_shift_norm). Nothing else in the network sees the label.",
    "`assert (y is not None) == (self.num_classes is not None)`: a conditional model called without y raises "
    "AssertionError('must specify y if and only if the model is class-conditional'); an unconditional one called "
    "with y raises the same. `assert y.shape == (x.shape[0],)`: one label per sample, 1-D.",
    "Labels must be an integer tensor (nn.Embedding: int64 or int32); labels outside [0, num_classes) raise "
    "IndexError ('index out of range in self').",
    "A time tensor with more than one dimension is reduced to `t[:, 0]` (printing its shape); a 0-d time is "
    "repeated over the batch.",
]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--torchcfm", default="/tmp/torchcfm_src",
                    help="directory holding torchcfm/ (and examples/images/conditional_mnist.ipynb)")
    ap.add_argument("--torchdiffeq", default="/tmp/torchdiffeq_src", help="directory holding torchdiffeq/")
    ap.add_argument("--out", default=OUT)
    ap.add_argument("--train-all", action="store_true",
                    help="train every tensor and store two full weight sets (about twice the size)")
    args = ap.parse_args()
    torchdiffeq, unet_pkg, unet, cfm = load(args.torchcfm, args.torchdiffeq)
    assert torchdiffeq.__version__ == TORCHDIFFEQ["version"], torchdiffeq.__version__
    nb_check = check_notebook(notebook_code_cells(args.torchcfm))
    os.makedirs(args.out, exist_ok=True)

    cfg = OrderedDict()
    cfg["upstream"] = OrderedDict(
        torchcfm=OrderedDict(TORCHCFM, sha256=OrderedDict((p, sha256(os.path.join(args.torchcfm, p))) for p in HASHED)),
        torchdiffeq=OrderedDict(TORCHDIFFEQ, sha256=OrderedDict(
            (p, sha256(os.path.join(args.torchdiffeq, p))) for p in ("torchdiffeq/_impl/rk_common.py",
                                                                      "torchdiffeq/_impl/dopri5.py",
                                                                      "torchdiffeq/_impl/misc.py"))),
    )
    cfg["torch"] = torch.__version__
    cfg["shim"] = SHIM_NOTE
    cfg["notebook_check"] = nb_check
    cfg["train_all"] = args.train_all
    cfg["perturb"] = PERTURB
    cfg["adam"] = ADAM
    cfg["ema_decay"] = EMA_DECAY
    cfg["notebook"] = OrderedDict(
        model="UNetModel(dim=(1, 28, 28), num_channels=32, num_res_blocks=1, num_classes=10, class_cond=True)",
        optimizer="torch.optim.Adam(model.parameters())",
        flow_matcher="ConditionalFlowMatcher(sigma=0.0)",
        sample_labels="torch.arange(10).repeat(10)",
        sample_noise="torch.randn(100, 1, 28, 28)",
        odeint=OrderedDict(t="torch.linspace(0, 1, 2)", **ODE),
        guidance=None,
        null_class=None,
        ema=None,
        facts=NOTEBOOK_FACTS,
    )
    cfg["conditioning"] = CONDITIONING
    cfg["models"] = OrderedDict()
    keys, shapes, dtypes = {}, {}, {}
    for name, spec in MODELS.items():
        cfg["models"][name], keys[name], shapes[name], dtypes[name] = make(
            name, spec, unet_pkg, unet, cfm, torchdiffeq, args.out, args.train_all)
    with open(os.path.join(args.out, "config.json"), "w") as f:
        json.dump(cfg, f, indent=1)
        f.write("\n")
    cfg["_out"] = args.out
    text = readme(cfg, keys, shapes, dtypes, args.train_all)
    with open(os.path.join(args.out, "README.md"), "w") as f:
        f.write(text)
    total = sum(os.path.getsize(os.path.join(args.out, f)) for f in os.listdir(args.out))
    print(f"wrote {args.out}: {total} bytes")


if __name__ == "__main__":
    main()
