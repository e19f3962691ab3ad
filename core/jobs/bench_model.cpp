// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/jobs/bench_model.h"

#include "core/util/error.h"

namespace ds::jobs {

diffusion::GaussianDiffusion makeBenchModel(int timesteps, const torch::Device& device) {
    torch::manual_seed(0);
    nn::UnetConfig unet;
    unet.dim = 32;
    unet.dimMults = {1, 2, 4};
    unet.channels = 1;
    diffusion::DiffusionConfig cfg;
    cfg.imageSize = 32;
    cfg.timesteps = timesteps;
    diffusion::GaussianDiffusion model(nn::Unet(unet), cfg);
    model->to(device);
    return model;
}

FlowBenchModel makeFlowBenchModel(flow::Backbone backbone, const torch::Device& device) {
    torch::manual_seed(0);
    FlowBenchModel m;
    if (backbone == flow::Backbone::TorchCfm) {
        nn::OpenAiUnetConfig config;
        config.inChannels = config.outChannels = 1;
        config.modelChannels = 32;
        config.channelMult = {1, 2, 2};
        config.numResBlocks = 1;
        config.attentionDs = {1};  // 28 // 16
        config.numHeads = 1;
        config.numHeadChannels = -1;
        m.net = flow::VelocityNetwork(nn::OpenAiUnet(config));
        m.imageShape = {1, 28, 28};
        m.name = "torchcfm UNetModelWrapper(dim=(1,28,28), num_channels=32, num_res_blocks=1)";
    } else if (backbone == flow::Backbone::FlowUnet) {
        flow::FlowUnetConfig config;
        config.ch = 32;
        config.chMul = {1, 2, 2};
        config.attChannels = {0, 1, 0};
        config.dropout = 0.0;
        m.net = flow::VelocityNetwork(flow::FlowUnet(config));
        m.imageShape = {3, 32, 32};
        m.name = "FlowUnet(ch=32, ch_mul=(1,2,2), att_channels=(0,1,0), groups=32, dropout=0), 3x32x32";
    } else {
        throw Error(std::string("bench has no flow model on the ") + flow::backboneName(backbone) +
                    " backbone (expected torchcfm or cfm)");
    }
    m.net.train(false);
    m.net.to(device);
    return m;
}

}  // namespace ds::jobs
