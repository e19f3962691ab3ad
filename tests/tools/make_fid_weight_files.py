#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Small PyTorch files for the Inception weight loader test (tests/test_fid_math.cpp).

Run with Debian's python3-torch: /usr/bin/python3 tests/tools/make_fid_weight_files.py
The same state_dict (the first BasicConv2d of pytorch-fid's Inception, seeded values) is saved in
PyTorch's legacy format (what pt_inception-2015-12-05-6726825d.pth uses) and in the zip format.
"""
import os

import torch


class BasicConv2d(torch.nn.Module):  # torchvision's, as in Inception3
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 32, kernel_size=3, stride=2, bias=False)
        self.bn = torch.nn.BatchNorm2d(32, eps=0.001)


class FirstLayer(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.Conv2d_1a_3x3 = BasicConv2d()


torch.manual_seed(0)
model = FirstLayer()
with torch.no_grad():
    for name, tensor in model.state_dict().items():
        if tensor.is_floating_point():
            tensor.copy_(torch.randn(tensor.shape) * 0.1 + (1.0 if name.endswith("running_var") else 0.0))
        else:
            tensor.fill_(7)
state = model.state_dict()
here = os.path.join(os.path.dirname(__file__), "..", "fixtures", "fid_math")
torch.save(state, os.path.join(here, "first_layer_legacy.pth"), _use_new_zipfile_serialization=False)
torch.save(state, os.path.join(here, "first_layer_zip.pth"))
print({k: tuple(v.shape) for k, v in state.items()}, float(state["Conv2d_1a_3x3.conv.weight"].sum()))
