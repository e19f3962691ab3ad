// SPDX-License-Identifier: GPL-3.0-or-later
// The classes and guidance of a class-conditional sampling run (shared by `sample`, `sweep` and
// the app's pages through them), for diffusion and flow checkpoints alike.
#pragma once
#include "core/api/sampling.h"
#include "core/checkpoint/diffusion_checkpoint.h"
#include "core/diffusion/gaussian_diffusion.h"

#include <torch/torch.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace ds::jobs {

// What a checkpoint says about its classes.
struct ClassSet {
    int count = 0;                   // 0: an unconditional model
    std::vector<std::string> names;  // empty: numbered classes
    std::string nameOf(int64_t k) const;
};

// Every one of count images' class (count, int64, CPU): image i gets classes[i mod size]; none
// given, every class in turn; --class-name, a recorded name. Throws ds::Error for conditioning
// given to an unconditional model, an unknown class or name. Undefined for unconditional models.
torch::Tensor resolveClasses(const api::ClassConditioning& request, const ClassSet& classes, int64_t count);

// ClassConditioning::rowPerClass: the request with num = classCount x columns (columns =
// max(1, num / classCount)) and gridColumns = columns; initialNoise then repeats one row of
// noise down the classes. Unchanged otherwise. Throws ds::Error for an unconditional model.
api::SampleRequest withClassRows(const api::SampleRequest& request, int classCount);

// A diffusion checkpoint's classes and guidance (lucidrains' sample() defaults: W = 6,
// rescaled_phi 0.7). nullopt for an unconditional checkpoint; ds::Error for options the sampler
// cannot use.
std::optional<diffusion::ClassCondition> resolveClassCondition(const api::ClassConditioning& request,
                                                               const checkpoint::DiffusionCheckpoint& ck, int64_t count,
                                                               api::DiffusionSampler sampler);

// PNG metadata of the classes (index >= 0: that image's; -1: the grid's, every class in order).
std::vector<std::pair<std::string, std::string>> classEntries(const torch::Tensor& classes, const ClassSet& set,
                                                              int index);
// The same plus the guidance.
std::vector<std::pair<std::string, std::string>> classConditionEntries(const checkpoint::DiffusionCheckpoint& ck,
                                                                       const diffusion::ClassCondition& condition,
                                                                       int index);

}  // namespace ds::jobs
