// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/train/diffusion_training_model.h"

#include "core/checkpoint/state_dict.h"
#include "core/diffusion/diffusion_ode_sampling.h"

namespace ds::train {

DiffusionTrainingModel::DiffusionTrainingModel(const TrainConfig& config, const torch::Device& device)
    : model_(nn::Unet(config.unet), config.diffusion), ema_(nn::Unet(config.unet), config.diffusion),
      sampler_(config.sampleSampler) {
    model_->to(device);
    ema_->to(device);
    model_->train();
    ema_->eval();
}

TrainingModel::Loss DiffusionTrainingModel::loss(const torch::Tensor& images, at::Generator& gen,
                                                 const BatchShard& shard) {
    auto terms = model_->trainingLossTerms(images, gen, shard);
    return {terms.mean(), terms.perSample, terms.t};
}

void DiffusionTrainingModel::setChannelsLast(bool on) {
    model_->model()->setChannelsLast(on);
    ema_->model()->setChannelsLast(on);
}

int DiffusionTrainingModel::previewSteps(int steps) const { return std::min(steps, model_->config().timesteps); }

torch::Tensor DiffusionTrainingModel::preview(const torch::Tensor& noise, int steps, at::Generator& gen,
                                              const StopToken* stop) {
    torch::Tensor x;
    switch (sampler_) {
    case api::DiffusionSampler::Ddim: x = ema_->ddimSample(noise, previewSteps(steps), 0.0, gen, {}, stop); break;
    case api::DiffusionSampler::Ddpm: x = ema_->ddpmSample(noise, gen, {}, stop); break;
    default: {
        const auto schedule = diffusion::noiseScheduleFor(*ema_, sampler_, noise.device());
        x = diffusion::makeDiffusionOdeSolver(*ema_, schedule, sampler_, api::SolverOptions{})
                ->sample(noise, steps, {}, stop);
    }
    }
    return ema_->unnormalize(x).clamp(0, 1);
}

io::PngText DiffusionTrainingModel::previewText(int steps) const {
    io::PngText text{{"ds.sampler", api::samplerName(sampler_)}};
    switch (sampler_) {
    case api::DiffusionSampler::Ddim:
        text.emplace_back("ds.steps", std::to_string(previewSteps(steps)));
        text.emplace_back("ds.eta", "0");
        break;
    case api::DiffusionSampler::Ddpm: text.emplace_back("ds.steps", std::to_string(model_->config().timesteps)); break;
    default: {
        const api::SolverOptions o;
        text.emplace_back("ds.steps", std::to_string(steps));
        text.emplace_back("ds.order", std::to_string(o.order));
        if (sampler_ != api::DiffusionSampler::UniPC) text.emplace_back("ds.method", api::methodName(o.method));
        else text.emplace_back("ds.unipc_variant", api::unipcVariantName(o.unipcVariant));
        text.emplace_back("ds.skip", api::spacingName(o.spacing));
    }
    }
    return text;
}

void DiffusionTrainingModel::writeCheckpoint(io::PyValue& root, int64_t step, int64_t /*epoch*/,
                                             const io::PyValuePtr& optimizer, const Ema& ema) const {
    using io::PyValue;
    root.set("step", PyValue::integer(step));
    root.set("model", checkpoint::StateDict::fromModule(*model_).toPyDict());
    root.set("opt", optimizer);
    root.set("ema", ema.stateDict());
    root.set("scaler", PyValue::none());
    root.set("version", PyValue::str(std::string("diffusion-studio ") + DS_VERSION));
}

const io::PyValue& DiffusionTrainingModel::readCheckpoint(const io::PyValue& root, Ema& ema) {
    checkpoint::StateDict::fromPyDict(root.at("model")).loadInto(*model_, "the model weights");
    ema.loadStateDict(root.at("ema"));
    return root.at("opt");
}

}  // namespace ds::train
