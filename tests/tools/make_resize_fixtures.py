#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Resize references for tests/fixtures/resize: small PNG inputs and, in expected.npz, what our
training-data and FID resizes must make of them (python3-opencv's cv2 with the very calls and
flags the C++ uses) next to what the Python references they follow make of them.

    apt-get install -y python3-opencv
    /usr/bin/python3 tests/tools/make_resize_fixtures.py

Nothing here is upstream code. The references restated below:
  * training (lucidrains denoising-diffusion-pytorch 2.1.1 `Dataset`, g4vrel/CFM utils.py):
    PIL `Image.open(p).convert('L' | 'RGB')`, torchvision `Resize(S)` (shorter side to S, the
    longer one int(S * long / short) - truncated; PIL bilinear, which antialiases when shrinking),
    `CenterCrop(S)` (top/left = int(round((side - S) / 2.0)), Python's half-to-even round);
    torchvision is not installed here, so Resize/CenterCrop are restated for PIL images.
  * FID (pytorch-fid): PIL `.convert('RGB')`, ToTensor (uint8 / 255), then inside its
    InceptionV3 F.interpolate(x, size=(299, 299), mode='bilinear', align_corners=False) - run
    with torch here.
See tests/fixtures/resize/README.md for every array.
"""
import json
import math
import os
import shutil

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "fixtures", "resize")
INPUTS = os.path.join(OUT, "inputs")

# FID's 299 x 299 interpolation is stored on this grid of rows and columns only (the whole
# would be 1 MB per image): the borders, where the sampling clamps, and every 10th line.
FID299_INDEX = sorted(set([0, 1, 2, 3, 295, 296, 297, 298] + list(range(0, 299, 10))))


# ---------------------------------------------------------------------------------------------
# Inputs: gradients + noise, odd sizes.

def pattern(rng, w, h, channels):
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    out = []
    for c in range(channels):
        v = 127.5 + 100 * np.sin(x * (0.7 + 0.3 * c) + y * (0.45 - 0.1 * c) + c) * np.cos(y / (2.5 + c))
        v += 60 * (x / max(w - 1, 1) - 0.5) + 40 * (y / max(h - 1, 1) - 0.5)
        out.append(v + rng.normal(0, 10, size=(h, w)))
    return np.clip(np.stack(out, axis=-1), 0, 255).round().astype(np.uint8)


def alpha_pattern(w, h):
    """Fully transparent left band, opaque right band, a ramp between; some rows inverted."""
    y, x = np.mgrid[0:h, 0:w]
    a = np.clip((x - w * 0.25) / (w * 0.5), 0, 1) * 255
    a = np.where((y // 5) % 3 == 2, 255 - a, a)
    return a.round().astype(np.uint8)


def make_inputs(rng):
    imgs = {}
    imgs["gray_37x23"] = Image.fromarray(pattern(rng, 37, 23, 1)[:, :, 0], "L")
    imgs["rgb_50x31"] = Image.fromarray(pattern(rng, 50, 31, 3), "RGB")
    rgba = np.concatenate([pattern(rng, 29, 41, 3), alpha_pattern(29, 41)[:, :, None]], axis=-1)
    imgs["rgba_29x41"] = Image.fromarray(rgba, "RGBA")
    imgs["rgb_13x9"] = Image.fromarray(pattern(rng, 13, 9, 3), "RGB")
    la = np.concatenate([pattern(rng, 22, 35, 1), alpha_pattern(22, 35)[:, :, None]], axis=-1)
    imgs["la_22x35"] = Image.fromarray(la, "LA")
    pal = Image.fromarray(pattern(rng, 40, 26, 3), "RGB").quantize(colors=16, method=Image.Quantize.MEDIANCUT)
    imgs["palette_40x26"] = pal
    return imgs


# ---------------------------------------------------------------------------------------------
# Our C++, restated with the same OpenCV calls.

def cv_decode(path):
    """core/data/image_decode.cpp decodeImage: cv::imdecode(..., IMREAD_UNCHANGED)."""
    with open(path, "rb") as fp:
        return cv2.imdecode(np.frombuffer(fp.read(), np.uint8), cv2.IMREAD_UNCHANGED)


def composite_over_white(m):
    """image_conversion.cpp compositeOverWhite: (c * a + 255 * (255 - a) + 127) / 255, integer."""
    m = m.astype(np.int64)
    colour, a = m[:, :, :-1], m[:, :, -1:]
    out = (colour * a + 255 * (255 - a) + 127) // 255
    out = out.astype(np.uint8)
    return out[:, :, 0] if out.shape[2] == 1 else out


def cv_to_model_channels(m, channels):
    """image_conversion.cpp toModelChannels (8-bit input)."""
    if m.ndim == 3 and m.shape[2] in (2, 4):
        m = composite_over_white(m)
    if m.ndim == 2:
        return m if channels == 1 else cv2.cvtColor(m, cv2.COLOR_GRAY2RGB)
    return cv2.cvtColor(m, cv2.COLOR_BGR2GRAY if channels == 1 else cv2.COLOR_BGR2RGB)


def lround(v):
    return int(math.floor(v + 0.5))  # std::lround for the positive values here


def cv_resize_shorter_and_crop(img, size):
    """image_conversion.cpp resizeShorterSideAndCenterCrop."""
    h, w = img.shape[:2]
    shorter = min(w, h)
    scaled = img
    if shorter != size:
        scale = size / shorter
        side = lambda s: size if s == shorter else max(size, lround(s * scale))
        interp = cv2.INTER_AREA if shorter > size else cv2.INTER_CUBIC
        scaled = cv2.resize(img, (side(w), side(h)), interpolation=interp)
    sh, sw = scaled.shape[:2]
    left, top = (sw - size) // 2, (sh - size) // 2
    return np.ascontiguousarray(scaled[top:top + size, left:left + size]), dict(
        scaled=[sw, sh], left=left, top=top, interpolation="none" if scaled is img else
        ("INTER_AREA" if shorter > size else "INTER_CUBIC"))


def cv_fid_rgb(m):
    """fid_image_decoder.cpp toRgbDroppingAlpha (8-bit input)."""
    if m.ndim == 2:
        return cv2.cvtColor(m, cv2.COLOR_GRAY2RGB)
    if m.shape[2] == 2:
        return cv2.cvtColor(np.ascontiguousarray(m[:, :, 0]), cv2.COLOR_GRAY2RGB)
    if m.shape[2] == 3:
        return cv2.cvtColor(m, cv2.COLOR_BGR2RGB)
    return cv2.cvtColor(m, cv2.COLOR_BGRA2RGB)


def cv_fid_resize_square(rgb, size):
    """fid_image_decoder.cpp resizeSquare."""
    h, w = rgb.shape[:2]
    if w == size and h == size:
        return rgb, "none"
    shrinking = w > size or h > size
    interp = cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR
    return cv2.resize(rgb, (size, size), interpolation=interp), "INTER_AREA" if shrinking else "INTER_LINEAR"


# ---------------------------------------------------------------------------------------------
# The Python references.

def tv_resize_center_crop(pil, size):
    """torchvision Resize(size) (PIL bilinear) then CenterCrop(size), for a PIL image."""
    w, h = pil.size
    short, long = (w, h) if w <= h else (h, w)
    if short != size:
        new_short, new_long = size, int(size * long / short)
        new_w, new_h = (new_short, new_long) if w <= h else (new_long, new_short)
        pil = pil.resize((new_w, new_h), Image.BILINEAR)
    w2, h2 = pil.size
    top, left = int(round((h2 - size) / 2.0)), int(round((w2 - size) / 2.0))
    return np.asarray(pil.crop((left, top, left + size, top + size))), dict(scaled=[w2, h2], left=left, top=top)


def fid299(rgb):
    """pytorch-fid: ToTensor then F.interpolate(299, bilinear, align_corners=False)."""
    x = torch.from_numpy(np.array(rgb)).permute(2, 0, 1)[None].float().div(255)
    y = F.interpolate(x, size=(299, 299), mode="bilinear", align_corners=False)[0]
    idx = torch.tensor(FID299_INDEX)
    return y[:, idx][:, :, idx].numpy()  # (3, len(idx), len(idx)), CHW


# ---------------------------------------------------------------------------------------------

TRAIN_SIZES = {"gray_37x23": (16, 23, 32), "rgb_50x31": (16, 32), "rgba_29x41": (16, 48), "rgb_13x9": (16,),
               "la_22x35": (16, 32), "palette_40x26": (16, 24)}
FID_RESIZE = {"gray_37x23": (24,), "rgb_50x31": (24, 40), "rgba_29x41": (24,), "rgb_13x9": (24,),
              "la_22x35": (24,), "palette_40x26": (32,)}


def pil_mode_for(channels):
    return "L" if channels == 1 else "RGB"


def main():
    torch.set_num_threads(1)
    if os.path.exists(INPUTS):  # README.md stays
        shutil.rmtree(INPUTS)
    os.makedirs(INPUTS)
    rng = np.random.RandomState(299)
    arrays, manifest = {}, {"inputs": {}, "train": [], "fid": []}
    for name, pil in make_inputs(rng).items():
        path = os.path.join(INPUTS, name + ".png")
        pil.save(path)  # PIL's PNG encoder, no metadata
        decoded = cv_decode(path)
        pil_in = Image.open(path)
        manifest["inputs"][name] = dict(file="inputs/" + name + ".png", pil_mode=pil_in.mode, size=list(pil_in.size),
                                        opencv_unchanged_shape=list(decoded.shape))
        # Training: channels, then shorter side + centre crop.
        for channels in (1, 3):
            ours_c = cv_to_model_channels(decoded, channels)
            ref_c = np.asarray(pil_in.convert(pil_mode_for(channels)))
            arrays[f"chan_cv__{name}__c{channels}"] = ours_c
            arrays[f"chan_pil__{name}__c{channels}"] = ref_c
            d = np.abs(ours_c.astype(int) - ref_c.astype(int))
            manifest["inputs"][name][f"chan_c{channels}_vs_pil"] = dict(
                max_abs_diff=int(d.max()), pixels_differing=int((d.reshape(d.shape[0], d.shape[1], -1).max(-1) > 0).sum()))
            for size in TRAIN_SIZES[name]:
                ours, geo = cv_resize_shorter_and_crop(ours_c, size)
                ref, ref_geo = tv_resize_center_crop(pil_in.convert(pil_mode_for(channels)), size)
                k = f"{name}__s{size}__c{channels}"
                arrays["train_cv__" + k] = ours
                arrays["train_tv__" + k] = ref
                diff = np.abs(ours.astype(int) - ref.astype(int))
                manifest["train"].append(dict(key=k, size=size, channels=channels, ours=geo, reference=ref_geo,
                                              max_abs_diff=int(diff.max()), mean_abs_diff=round(float(diff.mean()), 3)))
        # FID: RGB, optional --resize S, the 299 interpolation.
        ours_rgb = cv_fid_rgb(decoded)
        ref_rgb = np.asarray(pil_in.convert("RGB"))
        arrays[f"fid_rgb_cv__{name}"] = ours_rgb
        arrays[f"fid_rgb_pil__{name}"] = ref_rgb
        arrays[f"fid299__{name}"] = fid299(ref_rgb)
        entry = dict(input=name, rgb_equal_to_pil=bool(np.array_equal(ours_rgb, ref_rgb)), resize=[])
        for size in FID_RESIZE[name]:
            r, how = cv_fid_resize_square(ours_rgb, size)
            arrays[f"fid_resize__{name}__r{size}"] = r
            arrays[f"fid299_resized__{name}__r{size}"] = fid299(r)
            entry["resize"].append(dict(size=size, interpolation=how))
        manifest["fid"].append(entry)
    arrays["fid299_index"] = np.array(FID299_INDEX, dtype=np.int64)
    np.savez_compressed(os.path.join(OUT, "expected.npz"), **arrays)
    manifest["arrays"] = {k: dict(dtype=str(v.dtype), shape=list(v.shape)) for k, v in sorted(arrays.items())}
    with open(os.path.join(OUT, "manifest.json"), "w") as fp:
        json.dump(manifest, fp, indent=1)
        fp.write("\n")
    for t in manifest["train"]:
        print(f"train {t['key']:28s} ours {t['ours']} ref {t['reference']} max|d| {t['max_abs_diff']} mean|d| {t['mean_abs_diff']}")
    for n, i in manifest["inputs"].items():
        print("channels", n, i["pil_mode"], i["opencv_unchanged_shape"], i["chan_c1_vs_pil"], i["chan_c3_vs_pil"])
    for f in manifest["fid"]:
        print("fid", f)


if __name__ == "__main__":
    main()
