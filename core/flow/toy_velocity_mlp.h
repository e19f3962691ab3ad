// SPDX-License-Identifier: GPL-3.0-or-later
// torchcfm's MLP(dim=2, w, time_varying=True): the velocity v(x, t) from [x, t] through three
// SELU hidden layers. Names: net.0, net.2, net.4, net.6 (Linear layers of a Sequential).
//
// Class-conditional (classes > 0): v(x, t, y) adds a learned vector of the hidden width,
// class_embedding.weight[y] (an Embedding(classes + 1, hidden) whose row `classes` is the null
// class of classifier-free guidance), to the first Linear's output, before its SELU. Why there:
// adding a per-class vector to the first pre-activation is what concatenating a one-hot label to
// [x, t] would do (the first Linear's extra columns), the most a first layer can take from 9
// classes; and net.0 .. net.6 keep torchcfm's shapes, so the conditional model is the
// unconditional one plus one table. The table starts at zero: every class starts with the same
// field and training pulls them apart.
#pragma once
#include <torch/torch.h>

namespace ds::flow {

class ToyVelocityMlpImpl : public torch::nn::Module {
public:
    // classes = 0: unconditional (no embedding).
    ToyVelocityMlpImpl(int64_t dim, int64_t hidden, int64_t classes = 0);
    // x: (B, dim); t: (B) in [0, 1]; y: (B) int64 class in 0 .. classes (classes: the null
    // class), or undefined for the null class. An unconditional MLP takes no y.
    torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& t, const torch::Tensor& y = {});

    int64_t classes() const { return classes_; }
    int64_t nullClass() const { return classes_; }

private:
    torch::nn::Sequential net_{nullptr};
    torch::nn::Embedding classEmbedding_{nullptr};
    int64_t classes_ = 0;
};
TORCH_MODULE(ToyVelocityMlp);

}  // namespace ds::flow
