// SPDX-License-Identifier: GPL-3.0-or-later
// lucidrains' RMSNorm over the channel axis: F.normalize(x, dim=1) * g * sqrt(dim).
#pragma once
#include <torch/torch.h>

namespace ds::nn {

class RMSNormImpl : public torch::nn::Module {
public:
    explicit RMSNormImpl(int64_t dim);
    torch::Tensor forward(const torch::Tensor& x);

    torch::Tensor g;  // (1, dim, 1, 1), the upstream name

private:
    double scale_;
};
TORCH_MODULE(RMSNorm);

}  // namespace ds::nn
