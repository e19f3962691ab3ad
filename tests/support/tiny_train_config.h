// SPDX-License-Identifier: GPL-3.0-or-later
// Test support: training configurations small enough for several steps a second on two cores
// (a 2-stage U-Net of width 8 on 16x16 Fashion-MNIST, T = 100; a tiny flow). Torch-free, for core
// and widget tests.
#pragma once
#include "core/train/train_config.h"

#include <cstdint>
#include <string>

namespace ds::test {

// The run settings of every tiny test run, whatever its model: small batches, a step logged
// each time, checkpoints every 4 steps, no previews unless asked, the CPU.
inline void setTinyRunSettings(train::TrainConfig& c, int64_t steps) {
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
}

inline train::TrainConfig tinyTrainConfig(int64_t steps) {
    auto c = train::TrainConfig::fromPreset("tiny");
    c.unet.dim = 8;
    c.unet.dimMults = {1, 2};
    c.unet.attnHeads = {2};
    c.unet.attnDimHead = {8};
    c.diffusion.imageSize = 16;
    c.diffusion.timesteps = 100;
    c.diffusion.samplingTimesteps = 10;
    setTinyRunSettings(c, steps);
    return c;
}

// The flow-matching counterpart: a 2-level seed U-Net of width 16 on 16x16 Fashion-MNIST.
inline train::TrainConfig tinyFlowConfig(int64_t steps, const std::string& path) {
    auto c = train::TrainConfig::fromPreset("cfm-tiny");
    auto& unet = *c.flow.network.as<flow::FlowUnetConfig>();
    unet.ch = 16;
    unet.chMul = {1, 2};
    unet.attChannels = {0, 0};
    c.flow.imageSize = 16;
    c.flow.path = path;
    c.flow.sigma = path == "sbcfm" ? 0.5 : 1e-4;
    setTinyRunSettings(c, steps);
    c.lr.lr = 2e-3;
    return c;
}

}  // namespace ds::test
