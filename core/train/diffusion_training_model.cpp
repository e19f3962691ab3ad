#include "core/train/diffusion_training_model.h"

#include "core/checkpoint/state_dict.h"

namespace ds::train {

DiffusionTrainingModel::DiffusionTrainingModel(const TrainConfig& config, const torch::Device& device)
    : model_(nn::Unet(config.unet), config.diffusion), ema_(nn::Unet(config.unet), config.diffusion) {
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

torch::Tensor DiffusionTrainingModel::preview(const torch::Tensor& noise, int steps, at::Generator& gen) {
    return ema_->unnormalize(ema_->ddimSample(noise, previewSteps(steps), 0.0, gen)).clamp(0, 1);
}

io::PngText DiffusionTrainingModel::previewText(int steps) const {
    return {{"ds.sampler", "ddim"}, {"ds.steps", std::to_string(previewSteps(steps))}, {"ds.eta", "0"}};
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
