// The flow-matching part of a training run's configuration: the seed's U-Net, the probability
// path and the preview sampler.
#pragma once
#include "core/flow/flow_unet_config.h"
#include "core/nn/openai_unet_config.h"
#include "core/nn/unet_config.h"

#include <nlohmann/json.hpp>

#include <string>

namespace ds::train {

struct FlowTrainConfig {
    // cfm: the seed's g4vrel U-Net (`unet`); lucidrains: denoising-diffusion-pytorch's Unet
    // (`lucidrains`) with continuous t (see flow/velocity_network.h); torchcfm: torchcfm's
    // UNetModel (OpenAI guided-diffusion's, `torchcfm`).
    std::string backbone = "cfm";
    flow::FlowUnetConfig unet;
    nn::UnetConfig lucidrains;
    nn::OpenAiUnetConfig torchcfm;
    std::string path = "ot";   // ot (the seed's) | icfm | otcfm | sbcfm | vp | target
    double sigma = 1e-4;       // the path's sigma; sigma_min of "ot" (the seed's config: 1e-4)
    int imageSize = 32;
    std::string previewSolver = "euler";  // preview grids: this solver with the run's sample_steps

    int channels() const;
    void setChannels(int channels);
    int downsampleFactor() const;
    void validate() const;  // throws ds::Error
    nlohmann::json toJson() const;
    static FlowTrainConfig fromJson(const nlohmann::json& j);

    // A UNetModel for minutes on a CPU (the torchcfm backbone's starting point): 32 channels,
    // channel_mult (1, 2, 2), one ResBlock per level, attention at 2x downsampling with 32
    // channels per head.
    static nn::OpenAiUnetConfig smallTorchCfmUnet(int channels);
};

}  // namespace ds::train
