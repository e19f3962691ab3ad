// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/nn/learned_sinusoidal_pos_emb.h"

#include "core/util/error.h"

#include <cmath>

namespace ds::nn {

LearnedSinusoidalPosEmbImpl::LearnedSinusoidalPosEmbImpl(int64_t dim, bool isRandom) {
    if (dim % 2 != 0) throw Error("learned sinusoidal dim must be even, got " + std::to_string(dim));
    weights_ = register_parameter("weights", torch::randn({dim / 2}), /*requires_grad=*/!isRandom);
}

torch::Tensor LearnedSinusoidalPosEmbImpl::forward(const torch::Tensor& t) {
    auto x = t.to(torch::kFloat).unsqueeze(1);
    auto freqs = x * weights_.unsqueeze(0) * (2.0 * M_PI);
    return torch::cat({x, freqs.sin(), freqs.cos()}, -1);
}

}  // namespace ds::nn
