#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Opens a checkpoint of a class-conditional run of ours (`train --conditional`) with lucidrains'
own classifier_free_guidance.py (2.1.1), as its users would: torch.load(weights_only=True), its
Unet and GaussianDiffusion built from the run's recorded configuration (config -> cfg_unet,
diffusion), load_state_dict(strict=True) of the Trainer layout's `model` entry (and of the EMA's
`ema_model.` weights), then samples one image per class with its own sample(classes, cond_scale)
and writes them as a grid. Exits 1 when a load is not strict.

    /usr/bin/python3 tests/tools/check_cfg_checkpoint.py RUN/checkpoints/step-N.pt \\
        --lucidrains /tmp/refcode/ddpm211 --einops /tmp/refcode/einops081 [--out grid.png] [--cond-scale 6]
"""
import argparse
import os
import pickle
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_cfg_fixtures import import_cfg  # noqa: E402


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("checkpoint")
    p.add_argument("--lucidrains", default="/tmp/refcode/ddpm211")
    p.add_argument("--einops", default="/tmp/refcode/einops081")
    p.add_argument("--cond-scale", type=float, default=6.0)
    p.add_argument("--out")
    args = p.parse_args()
    cfg, _, _ = import_cfg(args.lucidrains, args.einops)
    try:
        ck = torch.load(args.checkpoint, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as e:
        # PyTorch 1.13's weights-only unpickler lacks BINFLOAT (the config's floats); 2.x has it.
        if int(torch.__version__.split(".")[0]) >= 2:
            raise
        print(f"PyTorch {torch.__version__}: weights_only=True cannot read floats ({e}); loading it plainly",
              file=sys.stderr)
        ck = torch.load(args.checkpoint, map_location="cpu")
    run = ck["config"]
    u, d = run["cfg_unet"], run["diffusion"]
    unet = cfg.Unet(dim=u["dim"], num_classes=u["num_classes"], cond_drop_prob=u["cond_drop_prob"],
                    dim_mults=tuple(u["dim_mults"]), channels=u["channels"], attn_dim_head=u["attn_dim_head"],
                    attn_heads=u["attn_heads"])
    gd = cfg.GaussianDiffusion(unet, image_size=d["image_size"], timesteps=d["timesteps"],
                               sampling_timesteps=d.get("sampling_timesteps") or d["timesteps"],
                               objective=d["objective"], beta_schedule=d["beta_schedule"])
    gd.load_state_dict(ck["model"], strict=True)
    ema = {k[len("ema_model."):]: v for k, v in ck["ema"].items() if k.startswith("ema_model.")}
    gd.load_state_dict(ema, strict=True)
    names = run.get("class_names", [])
    print(f"{args.checkpoint}: loads strictly into classifier_free_guidance.py's Unet and GaussianDiffusion "
          f"({u['num_classes']} classes: {', '.join(names)})")
    gd.eval()
    torch.manual_seed(0)
    classes = torch.arange(u["num_classes"])
    with torch.no_grad():
        images = gd.sample(classes=classes, cond_scale=args.cond_scale)
    print(f"sampled {tuple(images.shape)} with cond_scale {args.cond_scale}: min {images.min():.3f}, "
          f"max {images.max():.3f}")
    if args.out:
        import numpy as np
        import cv2
        grid = (images.clamp(0, 1) * 255 + 0.5).to(torch.uint8).permute(0, 2, 3, 1).numpy()
        row = np.concatenate(list(grid), axis=1)
        cv2.imwrite(args.out, row[..., ::-1] if row.shape[-1] == 3 else row[..., 0])


if __name__ == "__main__":
    main()
