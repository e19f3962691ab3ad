// SPDX-License-Identifier: GPL-3.0-or-later
// `diffusion-studio-cli bench preview`: a preset's preview against its training time.
#include "core/api/benchmarks.h"
#include "core/train/train_config.h"
#include "core/train/training_model.h"
#include "core/util/blas_threads.h"
#include "core/util/device.h"
#include "core/util/elapsed.h"

#include <ATen/CPUGeneratorImpl.h>

#include <chrono>

namespace ds::api {

namespace {

// Seconds of one preview grid of `config`'s model, as the trainer samples it.
double timePreview(const train::TrainConfig& config, const torch::Device& device) {
    torch::manual_seed(config.seed);
    auto model = train::makeTrainingModel(config, device);
    torch::NoGradGuard noGrad;
    at::Generator gen = at::detail::createCPUGenerator(1);
    const int64_t s = config.imageSize();
    auto noise = torch::randn({config.sampleCount, config.channels(), s, s}, gen).to(device);
    const auto start = std::chrono::steady_clock::now();
    model->preview(noise, config.sampleSteps, gen, nullptr).cpu();
    return secondsSince(start);
}

}  // namespace

nlohmann::json benchPreview(const PreviewBenchOptions& o) {
    const auto device = parseDevice(o.device);
    auto config = train::TrainConfig::fromPreset(o.preset);
    torch::manual_seed(config.seed);
    auto model = train::makeTrainingModel(config, device);
    torch::optim::Adam adam(model->online()->parameters(), torch::optim::AdamOptions(config.lr.lr));
    at::Generator gen = at::detail::createCPUGenerator(0);
    const int64_t s = config.imageSize();
    const int batch = o.trainBatch > 0 ? o.trainBatch : config.batchSize;
    const auto images = torch::rand({batch, config.channels(), s, s}, gen).to(device);
    auto step = [&] {
        adam.zero_grad();
        for (int micro = 0; micro < config.gradAccum; ++micro) {
            auto loss = model->loss(images, {}, gen, BatchShard()).mean / double(config.gradAccum);
            loss.backward();
        }
        adam.step();
    };
    step();  // warm-up
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < o.trainSteps; ++i) step();
    // A step's cost grows with the batch: a smaller measured batch is scaled (an estimate).
    const double stepSeconds =
        secondsSince(start) / std::max(1, o.trainSteps) * double(config.batchSize) / double(batch);

    const double preview = timePreview(config, device);
    const double between = stepSeconds * double(config.sampleEvery);
    const std::string sampler = config.isFlow() ? config.flow.previewSolver : samplerName(config.sampleSampler);
    nlohmann::json report{{"bench", "preview"},
                          {"preset", o.preset},
                          {"device", device.str()},
                          {"threads", torch::get_num_threads()},
                          {"blas_threads", openBlasThreads()},
                          {"image_size", s},
                          {"batch", config.batchSize},
                          {"measured_batch", batch},
                          {"grad_accum", config.gradAccum},
                          {"train_step_seconds", stepSeconds},
                          {"sample_every", config.sampleEvery},
                          {"training_seconds_between_previews", between},
                          {"preview",
                           {{"sampler", sampler},
                            {"steps", config.sampleSteps},
                            {"images", config.sampleCount},
                            {"seconds", preview},
                            {"fraction_of_training", between > 0 ? preview / between : 0.0}}}};
    // The original scripts' previews (lucidrains' Trainer): DDIM with its sampling_timesteps (250 for the lsun
    // presets).
    if (o.ddimComparison && !config.isFlow()) {
        auto ddim = config;
        ddim.sampleSampler = DiffusionSampler::Ddim;
        ddim.sampleSteps = config.diffusion.effectiveSamplingTimesteps();
        const double seconds = timePreview(ddim, device);
        report["ddim_preview"] = {{"steps", ddim.sampleSteps},
                                  {"seconds", seconds},
                                  {"fraction_of_training", between > 0 ? seconds / between : 0.0}};
    }
    return report;
}

}  // namespace ds::api
