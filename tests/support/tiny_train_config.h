// Test support: a training configuration small enough for several steps a second on two cores
// (a 2-stage U-Net of width 8 on 16x16 Fashion-MNIST, T = 100). Torch-free, for core and widget tests.
#pragma once
#include "core/train/train_config.h"

#include <cstdint>

namespace ds::test {

inline train::TrainConfig tinyTrainConfig(int64_t steps) {
    auto c = train::TrainConfig::fromPreset("tiny");
    c.unet.dim = 8;
    c.unet.dimMults = {1, 2};
    c.unet.attnHeads = {2};
    c.unet.attnDimHead = {8};
    c.diffusion.imageSize = 16;
    c.diffusion.timesteps = 100;
    c.diffusion.samplingTimesteps = 10;
    c.batchSize = 8;
    c.steps = steps;
    c.lr.warmupSteps = 5;
    c.saveEvery = 4;
    c.sampleEvery = 1000;
    c.sampleCount = 4;
    c.sampleSteps = 5;
    c.logEvery = 1;
    c.ema.updateAfterStep = 2;
    c.loaderThreads = 2;
    c.device = "cpu";
    return c;
}

}  // namespace ds::test
