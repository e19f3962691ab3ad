// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/train/diffusion_training_model.h"

#include "core/checkpoint/state_dict.h"
#include "core/diffusion/diffusion_ode_sampling.h"
#include "core/util/error.h"

namespace ds::train {

namespace {

diffusion::GaussianDiffusion makeModel(const TrainConfig& config) {
    if (config.isConditional()) return diffusion::GaussianDiffusion(nn::CfgUnet(config.cfgUnet()), config.diffusion);
    return diffusion::GaussianDiffusion(nn::Unet(config.unet), config.diffusion);
}

}  // namespace

DiffusionTrainingModel::DiffusionTrainingModel(const TrainConfig& config, const torch::Device& device)
    : model_(makeModel(config)), ema_(makeModel(config)), sampler_(config.sampleSampler),
      conditioning_(config.conditioning) {
    model_->to(device);
    ema_->to(device);
    model_->train();
    ema_->eval();
}

TrainingModel::Loss DiffusionTrainingModel::loss(const torch::Tensor& images, const torch::Tensor& labels,
                                                 at::Generator& gen, const BatchShard& shard) {
    if (model_->isConditional() != labels.defined())
        throw Error(model_->isConditional() ? "a class-conditional model trains on labelled batches"
                                            : "an unconditional model takes no labels");
    auto terms = model_->trainingLossTerms(images, gen, shard, labels);
    return {terms.mean(), terms.perSample, terms.t};
}

void DiffusionTrainingModel::setChannelsLast(bool on) {
    if (model_->isConditional()) {
        if (on) throw Error("--channels-last is not built for the class-conditional Unet");
        return;
    }
    model_->model()->setChannelsLast(on);
    ema_->model()->setChannelsLast(on);
}

int DiffusionTrainingModel::previewSteps(int steps) const { return std::min(steps, model_->config().timesteps); }

torch::Tensor DiffusionTrainingModel::preview(const torch::Tensor& noise, int steps, at::Generator& gen,
                                              const StopToken* stop) {
    // A conditional model samples with its classes and the previews' guidance; the condition
    // is the EMA model's only while it samples.
    struct ConditionScope {
        diffusion::GaussianDiffusion& model;
        ~ConditionScope() {
            if (model->isConditional()) model->setCondition(std::nullopt);
        }
    } scope{ema_};
    if (ema_->isConditional()) {
        const int64_t n = noise.size(0);
        std::vector<int64_t> classes;
        for (int64_t i = 0; i < n; ++i)
            classes.push_back(previewClassOf(i, n, int64_t(conditioning_.classNames.size())));
        diffusion::ClassCondition condition;
        condition.classes = torch::tensor(classes, torch::kLong).to(noise.device());
        condition.guidance.condScale = conditioning_.previewScale;
        condition.guidance.rescaledPhi = conditioning_.previewRescaledPhi;
        ema_->setCondition(condition);
    }
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
    if (ema_->isConditional()) {
        text.emplace_back("ds.cond_scale", std::to_string(conditioning_.previewScale));
        text.emplace_back("ds.rescaled_phi", std::to_string(conditioning_.previewRescaledPhi));
    }
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
