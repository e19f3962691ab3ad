// SPDX-License-Identifier: GPL-3.0-or-later
// What the Trainer needs of an FID engine to measure its samples during training: features of
// generated images, and the distance of a set of features to the reference. The train job gives
// the Trainer core/jobs' GeneratedImagesFid; the Trainer only samples, spreads the work over the
// ranks of a data-parallel run and gathers the features.
#pragma once
#include "core/util/stop_token.h"

#include <torch/torch.h>

#include <optional>
#include <string>

namespace ds::train {

// KID's mean and standard deviation over subsets.
struct KernelDistance {
    double mean = 0.0;
    double std = 0.0;
};

class SampleQuality {
public:
    virtual ~SampleQuality() = default;
    // "FID" or e.g. "FD (fashion-mnist classifier, 128-d)".
    virtual const std::string& label() const = 0;
    // The reference's statistics, once (before the first measurement's sampling).
    virtual void prepare(const StopToken& stop) = 0;
    // (N, D) float32 features of (N, C, H, W) images in [0, 1].
    virtual torch::Tensor features(const torch::Tensor& images, const StopToken& stop) = 0;
    // The distance of all generated images' features (rows) to the reference.
    virtual double distance(const torch::Tensor& features) = 0;
    // KID of the same features against the reference, when the engine was asked for it.
    virtual std::optional<KernelDistance> kernelDistance(const torch::Tensor& /*features*/) { return std::nullopt; }
};

}  // namespace ds::train
