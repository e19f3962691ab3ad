#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Python side of `diffusion-studio-cli bench quality`: time to quality with lucidrains'
code. The tiny preset's recipe trained from scratch on Fashion-MNIST with lucidrains'
denoising_diffusion_pytorch 2.1.1 (its Unet and GaussianDiffusion, imported from the package's
own file) and ema_pytorch's EMA, in a loop that does what its Trainer does (Adam, gradient
clipping, EMA update each step), for MINUTES of training; every K minutes of training (and at
the end) the EMA model samples SAMPLES images with lucidrains' own DDIM (sampling_timesteps),
always from the same noise, and their Fréchet distance to Fashion-MNIST's 10,000 test images is
computed by pytorch-fid's formula in the features of the Fashion-MNIST classifier that
`diffusion-studio-cli train-classifier` wrote (its architecture restated in
check_feature_classifier.py, its weights read from that file). The measurements are not counted
as training time, as in the C++ bench. Prints the same JSON as `bench quality`.

    /usr/bin/python3 tests/tools/bench_python_quality.py --minutes 20 --fid-every-minutes 2 \\
        --lucidrains /tmp/refcode/ddpm211 --einops /tmp/refcode/einops081 --ema-pytorch EMA_REPO

The recipe (the tiny preset with a constant learning rate after the warm-up, as `bench quality`
uses it): Unet(dim=16, dim_mults=(1, 2, 4), channels=1, attn_heads=2, attn_dim_head=16),
GaussianDiffusion(image_size=32, timesteps=1000, objective pred_v, sigmoid schedule), batch 32 of
the 60,000 training images (28x28 padded to 32x32) in a new random order each epoch, Adam
(lr 1e-3, betas 0.9/0.99) with a linear warm-up over 100 steps, gradient norm clipped at 1,
EMA(beta=0.995, update_every=1, update_after_step=50). --check-checkpoint FILE loads a checkpoint
of our tiny preset into this Unet with strict=True first (the architectures are the same).

Sources: lucidrains/denoising-diffusion-pytorch 2.1.1 (denoising_diffusion_pytorch/*.py;
torchvision, accelerate and packaging are stubbed, tqdm passes through (make_fast_sampler_fixtures.import_lucidrains)),
arogozhnikov/einops 0.8.1, lucidrains/ema-pytorch (ema_pytorch/ema_pytorch.py, imported on its
own). `fetch` gives the repositories; see tests/tools/make_cfg_fixtures.py for the same imports.
"""
import argparse
import importlib.util
import json
import os
import pathlib
import sys
import time
import types

import cv2
import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_feature_classifier import FeatureClassifier, builtin_frame, read_idx  # noqa: E402
from make_fast_sampler_fixtures import import_lucidrains  # noqa: E402  (stubs: see there)
from make_fid_math_reference import calculate_frechet_distance  # noqa: E402  pytorch-fid's formula


def import_ema(repo):
    spec = importlib.util.spec_from_file_location("ema_pytorch_file", os.path.join(repo, "ema_pytorch", "ema_pytorch.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.EMA


def load_classifier(path):
    ckpt = torch.load(path, map_location="cpu", weights_only=True)
    a = ckpt["architecture"]
    net = FeatureClassifier(a["widths"], a["feature_dim"], a["classes"], a["dropout"], a["input_channels"],
                            a["input_size"], a["input_mean"], a["input_std"])
    net.load_state_dict(ckpt["state_dict"], strict=True)
    return net.eval(), a["input_size"], a["feature_dim"]


def features(net, size, images_u8):
    """(N, 32, 32) uint8 -> (N, D) float64, as the FID engine feeds the classifier: area to 28x28, / 255."""
    rows = []
    with torch.no_grad():
        for begin in range(0, len(images_u8), 500):
            batch = images_u8[begin:begin + 500]
            if batch.shape[1] != size:
                batch = np.stack([cv2.resize(im, (size, size), interpolation=cv2.INTER_AREA) for im in batch])
            x = torch.from_numpy(batch.astype(np.float32) / 255.0).unsqueeze(1)
            rows.append(net.features(x).double().numpy())
    return np.concatenate(rows)


def statistics(f):
    return f.mean(axis=0), np.cov(f, rowvar=False)


def main():
    cache = pathlib.Path(os.environ.get("XDG_CACHE_HOME") or pathlib.Path.home() / ".cache")
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--minutes", type=float, default=20.0)
    p.add_argument("--fid-every-minutes", type=float, default=2.0)
    p.add_argument("--fid-samples", type=int, default=1000)
    p.add_argument("--steps", type=int, default=20, help="DDIM steps (lucidrains' sampling_timesteps)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--classifier", default=str(cache / "diffusion-studio/features/fashion-mnist-classifier.pt"))
    p.add_argument("--data-dir", default=os.environ.get("DS_FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist"))
    p.add_argument("--lucidrains", default="/tmp/refcode/ddpm211")
    p.add_argument("--einops", default="/tmp/refcode/einops081")
    p.add_argument("--ema-pytorch", required=True, help="a checkout of lucidrains/ema-pytorch")
    p.add_argument("--check-checkpoint", help="a tiny-preset checkpoint of ours to load into the Unet first")
    args = p.parse_args()
    torch.set_num_threads(args.threads)

    EMA = import_ema(args.ema_pytorch)
    sys.modules["ema_pytorch"] = types.SimpleNamespace(EMA=EMA)
    ddp = import_lucidrains(args.lucidrains, args.einops)

    torch.manual_seed(args.seed)
    unet = ddp.Unet(dim=16, dim_mults=(1, 2, 4), channels=1, attn_heads=2, attn_dim_head=16, flash_attn=False)
    if args.check_checkpoint:
        ck = torch.load(args.check_checkpoint, map_location="cpu")
        state = {k[len("model."):]: v for k, v in ck["model"].items() if k.startswith("model.")}
        unet.load_state_dict(state, strict=True)
        print(f"{args.check_checkpoint}: loads into the Unet (strict)", file=sys.stderr)
        torch.manual_seed(args.seed)
        unet = ddp.Unet(dim=16, dim_mults=(1, 2, 4), channels=1, attn_heads=2, attn_dim_head=16, flash_attn=False)
    diffusion = ddp.GaussianDiffusion(unet, image_size=32, timesteps=1000, sampling_timesteps=args.steps)
    opt = torch.optim.Adam(diffusion.parameters(), lr=1e-3, betas=(0.9, 0.99))
    warmup = torch.optim.lr_scheduler.LambdaLR(opt, lambda step: min(1.0, (step + 1) / 100))
    ema = EMA(diffusion, beta=0.995, update_every=1, update_after_step=50)

    net, size, dims = load_classifier(args.classifier)
    test = builtin_frame(read_idx(os.path.join(args.data_dir, "t10k-images-idx3-ubyte.gz")), 32)
    reference = statistics(features(net, size, test))
    train = torch.from_numpy(builtin_frame(read_idx(os.path.join(args.data_dir, "train-images-idx3-ubyte.gz")), 32))
    train = train.float().div(255.0).unsqueeze(1)  # [0, 1]: GaussianDiffusion normalises to [-1, 1]

    def measure():
        model = ema.ema_model
        model.eval()
        state = torch.get_rng_state()
        torch.manual_seed(args.seed ^ 0x5EED)  # the same noise at every measurement
        images = []
        with torch.no_grad():
            for begin in range(0, args.fid_samples, 100):
                images.append(model.sample(batch_size=min(100, args.fid_samples - begin)))
        torch.set_rng_state(state)
        u8 = torch.cat(images).mul(255.0).add(0.5).clamp(0, 255).to(torch.uint8)[:, 0].numpy()
        return float(calculate_frechet_distance(*statistics(features(net, size, u8)), *reference))

    batch, step, points = 32, 0, []
    every, limit = args.fid_every_minutes * 60.0, args.minutes * 60.0
    order, position = torch.randperm(len(train)), 0
    start = time.perf_counter()
    evaluation, next_fd = 0.0, every
    while True:
        if position + batch > len(order):
            order, position = torch.randperm(len(train)), 0
        x = train[order[position:position + batch]]
        position += batch
        loss = diffusion(x)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(diffusion.parameters(), 1.0)
        opt.step()
        opt.zero_grad()
        warmup.step()
        ema.update()
        step += 1
        clock = time.perf_counter() - start - evaluation
        out_of_time = clock >= limit
        if clock >= next_fd or out_of_time:
            t0 = time.perf_counter()
            fd = measure()
            seconds = time.perf_counter() - t0
            evaluation += seconds
            points.append({"minutes": clock / 60.0, "train_seconds": clock, "wall_seconds": time.perf_counter() - start,
                           "step": step, "fd": fd, "fd_seconds": seconds})
            print(f"step {step}, {clock / 60.0:.2f} min: FD {fd:.3f} ({seconds:.1f} s)", file=sys.stderr, flush=True)
            while next_fd <= clock:
                next_fd += every
        if out_of_time:
            break
    print(json.dumps({"benchmark": "quality", "implementation": "lucidrains denoising-diffusion-pytorch 2.1.1",
                      "preset": "tiny", "minutes": args.minutes, "fid_every_minutes": args.fid_every_minutes,
                      "samples": args.fid_samples, "sampler": "ddim", "steps": args.steps,
                      "reference": "fashion-mnist-test", "features": "fashion-mnist",
                      "label": f"FD (fashion-mnist classifier, {dims}-d)", "batch_size": batch, "lr": 1e-3,
                      "seed": args.seed, "threads": args.threads, "final_step": step, "points": points}, indent=2))


if __name__ == "__main__":
    main()
