// SPDX-License-Identifier: GPL-3.0-or-later
// The seam between the Trainer and a model family: what is trained (an online network and its
// EMA copy), its loss, its preview sampler and its checkpoint layout under upstream names. The
// loop, Adam, clipping, LR schedule, EMA schedule, run directory, metrics and resume stay in the
// Trainer, the same for every family.
#pragma once
#include "core/io/png_file.h"
#include "core/io/py_value.h"
#include "core/train/ema.h"
#include "core/util/batch_shard.h"
#include "core/util/stop_token.h"

#include <torch/torch.h>

#include <memory>

namespace ds::train {

class TrainingModel {
public:
    virtual ~TrainingModel() = default;

    virtual std::shared_ptr<torch::nn::Module> online() const = 0;
    virtual std::shared_ptr<torch::nn::Module> shadow() const = 0;  // the EMA copy
    // Channels-last weights and activations in both networks.
    virtual void setChannelsLast(bool on) = 0;

    struct Loss {
        torch::Tensor mean;       // what is minimised
        torch::Tensor perSample;  // (B)
        torch::Tensor position;   // (B) int64 in [0, positions()): where on the time axis each sample was
    };
    virtual int64_t positions() const = 0;  // diffusion: T timesteps; flows: t in thousandths
    // images: a batch from the loader, in [0, 1]; labels (B) int64: a class-conditional model's
    // (undefined otherwise); shard: which rows of the global batch they are (data-parallel runs),
    // so that per-sample noise and times match a one-process run.
    virtual Loss loss(const torch::Tensor& images, const torch::Tensor& labels, at::Generator& gen,
                      const BatchShard& shard) = 0;

    // Samples of the EMA model from `noise`, in [0, 1], with the PNG text that says how. Throws
    // ds::Cancelled when `stop` is requested. A class-conditional model's previews give image i
    // the class previewClassOf(i, N, classes).
    virtual torch::Tensor preview(const torch::Tensor& noise, int steps, at::Generator& gen, const StopToken* stop) = 0;
    virtual io::PngText previewText(int steps) const = 0;

    // The checkpoint entries of the family's upstream layout (lucidrains Trainer: model, opt,
    // ema, ...; g4vrel/CFM's flow training: model_state_dict, optim_state_dict,
    // ema_model_state_dict, ...), so that the original code loads our files; and back.
    virtual void writeCheckpoint(io::PyValue& root, int64_t step, int64_t epoch, const io::PyValuePtr& optimizer,
                                 const Ema& ema) const = 0;
    // Loads the weights and EMA; returns the optimizer entry for the Trainer to restore.
    virtual const io::PyValue& readCheckpoint(const io::PyValue& root, Ema& ema) = 0;
};

struct TrainConfig;
// The family's model for a configuration (diffusion or flow matching), on `device`.
std::unique_ptr<TrainingModel> makeTrainingModel(const TrainConfig& config, const torch::Device& device);

// The class of preview image `index` of `count`: one row per class when every class gets a whole
// row (count a multiple of the classes), else the classes in turn.
inline int64_t previewClassOf(int64_t index, int64_t count, int64_t classes) {
    const int64_t perClass = count / classes;
    return perClass >= 1 && count % classes == 0 ? index / perClass : index % classes;
}

}  // namespace ds::train
