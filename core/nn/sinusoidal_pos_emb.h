// SPDX-License-Identifier: GPL-3.0-or-later
// lucidrains' SinusoidalPosEmb: [sin(t f), cos(t f)] with f = theta^(-i / (half - 1)).
#pragma once
#include <torch/torch.h>

namespace ds::nn {

class SinusoidalPosEmbImpl : public torch::nn::Module {
public:
    SinusoidalPosEmbImpl(int64_t dim, double theta);
    torch::Tensor forward(const torch::Tensor& t);

private:
    int64_t dim_;
    double theta_;
};
TORCH_MODULE(SinusoidalPosEmb);

}  // namespace ds::nn
