#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Opens a classifier file of `diffusion-studio-cli train-classifier` in PyTorch, as
docs/feature-networks.md describes it: torch.load(weights_only=True), the architecture restated
here, load_state_dict(strict=True). Then measures its accuracy on Fashion-MNIST's test images,
converted as the built-in set `fashion-mnist-test` reaches the network (28x28 padded with 2 black
pixels to 32x32, then INTER_AREA back to 28x28, pixel / 255), and compares it with the accuracy
the file records.

    /usr/bin/python3 tests/tools/check_feature_classifier.py [FILE] [--data-dir DIR] [--threads 2]

FILE defaults to ~/.cache/diffusion-studio/features/fashion-mnist-classifier.pt. Prints JSON;
exits 1 when the two accuracies differ by more than one image in a thousand.
"""
import argparse
import gzip
import json
import os
import pathlib

import cv2
import numpy as np
import torch
from torch import nn


class FeatureClassifier(nn.Module):
    def __init__(self, widths=(32, 64, 128), feature_dim=128, classes=10, dropout=0.3,
                 in_channels=1, size=28, mean=0.5, std=0.5):
        super().__init__()
        layers, c = [], in_channels
        for w in widths:
            layers += [nn.Conv2d(c, w, 3, padding=1, bias=False), nn.MaxPool2d(2),
                       nn.BatchNorm2d(w), nn.ReLU()]
            c, size = w, size // 2
        self.blocks = nn.Sequential(*layers)
        self.embed = nn.Sequential(nn.Flatten(), nn.Linear(c * size * size, feature_dim), nn.ReLU())
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(feature_dim, classes))
        self.mean, self.std = mean, std

    def features(self, x):
        return self.embed(self.blocks((x - self.mean) / self.std))

    def forward(self, x):
        return self.head(self.features(x))


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, np.uint8, offset=4 + 4 * dims).reshape(shape)


def builtin_frame(images, size):
    """28x28 -> padded 32x32 -> size x size, as fashion-mnist-test enters the network."""
    out = np.empty((len(images), size, size), np.uint8)
    for i, image in enumerate(images):
        padded = cv2.copyMakeBorder(image, 2, 2, 2, 2, cv2.BORDER_CONSTANT, value=0)
        out[i] = padded if size == 32 else cv2.resize(
            padded, (size, size), interpolation=cv2.INTER_AREA if size < 32 else cv2.INTER_LINEAR)
    return out


def main():
    cache = pathlib.Path(os.environ.get("XDG_CACHE_HOME") or pathlib.Path.home() / ".cache")
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("file", nargs="?", default=str(cache / "diffusion-studio/features/fashion-mnist-classifier.pt"))
    parser.add_argument("--data-dir", default=os.environ.get("DS_FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist"))
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    ckpt = torch.load(args.file, map_location="cpu", weights_only=True)
    assert ckpt["format"] == "diffusion-studio feature classifier", ckpt.get("format")
    a = ckpt["architecture"]
    net = FeatureClassifier(a["widths"], a["feature_dim"], a["classes"], a["dropout"],
                            a["input_channels"], a["input_size"], a["input_mean"], a["input_std"])
    net.load_state_dict(ckpt["state_dict"], strict=True)
    net.eval()

    images = read_idx(os.path.join(args.data_dir, "t10k-images-idx3-ubyte.gz"))
    labels = torch.from_numpy(read_idx(os.path.join(args.data_dir, "t10k-labels-idx1-ubyte.gz")).astype(np.int64))
    count = int(ckpt["test_images"])  # the first N test images, as train-classifier measured
    x = torch.from_numpy(builtin_frame(images[:count], a["input_size"])).unsqueeze(1).float() / 255
    with torch.no_grad():
        predicted = torch.cat([net(x[i:i + 500]).argmax(1) for i in range(0, count, 500)])
        features = net.features(x[:500])
    measured = (predicted == labels[:count]).double().mean().item()
    stored = float(ckpt["test_accuracy"])
    print(json.dumps({"file": args.file, "test_images": count, "stored_accuracy": stored,
                      "pytorch_accuracy": measured, "feature_dim": int(features.shape[1]),
                      "parameters": sum(p.numel() for p in net.parameters())}, indent=1))
    return 0 if abs(measured - stored) <= 1e-3 else 1


if __name__ == "__main__":
    raise SystemExit(main())
