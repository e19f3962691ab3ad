// SPDX-License-Identifier: GPL-3.0-or-later
// Test support: a reference file (a PyTorch dict of tensors) as a name -> tensor map, and
// tensor comparisons with readable failure messages.
#pragma once
#include "core/io/torch_file.h"

#include <torch/torch.h>

#include <map>
#include <string>

namespace ds::test {

std::map<std::string, torch::Tensor> loadReferenceTensors(const std::string& path);

// Max |a - b|; shapes must match (else +inf).
double maxAbsDiff(const torch::Tensor& a, const torch::Tensor& b);

// Max |a|: the magnitude a relative tolerance is taken of.
double maxAbs(const torch::Tensor& a);

std::string fixturePath(const std::string& relative);

}  // namespace ds::test
