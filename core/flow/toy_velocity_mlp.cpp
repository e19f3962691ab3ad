// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/flow/toy_velocity_mlp.h"

namespace ds::flow {

ToyVelocityMlpImpl::ToyVelocityMlpImpl(int64_t dim, int64_t hidden) {
    net_ = register_module("net", torch::nn::Sequential(torch::nn::Linear(dim + 1, hidden), torch::nn::SELU(),
                                                        torch::nn::Linear(hidden, hidden), torch::nn::SELU(),
                                                        torch::nn::Linear(hidden, hidden), torch::nn::SELU(),
                                                        torch::nn::Linear(hidden, dim)));
}

torch::Tensor ToyVelocityMlpImpl::forward(const torch::Tensor& x, const torch::Tensor& t) {
    return net_->forward(torch::cat({x, t.to(x.dtype()).unsqueeze(1)}, 1));
}

}  // namespace ds::flow
