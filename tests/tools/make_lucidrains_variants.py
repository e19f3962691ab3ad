#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Reference outputs of lucidrains' Unet + GaussianDiffusion (denoising_diffusion_pytorch 2.1.1)
for configurations other than the shared fixture's: 3 channels, other dim_mults, heads, head
sizes, full attention per stage, learned / random Fourier time embeddings, self-conditioning,
pred_noise / pred_x0, cosine / linear schedules, min-SNR weights.

The upstream package cannot be installed here, so this file restates its forward passes in
plain PyTorch. Before writing anything it checks itself against the reference outputs that the
real package produced (../shared/fixtures/ddpm_lucidrains_tiny), so the variants inherit that
parity. Run with Debian's python3-torch:

    /usr/bin/python3 tests/tools/make_lucidrains_variants.py [SHARED_FIXTURES_DIR]
"""
import math
import os
import sys
from collections import OrderedDict

import torch
import torch.nn.functional as F
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "fixtures", "lucidrains_variants")


class RMSNorm(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.scale = dim ** 0.5
        self.g = nn.Parameter(torch.ones(1, dim, 1, 1))

    def forward(self, x):
        return F.normalize(x, dim=1) * self.g * self.scale


class SinusoidalPosEmb(nn.Module):
    def __init__(self, dim, theta):
        super().__init__()
        self.dim, self.theta = dim, theta

    def forward(self, x):
        half = self.dim // 2
        emb = math.log(self.theta) / (half - 1)
        emb = torch.exp(torch.arange(half) * -emb)
        emb = x[:, None] * emb[None, :]
        return torch.cat((emb.sin(), emb.cos()), dim=-1)


class RandomOrLearnedSinusoidalPosEmb(nn.Module):
    def __init__(self, dim, is_random=False):
        super().__init__()
        self.weights = nn.Parameter(torch.randn(dim // 2), requires_grad=not is_random)

    def forward(self, x):
        x = x[:, None]
        freqs = x * self.weights[None, :] * 2 * math.pi
        return torch.cat((x, freqs.sin(), freqs.cos()), dim=-1)


class Block(nn.Module):
    def __init__(self, dim, dim_out, dropout=0.0):
        super().__init__()
        self.proj = nn.Conv2d(dim, dim_out, 3, padding=1)
        self.norm = RMSNorm(dim_out)

    def forward(self, x, scale_shift=None):
        x = self.norm(self.proj(x))
        if scale_shift is not None:
            scale, shift = scale_shift
            x = x * (scale + 1) + shift
        return F.silu(x)


class ResnetBlock(nn.Module):
    def __init__(self, dim, dim_out, time_emb_dim):
        super().__init__()
        self.mlp = nn.Sequential(nn.SiLU(), nn.Linear(time_emb_dim, dim_out * 2))
        self.block1 = Block(dim, dim_out)
        self.block2 = Block(dim_out, dim_out)
        self.res_conv = nn.Conv2d(dim, dim_out, 1) if dim != dim_out else nn.Identity()

    def forward(self, x, t):
        scale_shift = self.mlp(t)[:, :, None, None].chunk(2, dim=1)
        h = self.block1(x, scale_shift=scale_shift)
        return self.block2(h) + self.res_conv(x)


class LinearAttention(nn.Module):
    def __init__(self, dim, heads, dim_head, num_mem_kv=4):
        super().__init__()
        self.scale, self.heads = dim_head ** -0.5, heads
        hidden = dim_head * heads
        self.norm = RMSNorm(dim)
        self.mem_kv = nn.Parameter(torch.randn(2, heads, dim_head, num_mem_kv))
        self.to_qkv = nn.Conv2d(dim, hidden * 3, 1, bias=False)
        self.to_out = nn.Sequential(nn.Conv2d(hidden, dim, 1), RMSNorm(dim))

    def forward(self, x):
        b, c, h, w = x.shape
        q, k, v = self.to_qkv(self.norm(x)).chunk(3, dim=1)
        q, k, v = (t.reshape(b, self.heads, -1, h * w) for t in (q, k, v))
        mk, mv = (m.unsqueeze(0).expand(b, -1, -1, -1) for m in self.mem_kv)
        k, v = torch.cat((mk, k), dim=-1), torch.cat((mv, v), dim=-1)
        q = q.softmax(dim=-2) * self.scale
        k = k.softmax(dim=-1)
        context = torch.einsum("bhdn,bhen->bhde", k, v)
        out = torch.einsum("bhde,bhdn->bhen", context, q)
        return self.to_out(out.reshape(b, -1, h, w))


class Attention(nn.Module):
    def __init__(self, dim, heads, dim_head, num_mem_kv=4):
        super().__init__()
        self.heads = heads
        hidden = dim_head * heads
        self.norm = RMSNorm(dim)
        self.mem_kv = nn.Parameter(torch.randn(2, heads, num_mem_kv, dim_head))
        self.to_qkv = nn.Conv2d(dim, hidden * 3, 1, bias=False)
        self.to_out = nn.Conv2d(hidden, dim, 1)

    def forward(self, x):
        b, c, h, w = x.shape
        q, k, v = self.to_qkv(self.norm(x)).chunk(3, dim=1)
        q, k, v = (t.reshape(b, self.heads, -1, h * w).transpose(-1, -2) for t in (q, k, v))
        mk, mv = (m.unsqueeze(0).expand(b, -1, -1, -1) for m in self.mem_kv)
        k, v = torch.cat((mk, k), dim=-2), torch.cat((mv, v), dim=-2)
        sim = torch.einsum("bhid,bhjd->bhij", q, k) * q.shape[-1] ** -0.5
        out = torch.einsum("bhij,bhjd->bhid", sim.softmax(dim=-1), v)
        return self.to_out(out.transpose(-1, -2).reshape(b, -1, h, w))


class PixelUnshuffle2(nn.Module):
    def forward(self, x):  # 'b c (h p1) (w p2) -> b (c p1 p2) h w'
        b, c, h, w = x.shape
        return x.reshape(b, c, h // 2, 2, w // 2, 2).permute(0, 1, 3, 5, 2, 4).reshape(b, c * 4, h // 2, w // 2)


def cast(v, n):
    return tuple(v) if isinstance(v, (tuple, list)) else (v,) * n


class Unet(nn.Module):
    def __init__(self, dim, init_dim=None, out_dim=None, dim_mults=(1, 2, 4, 8), channels=3, self_condition=False,
                 learned_variance=False, learned_sinusoidal_cond=False, random_fourier_features=False,
                 learned_sinusoidal_dim=16, sinusoidal_pos_emb_theta=10000, attn_dim_head=32, attn_heads=4,
                 full_attn=None):
        super().__init__()
        self.channels, self.self_condition = channels, self_condition
        init_dim = init_dim or dim
        self.init_conv = nn.Conv2d(channels * (2 if self_condition else 1), init_dim, 7, padding=3)
        dims = [init_dim, *(dim * m for m in dim_mults)]
        in_out = list(zip(dims[:-1], dims[1:]))
        time_dim = dim * 4
        if learned_sinusoidal_cond or random_fourier_features:
            pos, fourier = RandomOrLearnedSinusoidalPosEmb(learned_sinusoidal_dim, random_fourier_features), learned_sinusoidal_dim + 1
        else:
            pos, fourier = SinusoidalPosEmb(dim, sinusoidal_pos_emb_theta), dim
        self.time_mlp = nn.Sequential(pos, nn.Linear(fourier, time_dim), nn.GELU(), nn.Linear(time_dim, time_dim))
        n = len(dim_mults)
        full_attn = cast(full_attn, n) if full_attn is not None else (False,) * (n - 1) + (True,)
        heads, dim_head = cast(attn_heads, n), cast(attn_dim_head, n)
        self.downs, self.ups = nn.ModuleList(), nn.ModuleList()
        for i, ((di, do), fa, hh, dh) in enumerate(zip(in_out, full_attn, heads, dim_head)):
            last = i >= n - 1
            self.downs.append(nn.ModuleList([
                ResnetBlock(di, di, time_dim), ResnetBlock(di, di, time_dim),
                (Attention if fa else LinearAttention)(di, hh, dh),
                nn.Sequential(PixelUnshuffle2(), nn.Conv2d(di * 4, do, 1)) if not last else nn.Conv2d(di, do, 3, padding=1)]))
        mid = dims[-1]
        self.mid_block1 = ResnetBlock(mid, mid, time_dim)
        self.mid_attn = Attention(mid, heads[-1], dim_head[-1])
        self.mid_block2 = ResnetBlock(mid, mid, time_dim)
        for i, ((di, do), fa, hh, dh) in enumerate(zip(*map(reversed, (in_out, full_attn, heads, dim_head)))):
            last = i == len(in_out) - 1
            self.ups.append(nn.ModuleList([
                ResnetBlock(do + di, do, time_dim), ResnetBlock(do + di, do, time_dim),
                (Attention if fa else LinearAttention)(do, hh, dh),
                nn.Sequential(nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(do, di, 3, padding=1))
                if not last else nn.Conv2d(do, di, 3, padding=1)]))
        self.final_res_block = ResnetBlock(init_dim * 2, init_dim, time_dim)
        self.final_conv = nn.Conv2d(init_dim, out_dim or channels * (2 if learned_variance else 1), 1)

    def forward(self, x, time, x_self_cond=None):
        if self.self_condition:
            x = torch.cat((x_self_cond if x_self_cond is not None else torch.zeros_like(x), x), dim=1)
        x = self.init_conv(x)
        r = x.clone()
        t = self.time_mlp(time)
        h = []
        for b1, b2, attn, down in self.downs:
            x = b1(x, t)
            h.append(x)
            x = b2(x, t)
            x = attn(x) + x
            h.append(x)
            x = down(x)
        x = self.mid_block1(x, t)
        x = self.mid_attn(x) + x
        x = self.mid_block2(x, t)
        for b1, b2, attn, up in self.ups:
            x = b1(torch.cat((x, h.pop()), dim=1), t)
            x = b2(torch.cat((x, h.pop()), dim=1), t)
            x = attn(x) + x
            x = up(x)
        return self.final_conv(self.final_res_block(torch.cat((x, r), dim=1), t))


def schedule(name, T):
    if name == "linear":
        s = 1000 / T
        return torch.linspace(s * 0.0001, s * 0.02, T, dtype=torch.float64)
    t = torch.linspace(0, T, T + 1, dtype=torch.float64) / T
    if name == "cosine":
        ac = torch.cos((t + 0.008) / 1.008 * math.pi * 0.5) ** 2
    else:
        v0, v1 = torch.tensor(-3.0).sigmoid(), torch.tensor(3.0).sigmoid()
        ac = (-((t * 6 - 3)).sigmoid() + v1) / (v1 - v0)
    ac = ac / ac[0]
    return torch.clip(1 - ac[1:] / ac[:-1], 0, 0.999)


class GaussianDiffusion(nn.Module):
    def __init__(self, model, image_size, timesteps=1000, sampling_timesteps=None, objective="pred_v",
                 beta_schedule="sigmoid", min_snr_loss_weight=False, min_snr_gamma=5):
        super().__init__()
        self.model, self.image_size, self.objective = model, image_size, objective
        betas = schedule(beta_schedule, timesteps)
        ac = torch.cumprod(1.0 - betas, dim=0)
        acp = F.pad(ac[:-1], (1, 0), value=1.0)
        self.num_timesteps = timesteps
        self.sampling_timesteps = sampling_timesteps or timesteps
        reg = lambda n, v: self.register_buffer(n, v.to(torch.float32))
        reg("betas", betas)
        reg("alphas_cumprod", ac)
        reg("alphas_cumprod_prev", acp)
        reg("sqrt_alphas_cumprod", torch.sqrt(ac))
        reg("sqrt_one_minus_alphas_cumprod", torch.sqrt(1.0 - ac))
        reg("log_one_minus_alphas_cumprod", torch.log(1.0 - ac))
        reg("sqrt_recip_alphas_cumprod", torch.sqrt(1.0 / ac))
        reg("sqrt_recipm1_alphas_cumprod", torch.sqrt(1.0 / ac - 1))
        pv = betas * (1.0 - acp) / (1.0 - ac)
        reg("posterior_variance", pv)
        reg("posterior_log_variance_clipped", torch.log(pv.clamp(min=1e-20)))
        reg("posterior_mean_coef1", betas * torch.sqrt(acp) / (1.0 - ac))
        reg("posterior_mean_coef2", (1.0 - acp) * torch.sqrt(1.0 - betas) / (1.0 - ac))
        snr = ac / (1 - ac)
        clipped = snr.clone()
        if min_snr_loss_weight:
            clipped.clamp_(max=min_snr_gamma)
        reg("loss_weight", {"pred_noise": clipped / snr, "pred_x0": clipped, "pred_v": clipped / (snr + 1)}[objective])

    @staticmethod
    def ex(a, t, x):
        return a.gather(-1, t).reshape(t.shape[0], *((1,) * (x.dim() - 1)))

    def predictions(self, x, t, self_cond=None, clip=False, rederive=False):
        out = self.model(x, t, self_cond)
        mc = (lambda v: v.clamp(-1, 1)) if clip else (lambda v: v)
        start_from_noise = lambda n: self.ex(self.sqrt_recip_alphas_cumprod, t, x) * x - self.ex(self.sqrt_recipm1_alphas_cumprod, t, x) * n
        noise_from_start = lambda x0: (self.ex(self.sqrt_recip_alphas_cumprod, t, x) * x - x0) / self.ex(self.sqrt_recipm1_alphas_cumprod, t, x)
        if self.objective == "pred_noise":
            noise, x0 = out, mc(start_from_noise(out))
            if clip and rederive:
                noise = noise_from_start(x0)
        elif self.objective == "pred_x0":
            x0 = mc(out)
            noise = noise_from_start(x0)
        else:
            x0 = mc(self.ex(self.sqrt_alphas_cumprod, t, x) * x - self.ex(self.sqrt_one_minus_alphas_cumprod, t, x) * out)
            noise = noise_from_start(x0)
        return noise, x0

    def p_mean_variance(self, x, t, self_cond=None):
        _, x0 = self.predictions(x, t, self_cond)
        x0 = x0.clamp(-1, 1)
        mean = self.ex(self.posterior_mean_coef1, t, x) * x0 + self.ex(self.posterior_mean_coef2, t, x) * x
        return mean, self.ex(self.posterior_log_variance_clipped, t, x), x0

    def p_losses(self, x_start, t, noise):
        x = self.ex(self.sqrt_alphas_cumprod, t, x_start) * x_start + self.ex(self.sqrt_one_minus_alphas_cumprod, t, x_start) * noise
        out = self.model(x, t)
        target = {"pred_noise": noise, "pred_x0": x_start,
                  "pred_v": self.ex(self.sqrt_alphas_cumprod, t, x_start) * noise - self.ex(self.sqrt_one_minus_alphas_cumprod, t, x_start) * x_start}[self.objective]
        loss = F.mse_loss(out, target, reduction="none").flatten(1).mean(1)
        return (loss * self.ex(self.loss_weight, t, loss)).mean()

    def ddim(self, img, steps):
        times = list(reversed(torch.linspace(-1, self.num_timesteps - 1, steps=steps + 1).int().tolist()))
        x0s, xs, x_start = [], [img], None
        for time, nxt in zip(times[:-1], times[1:]):
            tc = torch.full((img.shape[0],), time, dtype=torch.long)
            noise, x_start = self.predictions(img, tc, x_start if self.model.self_condition else None, True, True)
            x0s.append(x_start)
            if nxt < 0:
                img = x_start
            else:
                a, an = self.alphas_cumprod[time], self.alphas_cumprod[nxt]
                img = x_start * an.sqrt() + (1 - an).sqrt() * noise
            xs.append(img)
        un = lambda v: (v + 1) * 0.5
        return un(torch.stack(x0s)), un(torch.stack(xs, dim=1)), un(img)


def self_check(shared):
    """Reproduce the real package's outputs before trusting this file."""
    d = os.path.join(shared, "ddpm_lucidrains_tiny")
    ckpt = torch.load(os.path.join(d, "model-1.pt"), map_location="cpu")
    ref = torch.load(os.path.join(d, "reference.pt"), map_location="cpu")
    gd = GaussianDiffusion(Unet(16, dim_mults=(1, 2), channels=1), 16, timesteps=100, sampling_timesteps=10)
    gd.load_state_dict(ckpt["model"])
    with torch.no_grad():
        checks = {"unet_out": gd.model(ref["unet_x"], ref["unet_t"])}
        for t in (0, 1, 50, 99):
            m, lv, x0 = gd.p_mean_variance(ref["unet_x"], torch.full((4,), t, dtype=torch.long))
            checks.update({f"pmv_{t}_mean": m, f"pmv_{t}_logvar": lv, f"pmv_{t}_x0": x0})
        checks["loss_value"] = gd.p_losses(ref["loss_x_start"], ref["loss_t"], ref["loss_noise"]).reshape(1)
        x0s, xs, fin = gd.ddim(ref["ddim_x_T"], 10)
        checks.update({"ddim_x0_preds": x0s, "ddim_all_x": xs, "ddim_final": fin})
    for k, v in checks.items():
        err = (v - ref[k]).abs().max().item()
        assert err < 1e-5, f"self-check failed on {k}: {err}"
    print("self-check against the real package's outputs: ok")


VARIANTS = {
    "rgb_pred_noise_cosine": dict(
        unet=dict(dim=8, dim_mults=(1, 2, 2), channels=3, attn_heads=2, attn_dim_head=8, full_attn=(False, True, True)),
        diffusion=dict(image_size=16, timesteps=50, sampling_timesteps=5, objective="pred_noise", beta_schedule="cosine")),
    "gray_pred_x0_linear_learned_minsnr": dict(
        unet=dict(dim=12, init_dim=8, dim_mults=(1, 3), channels=1, attn_heads=(2, 3), attn_dim_head=(16, 8),
                  full_attn=(True, False), learned_sinusoidal_cond=True, learned_sinusoidal_dim=8),
        diffusion=dict(image_size=8, timesteps=40, sampling_timesteps=8, objective="pred_x0", beta_schedule="linear",
                       min_snr_loss_weight=True)),
    "rgb_self_condition_fourier_pred_v": dict(
        unet=dict(dim=8, dim_mults=(1, 2), channels=3, self_condition=True, random_fourier_features=True,
                  learned_sinusoidal_dim=6, attn_heads=1, attn_dim_head=16),
        diffusion=dict(image_size=8, timesteps=30, sampling_timesteps=6, objective="pred_v", beta_schedule="sigmoid")),
}


def make_variant(name, spec, seed):
    torch.manual_seed(seed)
    unet = Unet(**spec["unet"])
    with torch.no_grad():  # move parameters off their init values (RMSNorm gains start at 1)
        for p in unet.parameters():
            p.add_(0.05 * torch.randn_like(p))
    gd = GaussianDiffusion(unet, **spec["diffusion"])
    c, s, T = spec["unet"]["channels"], spec["diffusion"]["image_size"], spec["diffusion"]["timesteps"]
    x = torch.randn(3, c, s, s)
    t = torch.tensor([0, T // 2, T - 1])
    ref = OrderedDict(unet_x=x, unet_t=t)
    with torch.no_grad():
        ref["unet_out"] = unet(x, t)
        if unet.self_condition:
            ref["unet_self_cond"] = torch.randn_like(x).clamp(-1, 1)
            ref["unet_out_self_cond"] = unet(x, t, ref["unet_self_cond"])
        for tt in (0, T // 2, T - 1):
            m, lv, x0 = gd.p_mean_variance(x, torch.full((3,), tt, dtype=torch.long))
            ref.update({f"pmv_{tt}_mean": m, f"pmv_{tt}_logvar": lv, f"pmv_{tt}_x0": x0})
        if not unet.self_condition:  # upstream self-conditions half the time at random in p_losses
            ref["loss_x_start"] = torch.rand(3, c, s, s) * 2 - 1
            ref["loss_t"] = torch.tensor([1, T // 3, T - 2])
            ref["loss_noise"] = torch.randn(3, c, s, s)
            ref["loss_value"] = gd.p_losses(ref["loss_x_start"], ref["loss_t"], ref["loss_noise"]).reshape(1)
        ref["ddim_x_T"] = torch.randn(3, c, s, s)
        ref["ddim_x0_preds"], ref["ddim_all_x"], ref["ddim_final"] = gd.ddim(ref["ddim_x_T"], gd.sampling_timesteps)
    # A Trainer-like checkpoint so the C++ side also infers the architecture from shapes.
    sd = OrderedDict((k, v.clone()) for k, v in gd.state_dict().items())
    ckpt = {"step": 0, "model": sd, "ema": OrderedDict(("ema_model." + k, v) for k, v in sd.items()), "version": "2.1.1"}
    torch.save(ckpt, os.path.join(OUT, name + ".pt"))
    torch.save(ref, os.path.join(OUT, name + ".reference.pt"))
    print("wrote", name)


def main():
    shared = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "..", "..", "shared", "fixtures")
    torch.set_num_threads(1)
    self_check(shared)
    os.makedirs(OUT, exist_ok=True)
    for i, (name, spec) in enumerate(VARIANTS.items()):
        make_variant(name, spec, seed=100 + i)


if __name__ == "__main__":
    main()
