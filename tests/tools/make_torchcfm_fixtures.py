#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Reference outputs of torchcfm's UNetModelWrapper (torchcfm/models/unet/unet.py, the OpenAI
guided-diffusion U-Net that torchcfm's image examples train) for tests/fixtures/torchcfm_unet.

Each configuration is built with torchcfm's own class, its weights moved off their zero
initialisation (zero_module would make every output 0), trained for two Adam steps on the I-CFM
loss with an EMA, and saved as torchcfm's examples save checkpoints:
{"net_model", "ema_model", "sched", "optim", "step"} (train_cifar10.py; the DDP example's keys
carry "module."; one fixture keeps only the weights and step). The reference file holds inputs, the velocity of both weight sets at several
times, and a 4-step Euler sample from fixed noise.

torchcfm cannot be installed from Debian's packages: put its source on PYTHONPATH (the
repository's root, which holds torchcfm/) and run with Debian's python3-torch:

    PYTHONPATH=/path/to/conditional-flow-matching /usr/bin/python3 tests/tools/make_torchcfm_fixtures.py
"""
import copy
import os

import torch

from torchcfm.models.unet.unet import UNetModelWrapper

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "fixtures", "torchcfm_unet")

CONFIGS = {
    # torchcfm's defaults (legacy attention order, no scale-shift, conv resampling) with heads
    # given by count, as UNetModelWrapper's num_heads.
    "rgb16_legacy": dict(dim=(3, 16, 16), num_channels=32, num_res_blocks=1, channel_mult=[1, 1],
                         attention_resolutions="8", num_heads=2, dropout=0.1),
    # Every option that changes the network: FiLM-like scale-shift, residual up/down sampling,
    # the new attention order (two heads of 16 channels, where the orders differ), heads by
    # channel count; MNIST's 28 px (28 -> 14), attention at both resolutions; saved from a
    # DDP-wrapped model ("module." keys), weights and step only.
    "gray28_all_options": dict(dim=(1, 28, 28), num_channels=32, num_res_blocks=1, channel_mult=[1, 1],
                               attention_resolutions="28,14", num_head_channels=16, use_scale_shift_norm=True,
                               resblock_updown=True, use_new_attention_order=True, dropout=0.1),
}
PREFIXED = {"gray28_all_options"}


def make(name, spec, seed):
    torch.manual_seed(seed)
    net = UNetModelWrapper(**spec)
    with torch.no_grad():
        for p in net.parameters():
            p.add_(0.05 * torch.randn_like(p))
    ema = copy.deepcopy(net)
    optim = torch.optim.Adam(net.parameters(), lr=2e-4)
    sched = torch.optim.lr_scheduler.LambdaLR(optim, lr_lambda=lambda step: min(step, 5000) / 5000)
    c, h, w = spec["dim"]
    net.train()
    for step in range(2):
        x1 = torch.rand(4, c, h, w) * 2 - 1
        x0 = torch.randn_like(x1)
        t = torch.rand(4)
        xt = t[:, None, None, None] * x1 + (1 - t[:, None, None, None]) * x0
        loss = ((net(t, xt) - (x1 - x0)) ** 2).mean()
        optim.zero_grad()
        loss.backward()
        optim.step()
        sched.step()
        with torch.no_grad():
            for pe, pn in zip(ema.parameters(), net.parameters()):
                pe.mul_(0.9999).add_(pn, alpha=1 - 0.9999)
    net.eval()
    ema.eval()

    def keys(state):
        if name not in PREFIXED:
            return state
        return type(state)(("module." + k, v) for k, v in state.items())

    checkpoint = {"net_model": keys(net.state_dict()), "ema_model": keys(ema.state_dict()), "step": 2}
    if name not in PREFIXED:  # the optimizer's state doubles a file's size: one fixture has it
        checkpoint.update(sched=sched.state_dict(), optim=optim.state_dict())
    torch.save(checkpoint, os.path.join(OUT, name + ".pt"))

    g = torch.Generator().manual_seed(seed + 1)
    x = torch.randn(3, c, h, w, generator=g)
    t = torch.tensor([0.0, 0.37, 1.0])
    ref = {"x": x, "t": t}
    with torch.no_grad():
        ref["net_v"] = net(t, x)
        ref["ema_v"] = ema(t, x)
        ref["ema_v_scalar_t"] = ema(torch.tensor(0.5), x)  # a 0-d time is repeated over the batch
        noise = torch.randn(2, c, h, w, generator=g)
        z = noise.clone()
        steps = 4
        for i in range(steps):
            z = z + ema(torch.full((2,), i / steps), z) / steps
        ref["euler_noise"] = noise
        ref["euler4_ema"] = z
    torch.save(ref, os.path.join(OUT, name + ".reference.pt"))
    params = sum(p.numel() for p in net.parameters())
    print(f"{name}: {params} parameters, |ema_v| {ref['ema_v'].abs().mean():.4f}")


def main():
    os.makedirs(OUT, exist_ok=True)
    for i, (name, spec) in enumerate(CONFIGS.items()):
        make(name, spec, 100 + i)


if __name__ == "__main__":
    main()
