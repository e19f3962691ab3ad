// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/flow/toy_velocity_mlp.h"

#include "core/util/error.h"

namespace ds::flow {

ToyVelocityMlpImpl::ToyVelocityMlpImpl(int64_t dim, int64_t hidden, int64_t classes) : classes_(classes) {
    if (classes < 0) throw Error("the toy MLP's class count must not be negative");
    net_ = register_module("net", torch::nn::Sequential(torch::nn::Linear(dim + 1, hidden), torch::nn::SELU(),
                                                        torch::nn::Linear(hidden, hidden), torch::nn::SELU(),
                                                        torch::nn::Linear(hidden, hidden), torch::nn::SELU(),
                                                        torch::nn::Linear(hidden, dim)));
    if (classes > 0) {
        // Registered after net, so that net's initial weights are those of the unconditional MLP
        // with the same seed.
        classEmbedding_ = register_module("class_embedding", torch::nn::Embedding(classes + 1, hidden));
        torch::NoGradGuard noGrad;
        classEmbedding_->weight.zero_();
    }
}

torch::Tensor ToyVelocityMlpImpl::forward(const torch::Tensor& x, const torch::Tensor& t, const torch::Tensor& y) {
    const auto input = torch::cat({x, t.to(x.dtype()).unsqueeze(1)}, 1);
    if (classes_ == 0) {
        if (y.defined()) throw Error("this toy MLP was built without classes: it takes no class labels");
        return net_->forward(input);
    }
    const auto labels = y.defined() ? y.to(x.device(), torch::kLong)
                                    : torch::full({x.size(0)}, classes_, x.options().dtype(torch::kLong));
    auto layer = net_->begin();
    auto h = layer->forward(input) + classEmbedding_->forward(labels).to(x.dtype());
    for (++layer; layer != net_->end(); ++layer) h = layer->forward(h);
    return h;
}

}  // namespace ds::flow
