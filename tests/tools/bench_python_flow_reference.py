#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Python side of the flow benchmark, on the same (Debian) LibTorch as
`diffusion-studio-cli bench sample`: g4vrel/CFM's flow U-Net (g4vrel/CFM unet.Unet, restated
here in plain torch because einops is not installed; `check` verifies it against the fixture) at
the width `bench sample --flow-backbone cfm` uses, or torchcfm's own UNetModelWrapper(dim=(1, 28,
28), num_channels=32, num_res_blocks=1) as `bench sample` (--flow-backbone torchcfm) builds it,
imported from torchcfm (put its source on PYTHONPATH). Run it alternately with the bench: the
machine is noisy.

    /usr/bin/python3 tests/tools/bench_python_flow_reference.py check            # parity with cfm_g4vrel_tiny
    /usr/bin/python3 tests/tools/bench_python_flow_reference.py euler [torchcfm]  # s/image, Euler 50, batch 16
    /usr/bin/python3 tests/tools/bench_python_flow_reference.py nfe [torchcfm]    # s/image per velocity evaluation
"""
import math
import os
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def norm_act_conv(dim_in, dim_out, groups):
    return nn.Sequential(nn.GroupNorm(groups, dim_in), nn.SiLU(), nn.Identity(), nn.Conv2d(dim_in, dim_out, 3, 1, 1))


class Attention(nn.Module):
    def __init__(self, c, heads=4):
        super().__init__()
        self.heads = heads
        self.norm = nn.GroupNorm(32, c)
        self.Q, self.K, self.V, self.proj = (nn.Conv2d(c, c, 1) for _ in range(4))

    def split(self, x):  # channels interleaved as (head_dim heads)
        b, c, h, w = x.shape
        return x.reshape(b, c // self.heads, self.heads, h * w).permute(0, 2, 3, 1)

    def forward(self, x):
        h = self.norm(x)
        q, k, v = self.split(self.Q(h)), self.split(self.K(h)), self.split(self.V(h))
        a = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1]), -1) @ v
        return (x + self.proj(a.permute(0, 3, 1, 2).reshape(x.shape))) / math.sqrt(2.0)


class Cond(nn.Module):
    def __init__(self, emb, out):
        super().__init__()
        self.proj = nn.Sequential(nn.SiLU(), nn.Linear(emb, out))


class ResBlock(nn.Module):
    def __init__(self, dim_in, dim_out, emb, groups, attn):
        super().__init__()
        self.skip_connection = nn.Conv2d(dim_in, dim_out, 1) if dim_in != dim_out else nn.Identity()
        self.block1 = norm_act_conv(dim_in, dim_out, groups)
        self.block2 = norm_act_conv(dim_out, dim_out, groups)
        self.cond_block = Cond(emb, 2 * dim_out)
        self.attn = Attention(dim_out) if attn else nn.Identity()

    def forward(self, x, emb):
        scale, shift = self.cond_block.proj(emb)[:, :, None, None].chunk(2, 1)
        h = self.block1(x)
        h = self.block2[3](F.silu(self.block2[0](h) * (1 + scale) + shift))
        return self.attn((self.skip_connection(x) + h) / math.sqrt(2.0))


class Resample(nn.Module):
    def __init__(self, dim_in, dim_out, down):
        super().__init__()
        self.down = down
        self.conv = nn.Conv2d(dim_in, dim_out, 3, 2 if down else 1, 1)

    def forward(self, x):
        return self.conv(x if self.down else F.interpolate(x, scale_factor=2.0, mode="nearest"))


class Unet(nn.Module):
    def __init__(self, ch, ch_mul, att, groups):
        super().__init__()
        self.ch = ch
        self.input_proj = nn.Conv2d(3, ch, 3, 1, 1)
        self.time_proj = nn.Sequential(nn.Linear(ch, 4 * ch), nn.SiLU(), nn.Linear(4 * ch, 4 * ch))
        self.down, self.up = nn.ModuleList(), nn.ModuleList()
        n = len(ch_mul)
        for r in range(n):
            d = ch * ch_mul[r]
            down = [ResBlock(d, d, 4 * ch, groups, att[r]), ResBlock(d, d, 4 * ch, groups, att[r])]
            if r < n - 1:
                down.append(Resample(d, ch * ch_mul[r + 1], True))
            up = [ResBlock(2 * d, d, 4 * ch, groups, att[r]), ResBlock(2 * d, d, 4 * ch, groups, att[r])]
            if r > 0:
                up.append(Resample(d, ch * ch_mul[r - 1], False))
            self.down.append(nn.ModuleList(down))
            self.up.insert(0, nn.ModuleList(up))
        d = ch * ch_mul[-1]
        self.mid = nn.ModuleList([ResBlock(d, d, 4 * ch, groups, True), ResBlock(d, d, 4 * ch, groups, False)])
        self.final = nn.Sequential(nn.GroupNorm(groups, 2 * ch), nn.SiLU(), nn.Conv2d(2 * ch, 3, 3, 1, 1))

    def forward(self, x, t):
        half = self.ch // 2
        freqs = torch.exp(-math.log(10000) * torch.arange(half, dtype=torch.float32) / half)
        emb = self.time_proj(torch.cat([torch.sin(t[:, None] * freqs), torch.cos(t[:, None] * freqs)], -1))
        x = self.input_proj(x)
        h, skips = x, []
        for level in self.down:
            for block in level[:2]:
                h = block(h, emb)
                skips.append(h)
            if len(level) > 2:
                h = level[2](h)
        h = self.mid[1](self.mid[0](h, emb), emb)
        for level in self.up:
            for block in level[:2]:
                h = block(torch.cat((h, skips.pop()), 1), emb)
            if len(level) > 2:
                h = level[2](h)
        return self.final(torch.cat((h, x), 1))


def bench_model(network):
    """The network and its input shape (C, H, W); velocity(x, t) either way."""
    torch.manual_seed(0)
    if network == "torchcfm":
        from torchcfm.models.unet.unet import UNetModelWrapper

        m = UNetModelWrapper(dim=(1, 28, 28), num_channels=32, num_res_blocks=1).eval()
        return (lambda x, t: m(t, x)), (1, 28, 28)
    m = Unet(32, [1, 2, 2], [0, 1, 0], 32).eval()
    return m, (3, 32, 32)


@torch.inference_mode()
def check():
    here = os.path.dirname(os.path.abspath(__file__))
    fixture = os.path.join(here, "..", "fixtures", "cfm_g4vrel_tiny")
    ck = torch.load(os.path.join(fixture, "ckpt.tar"), map_location="cpu")
    ref = torch.load(os.path.join(fixture, "reference.pt"))
    m = Unet(16, [1, 2], [0, 1], 8)
    m.load_state_dict(ck["model_state_dict"])
    diff = (m(ref["v_x"], ref["v_t"]) - ref["v_out"]).abs().max().item()
    print(f"max abs diff to g4vrel/CFM's velocity: {diff:.3g}")
    assert diff < 1e-4


@torch.inference_mode()
def euler(network, batch=16, steps=50, repeats=2):
    m, shape = bench_model(network)
    x0 = torch.randn(batch, *shape)
    m(x0, torch.zeros(batch))
    best = 1e300
    for _ in range(repeats):
        start = time.perf_counter()
        x = x0
        for i in range(steps):
            x = x + m(x, torch.full((batch,), i / steps)) / steps
        best = min(best, time.perf_counter() - start)
    print(f"Euler {steps}, batch {batch}: {best / batch:.4f} s/image")


@torch.inference_mode()
def nfe(network, batch=16, evaluations=20):
    m, shape = bench_model(network)
    x = torch.randn(batch, *shape)
    m(x, torch.zeros(batch))
    start = time.perf_counter()
    for i in range(evaluations):
        m(x, torch.full((batch,), i / evaluations))
    print(f"one evaluation, batch {batch}: {(time.perf_counter() - start) / evaluations / batch * 1000:.2f} ms/image")


if __name__ == "__main__":
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", os.cpu_count())))
    mode = sys.argv[1] if len(sys.argv) > 1 else "check"
    network = sys.argv[2] if len(sys.argv) > 2 else "cfm"
    if mode == "check":
        check()
    else:
        {"euler": euler, "nfe": nfe}[mode](network)
