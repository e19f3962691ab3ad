#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""torchcfm opens a class-conditional flow our trainer wrote with its UNetModel backbone: the
checkpoint's model_state_dict loads strictly into torchcfm's own
UNetModelWrapper(num_classes=K + 1, class_cond=True) (the last class the null class), and its
velocity at t = 0 equals the first step of a one-step Euler sample of ours (--save-tensors: the
trajectory's x0 and x1 = x0 + v(x0, 0, y)).

    diffusion-studio-cli train --preset cfm-tiny --backbone torchcfm --conditional --steps 6 --run-dir RUN
    diffusion-studio-cli sample --checkpoint RUN/checkpoints/step-6.pt --weights online \\
        --classes 7,2,9 --num 3 --solver euler --steps 1 --save-tensors steps.pt
    /usr/bin/python3 tests/tools/check_conditional_flow_checkpoint.py RUN/checkpoints/step-6.pt steps.pt \\
        --classes 7,2,9 [--torchcfm /tmp/torchcfm_src]

torchcfm's code: git --git-dir=/work/.mirror/atong01+conditional-flow-matching/repo archive HEAD
torchcfm | tar -x -C /tmp/torchcfm_src (the `ot` import it does not need here is stubbed).
Prints JSON; exits 1 when the velocities differ by more than 1e-5 of their magnitude.
"""
import argparse
import json
import sys
import types

import torch


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("checkpoint")
    ap.add_argument("tensors", help="sample --save-tensors of a one-step Euler sample")
    ap.add_argument("--classes", required=True)
    ap.add_argument("--torchcfm", default="/tmp/torchcfm_src")
    a = ap.parse_args()
    sys.modules["ot"] = types.ModuleType("ot")  # POT: only OTPlanSampler needs it
    sys.path.insert(0, a.torchcfm)
    from torchcfm.models.unet.unet import UNetModelWrapper

    ck = torch.load(a.checkpoint, map_location="cpu")
    options = ck["config"]["flow"]["torchcfm_unet"]
    size = ck["config"]["flow"]["image_size"]
    resolutions = ",".join(str(size // ds) for ds in options["attention_ds"])
    net = UNetModelWrapper(dim=(options["in_channels"], size, size), num_channels=options["model_channels"],
                           num_res_blocks=options["num_res_blocks"], channel_mult=tuple(options["channel_mult"]),
                           attention_resolutions=resolutions, num_heads=options["num_heads"],
                           num_head_channels=options["num_head_channels"], num_classes=options["num_classes"],
                           class_cond=True, dropout=0.0,
                           use_scale_shift_norm=options["use_scale_shift_norm"],
                           resblock_updown=options["resblock_updown"],
                           use_new_attention_order=options["use_new_attention_order"])
    net.load_state_dict(ck["model_state_dict"], strict=True)
    net.eval()
    trajectory = torch.load(a.tensors)["trajectory"]
    x0, x1 = trajectory[0], trajectory[1]
    y = torch.tensor([int(k) for k in a.classes.split(",")])
    y = y.repeat((x0.shape[0] + len(y) - 1) // len(y))[: x0.shape[0]]
    with torch.no_grad():
        v = net(torch.zeros(x0.shape[0]), x0, y=y)
    diff = (x1 - x0 - v).abs().max().item()
    scale = v.abs().max().item()
    print(json.dumps({"classes": len(ck["config"]["class_names"]), "label_emb_rows": options["num_classes"],
                      "max_abs_diff": diff, "max_abs_velocity": scale}))
    return 0 if diff <= 1e-5 * max(scale, 1.0) else 1


if __name__ == "__main__":
    sys.exit(main())
