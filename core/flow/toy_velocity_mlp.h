// SPDX-License-Identifier: GPL-3.0-or-later
// torchcfm's MLP(dim=2, w, time_varying=True): the velocity v(x, t) from [x, t] through three
// SELU hidden layers. Names: net.0, net.2, net.4, net.6 (Linear layers of a Sequential).
#pragma once
#include <torch/torch.h>

namespace ds::flow {

class ToyVelocityMlpImpl : public torch::nn::Module {
public:
    ToyVelocityMlpImpl(int64_t dim, int64_t hidden);
    // x: (B, dim); t: (B) in [0, 1].
    torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& t);

private:
    torch::nn::Sequential net_{nullptr};
};
TORCH_MODULE(ToyVelocityMlp);

}  // namespace ds::flow
