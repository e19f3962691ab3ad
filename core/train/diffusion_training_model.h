// SPDX-License-Identifier: GPL-3.0-or-later
// Diffusion as a TrainingModel: a GaussianDiffusion around lucidrains' Unet, previews with the
// run's sampler (DPM-Solver++ 2M by default, DDIM for older runs), and
// lucidrains Trainer's checkpoint layout ({step, model, opt, ema, scaler, version}).
#pragma once
#include "core/diffusion/gaussian_diffusion.h"
#include "core/train/train_config.h"
#include "core/train/training_model.h"

namespace ds::train {

class DiffusionTrainingModel : public TrainingModel {
public:
    DiffusionTrainingModel(const TrainConfig& config, const torch::Device& device);

    std::shared_ptr<torch::nn::Module> online() const override { return model_.ptr(); }
    std::shared_ptr<torch::nn::Module> shadow() const override { return ema_.ptr(); }
    void setChannelsLast(bool on) override;
    int64_t positions() const override { return model_->config().timesteps; }
    Loss loss(const torch::Tensor& images, const torch::Tensor& labels, at::Generator& gen,
              const BatchShard& shard) override;
    torch::Tensor preview(const torch::Tensor& noise, int steps, at::Generator& gen, const StopToken* stop) override;
    io::PngText previewText(int steps) const override;
    void writeCheckpoint(io::PyValue& root, int64_t step, int64_t epoch, const io::PyValuePtr& optimizer,
                         const Ema& ema) const override;
    const io::PyValue& readCheckpoint(const io::PyValue& root, Ema& ema) override;

    // A conditional preview's class of image `index` of `count`: one row per class when the
    // count is a multiple of the classes (the trainer makes it so), else the classes in turn.

private:
    int previewSteps(int steps) const;

    diffusion::GaussianDiffusion model_{nullptr};
    diffusion::GaussianDiffusion ema_{nullptr};
    api::DiffusionSampler sampler_;
    TrainConfig::Conditioning conditioning_;
};

}  // namespace ds::train
