// The classes and guidance of a class-conditional sampling run (shared by `sample`, `sweep` and
// the app's pages through them).
#pragma once
#include "core/api/sampling.h"
#include "core/checkpoint/diffusion_checkpoint.h"
#include "core/diffusion/gaussian_diffusion.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace ds::jobs {

// Every one of count images' class (image i: classes[i mod size]; none given: every class in
// turn; --class-name: a recorded name) and the guidance (lucidrains' sample() defaults: W = 6,
// rescaled_phi 0.7). nullopt for an unconditional checkpoint; ds::Error for conditioning given
// to one, for an unknown class or name, or for options the sampler cannot use.
std::optional<diffusion::ClassCondition> resolveClassCondition(const api::ClassConditioning& request,
                                                              const checkpoint::DiffusionCheckpoint& ck, int64_t count,
                                                              api::DiffusionSampler sampler);

// PNG metadata of a sample's class (index >= 0: that image's; -1: the grid's, every class in
// order) and of the guidance.
std::vector<std::pair<std::string, std::string>> classConditionEntries(const checkpoint::DiffusionCheckpoint& ck,
                                                                       const diffusion::ClassCondition& condition,
                                                                       int index);

}  // namespace ds::jobs
