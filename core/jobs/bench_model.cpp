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

}  // namespace ds::jobs
