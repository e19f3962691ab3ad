#include "core/jobs/bench_model.h"

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

flow::FlowUnet makeFlowBenchModel(const torch::Device& device) {
    torch::manual_seed(0);
    flow::FlowUnetConfig config;
    config.ch = 32;
    config.chMul = {1, 2, 2};
    config.attChannels = {0, 1, 0};
    config.dropout = 0.0;
    flow::FlowUnet unet(config);
    unet->eval();
    unet->to(device);
    return unet;
}

}  // namespace ds::jobs
