// The flow-matching part of a training run's configuration: the seed's U-Net, the probability
// path and the preview sampler.
#pragma once
#include "core/flow/flow_unet_config.h"

#include <nlohmann/json.hpp>

#include <string>

namespace ds::train {

struct FlowTrainConfig {
    flow::FlowUnetConfig unet;
    std::string path = "ot";   // ot (the seed's) | icfm | otcfm | sbcfm | vp | target
    double sigma = 1e-4;       // the path's sigma; sigma_min of "ot" (the seed's config: 1e-4)
    int imageSize = 32;
    std::string previewSolver = "euler";  // preview grids: this solver with the run's sample_steps

    void validate() const;  // throws ds::Error
    nlohmann::json toJson() const;
    static FlowTrainConfig fromJson(const nlohmann::json& j);
};

}  // namespace ds::train
