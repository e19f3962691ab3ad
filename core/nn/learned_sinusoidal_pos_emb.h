// SPDX-License-Identifier: GPL-3.0-or-later
// lucidrains' RandomOrLearnedSinusoidalPosEmb: [t, sin(2 pi t w), cos(2 pi t w)] with
// weights w of size dim/2, learned or frozen random (random Fourier features).
// Name: weights.
#pragma once
#include <torch/torch.h>

namespace ds::nn {

class LearnedSinusoidalPosEmbImpl : public torch::nn::Module {
public:
    LearnedSinusoidalPosEmbImpl(int64_t dim, bool isRandom);
    torch::Tensor forward(const torch::Tensor& t);

private:
    torch::Tensor weights_;
};
TORCH_MODULE(LearnedSinusoidalPosEmb);

}  // namespace ds::nn
