#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""pytorch-fid 0.3.0's pipeline restated (its inception.py, fid_score.py), for timing it side by side
with `diffusion-studio-cli bench fid` on the same machine and LibTorch. pytorch-fid and torchvision
are not installable here, so torchvision's Inception3 blocks are restated too (same layers, same
order, BatchNorm unfused, as pytorch-fid runs them). Weights: the fid_formula ones
(make_formula_weights.py) or the real file; the time does not depend on the values.

    /usr/bin/python3 tests/tools/bench_pytorch_fid_reference.py WEIGHTS.pth DIR1 DIR2 [--dims 2048] [--threads 2]

Prints JSON like `bench fid`: total seconds for the two folders, images/s, Frechet seconds.
"""
import argparse
import json
import os
import pathlib
import time

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from scipy import linalg
from torch import nn


class BasicConv2d(nn.Module):
    def __init__(self, i, o, **kw):
        super().__init__()
        self.conv = nn.Conv2d(i, o, bias=False, **kw)
        self.bn = nn.BatchNorm2d(o, eps=0.001)

    def forward(self, x):
        return F.relu(self.bn(self.conv(x)), inplace=True)


class FIDInceptionA(nn.Module):
    def __init__(self, i, pool):
        super().__init__()
        self.branch1x1 = BasicConv2d(i, 64, kernel_size=1)
        self.branch5x5_1 = BasicConv2d(i, 48, kernel_size=1)
        self.branch5x5_2 = BasicConv2d(48, 64, kernel_size=5, padding=2)
        self.branch3x3dbl_1 = BasicConv2d(i, 64, kernel_size=1)
        self.branch3x3dbl_2 = BasicConv2d(64, 96, kernel_size=3, padding=1)
        self.branch3x3dbl_3 = BasicConv2d(96, 96, kernel_size=3, padding=1)
        self.branch_pool = BasicConv2d(i, pool, kernel_size=1)

    def forward(self, x):
        b1 = self.branch1x1(x)
        b5 = self.branch5x5_2(self.branch5x5_1(x))
        b3 = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        bp = self.branch_pool(F.avg_pool2d(x, kernel_size=3, stride=1, padding=1, count_include_pad=False))
        return torch.cat([b1, b5, b3, bp], 1)


class InceptionB(nn.Module):
    def __init__(self, i):
        super().__init__()
        self.branch3x3 = BasicConv2d(i, 384, kernel_size=3, stride=2)
        self.branch3x3dbl_1 = BasicConv2d(i, 64, kernel_size=1)
        self.branch3x3dbl_2 = BasicConv2d(64, 96, kernel_size=3, padding=1)
        self.branch3x3dbl_3 = BasicConv2d(96, 96, kernel_size=3, stride=2)

    def forward(self, x):
        b3 = self.branch3x3(x)
        bd = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        return torch.cat([b3, bd, F.max_pool2d(x, kernel_size=3, stride=2)], 1)


class FIDInceptionC(nn.Module):
    def __init__(self, i, c7):
        super().__init__()
        self.branch1x1 = BasicConv2d(i, 192, kernel_size=1)
        self.branch7x7_1 = BasicConv2d(i, c7, kernel_size=1)
        self.branch7x7_2 = BasicConv2d(c7, c7, kernel_size=(1, 7), padding=(0, 3))
        self.branch7x7_3 = BasicConv2d(c7, 192, kernel_size=(7, 1), padding=(3, 0))
        self.branch7x7dbl_1 = BasicConv2d(i, c7, kernel_size=1)
        self.branch7x7dbl_2 = BasicConv2d(c7, c7, kernel_size=(7, 1), padding=(3, 0))
        self.branch7x7dbl_3 = BasicConv2d(c7, c7, kernel_size=(1, 7), padding=(0, 3))
        self.branch7x7dbl_4 = BasicConv2d(c7, c7, kernel_size=(7, 1), padding=(3, 0))
        self.branch7x7dbl_5 = BasicConv2d(c7, 192, kernel_size=(1, 7), padding=(0, 3))
        self.branch_pool = BasicConv2d(i, 192, kernel_size=1)

    def forward(self, x):
        b1 = self.branch1x1(x)
        b7 = self.branch7x7_3(self.branch7x7_2(self.branch7x7_1(x)))
        bd = self.branch7x7dbl_1(x)
        for m in (self.branch7x7dbl_2, self.branch7x7dbl_3, self.branch7x7dbl_4, self.branch7x7dbl_5):
            bd = m(bd)
        bp = self.branch_pool(F.avg_pool2d(x, kernel_size=3, stride=1, padding=1, count_include_pad=False))
        return torch.cat([b1, b7, bd, bp], 1)


class InceptionD(nn.Module):
    def __init__(self, i):
        super().__init__()
        self.branch3x3_1 = BasicConv2d(i, 192, kernel_size=1)
        self.branch3x3_2 = BasicConv2d(192, 320, kernel_size=3, stride=2)
        self.branch7x7x3_1 = BasicConv2d(i, 192, kernel_size=1)
        self.branch7x7x3_2 = BasicConv2d(192, 192, kernel_size=(1, 7), padding=(0, 3))
        self.branch7x7x3_3 = BasicConv2d(192, 192, kernel_size=(7, 1), padding=(3, 0))
        self.branch7x7x3_4 = BasicConv2d(192, 192, kernel_size=3, stride=2)

    def forward(self, x):
        b3 = self.branch3x3_2(self.branch3x3_1(x))
        b7 = self.branch7x7x3_4(self.branch7x7x3_3(self.branch7x7x3_2(self.branch7x7x3_1(x))))
        return torch.cat([b3, b7, F.max_pool2d(x, kernel_size=3, stride=2)], 1)


class FIDInceptionE(nn.Module):
    def __init__(self, i, max_pool):
        super().__init__()
        self.max_pool = max_pool
        self.branch1x1 = BasicConv2d(i, 320, kernel_size=1)
        self.branch3x3_1 = BasicConv2d(i, 384, kernel_size=1)
        self.branch3x3_2a = BasicConv2d(384, 384, kernel_size=(1, 3), padding=(0, 1))
        self.branch3x3_2b = BasicConv2d(384, 384, kernel_size=(3, 1), padding=(1, 0))
        self.branch3x3dbl_1 = BasicConv2d(i, 448, kernel_size=1)
        self.branch3x3dbl_2 = BasicConv2d(448, 384, kernel_size=3, padding=1)
        self.branch3x3dbl_3a = BasicConv2d(384, 384, kernel_size=(1, 3), padding=(0, 1))
        self.branch3x3dbl_3b = BasicConv2d(384, 384, kernel_size=(3, 1), padding=(1, 0))
        self.branch_pool = BasicConv2d(i, 192, kernel_size=1)

    def forward(self, x):
        b1 = self.branch1x1(x)
        b3 = self.branch3x3_1(x)
        b3 = torch.cat([self.branch3x3_2a(b3), self.branch3x3_2b(b3)], 1)
        bd = self.branch3x3dbl_2(self.branch3x3dbl_1(x))
        bd = torch.cat([self.branch3x3dbl_3a(bd), self.branch3x3dbl_3b(bd)], 1)
        if self.max_pool:
            bp = F.max_pool2d(x, kernel_size=3, stride=1, padding=1)
        else:
            bp = F.avg_pool2d(x, kernel_size=3, stride=1, padding=1, count_include_pad=False)
        return torch.cat([b1, b3, bd, self.branch_pool(bp)], 1)


class FidInception(nn.Module):
    def __init__(self):
        super().__init__()
        self.Conv2d_1a_3x3 = BasicConv2d(3, 32, kernel_size=3, stride=2)
        self.Conv2d_2a_3x3 = BasicConv2d(32, 32, kernel_size=3)
        self.Conv2d_2b_3x3 = BasicConv2d(32, 64, kernel_size=3, padding=1)
        self.Conv2d_3b_1x1 = BasicConv2d(64, 80, kernel_size=1)
        self.Conv2d_4a_3x3 = BasicConv2d(80, 192, kernel_size=3)
        self.Mixed_5b, self.Mixed_5c, self.Mixed_5d = FIDInceptionA(192, 32), FIDInceptionA(256, 64), FIDInceptionA(288, 64)
        self.Mixed_6a = InceptionB(288)
        self.Mixed_6b, self.Mixed_6c = FIDInceptionC(768, 128), FIDInceptionC(768, 160)
        self.Mixed_6d, self.Mixed_6e = FIDInceptionC(768, 160), FIDInceptionC(768, 192)
        self.Mixed_7a = InceptionD(768)
        self.Mixed_7b, self.Mixed_7c = FIDInceptionE(1280, False), FIDInceptionE(2048, True)
        self.fc = nn.Linear(2048, 1008)

    def forward(self, x, dims):  # pytorch-fid's InceptionV3 wrapper: resize, normalise, blocks
        x = F.interpolate(x, size=(299, 299), mode="bilinear", align_corners=False)
        x = 2 * x - 1
        x = F.max_pool2d(self.Conv2d_2b_3x3(self.Conv2d_2a_3x3(self.Conv2d_1a_3x3(x))), kernel_size=3, stride=2)
        if dims > 64:
            x = F.max_pool2d(self.Conv2d_4a_3x3(self.Conv2d_3b_1x1(x)), kernel_size=3, stride=2)
        if dims > 192:
            for m in (self.Mixed_5b, self.Mixed_5c, self.Mixed_5d, self.Mixed_6a, self.Mixed_6b, self.Mixed_6c,
                      self.Mixed_6d, self.Mixed_6e):
                x = m(x)
        if dims > 768:
            x = self.Mixed_7c(self.Mixed_7b(self.Mixed_7a(x)))
        return F.adaptive_avg_pool2d(x, output_size=(1, 1))


class ImagePathDataset(torch.utils.data.Dataset):  # pytorch-fid's
    def __init__(self, files):
        self.files = files

    def __len__(self):
        return len(self.files)

    def __getitem__(self, i):
        img = Image.open(self.files[i]).convert("RGB")
        return torch.from_numpy(np.asarray(img, dtype=np.uint8).copy()).permute(2, 0, 1).float().div(255)  # ToTensor


IMAGE_EXTENSIONS = {"bmp", "jpg", "jpeg", "pgm", "png", "ppm", "tif", "tiff", "webp"}


def statistics(path, model, batch_size, dims, num_workers):  # fid_score.compute_statistics_of_path
    files = sorted([f for ext in IMAGE_EXTENSIONS for f in pathlib.Path(path).glob("*.{}".format(ext))])
    loader = torch.utils.data.DataLoader(ImagePathDataset(files), batch_size=batch_size, shuffle=False,
                                         drop_last=False, num_workers=num_workers)
    pred_arr = np.empty((len(files), dims))
    start = 0
    for batch in loader:
        with torch.no_grad():
            pred = model(batch, dims)
        pred = pred.squeeze(3).squeeze(2).cpu().numpy()
        pred_arr[start:start + pred.shape[0]] = pred
        start += pred.shape[0]
    return np.mean(pred_arr, axis=0), np.cov(pred_arr, rowvar=False), len(files)


def frechet(mu1, sigma1, mu2, sigma2):  # fid_score.calculate_frechet_distance (no retry needed here)
    diff = mu1 - mu2
    covmean, _ = linalg.sqrtm(sigma1.dot(sigma2), disp=False)
    return diff.dot(diff) + np.trace(sigma1) + np.trace(sigma2) - 2 * np.trace(covmean.real)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("weights")
    p.add_argument("dir1")
    p.add_argument("dir2")
    p.add_argument("--dims", type=int, default=2048)
    p.add_argument("--batch-size", type=int, default=50)
    p.add_argument("--threads", type=int, default=os.cpu_count())
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    num_workers = min(len(os.sched_getaffinity(0)), 8)  # pytorch-fid's default

    model = FidInception()
    model.load_state_dict(torch.load(args.weights, map_location="cpu"))
    model.eval()
    start = time.time()
    m1, s1, n1 = statistics(args.dir1, model, args.batch_size, args.dims, num_workers)
    m2, s2, n2 = statistics(args.dir2, model, args.batch_size, args.dims, num_workers)
    extraction = time.time() - start
    t = time.time()
    fid = frechet(m1, s1, m2, s2)
    frechet_seconds = time.time() - t
    total = time.time() - start
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(4096, 2048)), rng.normal(size=(4096, 2048)) * 1.1 + 0.1
    t = time.time()
    frechet(np.mean(a, 0), np.cov(a, rowvar=False), np.mean(b, 0), np.cov(b, rowvar=False))
    full_rank = time.time() - t
    print(json.dumps({"bench": "pytorch-fid (restated)", "threads": args.threads, "dims": args.dims, "images": n1 + n2,
                      "fid": fid, "extraction_images_per_second": (n1 + n2) / extraction, "total_seconds": total,
                      "end_to_end_images_per_second": (n1 + n2) / total, "frechet_seconds": frechet_seconds,
                      "frechet_2048_full_rank_seconds": full_rank}, indent=2))


if __name__ == "__main__":
    main()
