// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/nn/sinusoidal_pos_emb.h"

#include <cmath>

namespace ds::nn {

SinusoidalPosEmbImpl::SinusoidalPosEmbImpl(int64_t dim, double theta) : dim_(dim), theta_(theta) {}

torch::Tensor SinusoidalPosEmbImpl::forward(const torch::Tensor& t) {
    const int64_t half = dim_ / 2;
    // Upstream computes the exponent factor in Python double, then the rest in float32.
    const double step = std::log(theta_) / static_cast<double>(half - 1);
    auto freqs = torch::exp(torch::arange(half, t.options().dtype(torch::kFloat)) * -step);
    auto args = t.to(torch::kFloat).unsqueeze(1) * freqs.unsqueeze(0);
    return torch::cat({args.sin(), args.cos()}, -1);
}

}  // namespace ds::nn
