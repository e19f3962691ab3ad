// SPDX-License-Identifier: GPL-3.0-or-later
// Flow matching as a TrainingModel: g4vrel/CFM's U-Net (or lucidrains' as a continuous-time
// backbone, or torchcfm's UNetModel) learning the velocity of a probability
// path (data scaled to [-1, 1] as g4vrel/CFM's loader does), ODE previews from t = 0 to 1, and the
// seed's checkpoint layout ({epoch, step, model_state_dict, optim_state_dict,
// ema_model_state_dict (AveragedModel: n_averaged, module.*), scaler_state_dict}) so that its
// load_checkpoint() opens our files, plus `ema_state` for an exact resume.
#pragma once
#include "core/flow/probability_path.h"
#include "core/flow/velocity_network.h"
#include "core/train/train_config.h"
#include "core/train/training_model.h"

namespace ds::train {

class FlowTrainingModel : public TrainingModel {
public:
    FlowTrainingModel(const TrainConfig& config, const torch::Device& device);

    static constexpr int64_t kPositions = 1000;  // loss-by-time resolution: t in thousandths

    std::shared_ptr<torch::nn::Module> online() const override { return net_.module(); }
    std::shared_ptr<torch::nn::Module> shadow() const override { return ema_.module(); }
    void setChannelsLast(bool on) override;
    int64_t positions() const override { return kPositions; }
    Loss loss(const torch::Tensor& images, const torch::Tensor& labels, at::Generator& gen,
              const BatchShard& shard) override;
    torch::Tensor preview(const torch::Tensor& noise, int steps, at::Generator& gen, const StopToken* stop) override;
    io::PngText previewText(int steps) const override;
    void writeCheckpoint(io::PyValue& root, int64_t step, int64_t epoch, const io::PyValuePtr& optimizer,
                         const Ema& ema) const override;
    const io::PyValue& readCheckpoint(const io::PyValue& root, Ema& ema) override;

private:
    FlowTrainConfig config_;
    flow::VelocityNetwork net_;
    flow::VelocityNetwork ema_;
    std::unique_ptr<flow::ProbabilityPath> path_;
    TrainConfig::Conditioning conditioning_;
    int64_t nullClass_ = -1;  // a class-conditional network's null class (its last embedding row)
};

}  // namespace ds::train
