#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""dopri5 step-size-controller references for tests/fixtures/dopri5: the real g4vrel/CFM U-Net
and its `sample_images` (flow.py) on the real torchdiffeq, with every field evaluation and every
step attempt recorded.

    mkdir -p /tmp/ref/cfm /tmp/ref/torchdiffeq /tmp/ref/einops
    git --git-dir=/work/.mirror/g4vrel+CFM/repo archive HEAD | tar -x -C /tmp/ref/cfm
    git --git-dir=/work/.mirror/rtqichen+torchdiffeq/repo archive HEAD torchdiffeq | tar -x -C /tmp/ref/torchdiffeq
    git --git-dir=/work/.mirror/arogozhnikov+einops/repo archive v0.8.1 | tar -x -C /tmp/ref/einops
    /usr/bin/python3 tests/tools/make_dopri5_fixture.py [--cfm DIR] [--torchdiffeq DIR] [--einops DIR]

Nothing of those projects is copied here. Shims for Debian's torch 1.13 (g4vrel/CFM targets
torch 2): `torch.compile` (decorates OptimalTransportFlow's methods in flow.py, unused here) is
the identity when missing, and `F.scaled_dot_product_attention` (the U-Net's attention) is
restated as softmax(q k^T / sqrt(d)) v when missing. The run checks that it reproduces
tests/fixtures/cfm_g4vrel_tiny/reference.pt (v_out and dopri5).

Protocol: flow.sample_images(model, shape, num_steps=5, device="cpu") unchanged - it draws x0 with
torch.randn (answered with reference.pt's ode_y0, once) and calls
odeint(lambda t, x: model(x, t.repeat(B)), linspace(0, 1, 5), x0, method="dopri5", atol, rtol).
`model` is the U-Net behind a call-through wrapper that logs each time it is given; odeint is
wrapped only to attach torchdiffeq's own callback_step / callback_accept_step /
callback_reject_step hooks to the field (the arguments are passed on unchanged; g4vrel/CFM's
atol = rtol = 1e-5, plus a run at 1e-3 with the same call but other tolerances).
See tests/fixtures/dopri5/README.md.
"""
import argparse
import importlib
import os
import sys
from collections import OrderedDict

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "fixtures")
OUT = os.path.join(FIXTURES, "dopri5")


def sdpa(q, k, v, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None):
    assert attn_mask is None and dropout_p == 0.0 and not is_causal
    s = q.shape[-1] ** -0.5 if scale is None else scale
    return torch.softmax(q @ k.transpose(-2, -1) * s, dim=-1) @ v


def load(cfm_dir, torchdiffeq_dir, einops_dir):
    if not hasattr(torch, "compile"):
        torch.compile = lambda fn=None, **kw: fn if fn is not None else (lambda f: f)
    if not hasattr(F, "scaled_dot_product_attention"):
        F.scaled_dot_product_attention = sdpa
    for p in (einops_dir, torchdiffeq_dir, cfm_dir):
        sys.path.insert(0, p)
    torchdiffeq = importlib.import_module("torchdiffeq")
    flow = importlib.import_module("flow")
    unet = importlib.import_module("unet")
    assert os.path.dirname(os.path.abspath(flow.__file__)) == os.path.abspath(cfm_dir)
    assert os.path.abspath(torchdiffeq.__file__).startswith(os.path.abspath(torchdiffeq_dir))
    return torchdiffeq, flow, unet


class LoggedModel(torch.nn.Module):
    """Call-through: logs the (float32) time of each evaluation."""

    def __init__(self, net):
        super().__init__()
        self.net = net
        self.times = []

    def forward(self, x, t):
        assert t.dtype == torch.float32 and bool((t == t[0]).all())
        self.times.append(t[0].item())
        return self.net(x, t)


class Hooked:
    """The field given to odeint, with torchdiffeq's step callbacks attached."""

    def __init__(self, func, log):
        self.func, self.log = func, log

    def __call__(self, t, y):
        return self.func(t, y)

    def callback_step(self, t0, y0, dt):
        self.log.append([float(t0), float(dt), None])

    def callback_accept_step(self, t0, y0, dt):
        assert self.log[-1][:2] == [float(t0), float(dt)]
        self.log[-1][2] = True

    def callback_reject_step(self, t0, y0, dt):
        assert self.log[-1][:2] == [float(t0), float(dt)]
        self.log[-1][2] = False


def run(flow, model, y0, times, atol, rtol):
    attempts, seen = [], {}
    real_odeint, real_randn = flow.odeint, torch.randn

    def odeint(func, t, y0, **kw):
        assert kw["method"] == "dopri5" and kw["atol"] == 1e-5 and kw["rtol"] == 1e-5
        seen.update(t=t.clone(), kw=dict(kw))
        kw["atol"], kw["rtol"] = atol, rtol
        return real_odeint(func=Hooked(func, attempts), y0=y0, t=t, **kw)

    def randn(*shape, **kw):
        torch.randn = real_randn
        assert tuple(shape[0]) == tuple(y0.shape)
        return y0.clone()

    model.times = []
    flow.odeint, torch.randn = odeint, randn
    try:
        sol = flow.sample_images(model, tuple(y0.shape), num_steps=len(times), device="cpu")
    finally:
        flow.odeint, torch.randn = real_odeint, real_randn
    assert torch.equal(seen["t"], times), (seen["t"], times)
    return sol, list(model.times), attempts


TOY_K, TOY_W = 10.0, 20.0


def toy_field(t, x):
    """A synthetic field that makes dopri5 reject steps (the U-Net's field is so smooth that it
    never does): v(t, x) = -10 (x - cos(20 t)), in float32 (t arrives as a float32 scalar)."""
    return -TOY_K * (x - torch.cos(TOY_W * t))


def run_toy(torchdiffeq, y0, times, atol, rtol):
    attempts, evals = [], []

    def field(t, x):
        assert t.dtype == torch.float32 and t.dim() == 0
        evals.append(t.item())
        return toy_field(t, x)

    sol = torchdiffeq.odeint(Hooked(field, attempts), y0, times, method="dopri5", atol=atol, rtol=rtol)
    return sol, evals, attempts


def record(out, tag, tol, sol, evals, attempts):
    nfe = len(evals)
    acc = [a for a in attempts if a[2]]
    assert all(a[2] is not None for a in attempts)
    assert nfe == 2 + 6 * len(attempts), (nfe, len(attempts))
    out[tag + "_atol"] = torch.tensor([tol], dtype=torch.float64)
    out[tag + "_rtol"] = torch.tensor([tol], dtype=torch.float64)
    out[tag + "_solution"] = sol
    out[tag + "_nfe"] = torch.tensor([nfe], dtype=torch.int64)
    out[tag + "_eval_t"] = torch.tensor(evals, dtype=torch.float64)
    out[tag + "_attempt_t0"] = torch.tensor([a[0] for a in attempts], dtype=torch.float64)
    out[tag + "_attempt_dt"] = torch.tensor([a[1] for a in attempts], dtype=torch.float64)
    out[tag + "_attempt_accepted"] = torch.tensor([a[2] for a in attempts], dtype=torch.bool)
    out[tag + "_accepted_steps"] = torch.tensor([len(acc)], dtype=torch.int64)
    out[tag + "_rejected_steps"] = torch.tensor([len(attempts) - len(acc)], dtype=torch.int64)
    print(f"{tag}: nfe {nfe}, {len(acc)} accepted, {len(attempts) - len(acc)} rejected; "
          f"first dt {attempts[0][1]:.17g}; last step ends at {acc[-1][0] + acc[-1][1]:.17g}")
    for i, a in enumerate(attempts):
        print(f"   attempt {i:2d}: t0 {a[0]:.10f} dt {a[1]:.10f} {'accept' if a[2] else 'REJECT'}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cfm", default="/tmp/ref/cfm", help="g4vrel/CFM source tree (unet/, flow.py)")
    ap.add_argument("--torchdiffeq", default="/tmp/ref/torchdiffeq", help="folder holding the torchdiffeq package")
    ap.add_argument("--einops", default="/tmp/ref/einops", help="einops source tree")
    args = ap.parse_args()
    torch.set_num_threads(1)
    torchdiffeq, flow, unet = load(args.cfm, args.torchdiffeq, args.einops)

    d = os.path.join(FIXTURES, "cfm_g4vrel_tiny")
    ckpt = torch.load(os.path.join(d, "ckpt.tar"), map_location="cpu")
    ref = torch.load(os.path.join(d, "reference.pt"), map_location="cpu")
    net = unet.Unet(ch=16, ch_mul=[1, 2], att_channels=[0, 1], groups=8, dropout=0.0)
    net.load_state_dict(ckpt["model_state_dict"])  # the online weights
    net.eval()
    with torch.no_grad():
        err = (net(ref["v_x"], ref["v_t"]) - ref["v_out"]).abs().max().item()
    assert err < 1e-5, f"v_out differs by {err}"
    print(f"v_out matches reference within {err:.2e}")
    model = LoggedModel(net)
    times = ref["dopri5_times"]
    assert torch.equal(times, torch.linspace(0.0, 1.0, len(times)))

    out = OrderedDict(y0=ref["ode_y0"].clone(), times=times.clone())
    for tag, tol in (("tol1e-5", 1e-5), ("tol1e-3", 1e-3)):
        sol, evals, attempts = run(flow, model, ref["ode_y0"], times, tol, tol)
        if tag == "tol1e-5":
            err = (sol - ref["dopri5"]).abs().max().item()
            print(f"dopri5 (atol = rtol = 1e-5) matches reference.pt within {err:.2e}")
            assert err < 1e-5, err
        record(out, tag, tol, sol, evals, attempts)
    for tag, tol in (("toy_tol1e-5", 1e-5), ("toy_tol1e-3", 1e-3)):
        sol, evals, attempts = run_toy(torchdiffeq, ref["ode_y0"], times, tol, tol)
        assert any(not a[2] for a in attempts)
        record(out, tag, tol, sol, evals, attempts)
    os.makedirs(OUT, exist_ok=True)
    torch.save(out, os.path.join(OUT, "reference.pt"))
    print("torchdiffeq", torchdiffeq.__version__, "from", os.path.dirname(torchdiffeq.__file__))


if __name__ == "__main__":
    main()
