// SPDX-License-Identifier: GPL-3.0-or-later
// Device selection: "auto" (CUDA when this LibTorch has it, else CPU), "cpu", "cuda", "cuda:N".
#pragma once
#include <torch/torch.h>

#include <string>

namespace ds {

// Throws ds::Error for unknown names and for CUDA on a build or machine without it.
torch::Device parseDevice(const std::string& spec);

}  // namespace ds
