// SPDX-License-Identifier: GPL-3.0-or-later
// One training batch of the 2-D flow-matching toy (core/api/flow_toy.h), every random input from
// one generator: source points, target points (with their classes when conditional), the path's
// coupling, times, the path's noise and, when conditional, classifier-free guidance's label
// dropout. Apart from FlowToy::train so that tests can see what the network is trained on.
#pragma once
#include "core/flow/probability_path.h"

#include <torch/torch.h>

#include <string>

namespace ds::flow {

struct ToyBatchSpec {
    std::string source, target;  // toy distribution names (toy_distributions.h)
    int64_t size = 0;
    bool conditional = false;  // the target must have classes
    double dropProb = 0.0;     // conditional: the chance that a label becomes the null class
};

struct ToyBatch {
    torch::Tensor x0, x1;  // (B, 2), coupled: pair k is (x0[k], x1[k])
    torch::Tensor t;       // (B)
    torch::Tensor eps;     // (B, 2)
    // Conditional: (B) int64, x1[k]'s class (it followed x1 through the coupling), or the null
    // class (the target's class count) where dropped. Undefined when unconditional.
    torch::Tensor labels;
};

// Unconditional batches draw exactly what they drew before classes existed: x0, x1, the
// coupling, t, eps. Conditional ones draw the labelled target in x1's place (the same points),
// couple within each class (a minibatch plan per class, classes in order; see the .cpp for why)
// and draw the dropout after eps.
ToyBatch drawToyBatch(const ToyBatchSpec& spec, const ProbabilityPath& path, at::Generator& gen);

}  // namespace ds::flow
