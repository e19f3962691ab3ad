// SPDX-License-Identifier: GPL-3.0-or-later
// The flow-matching part of a training run's configuration: the network, the probability path
// and the preview sampler.
#pragma once
#include "core/flow/flow_network_config.h"

#include <nlohmann/json.hpp>

#include <string>

namespace ds::train {

struct FlowTrainConfig {
    flow::FlowNetworkConfig network;  // g4vrel/CFM's U-Net unless a preset or --backbone says otherwise
    std::string path = "ot";          // ot (g4vrel/CFM's) | icfm | otcfm | sbcfm | vp | target
    double sigma = 1e-4;              // the path's sigma; sigma_min of "ot" (g4vrel/CFM's config: 1e-4)
    int imageSize = 32;
    std::string previewSolver = "euler";  // preview grids: this solver with the run's sample_steps

    void validate() const;  // throws ds::Error
    nlohmann::json toJson() const;
    static FlowTrainConfig fromJson(const nlohmann::json& j);

    // Where `train --backbone` starts from: g4vrel/CFM's U-Net with its defaults; the tiny
    // diffusion preset's Unet (lucidrains); a UNetModel for minutes on a CPU (torchcfm: 32
    // channels, channel_mult (1, 2, 2), one ResBlock per level, attention at 2x downsampling with
    // 32 channels per head).
    static flow::FlowNetworkConfig startingNetwork(flow::Backbone backbone, int channels);
};

}  // namespace ds::train
