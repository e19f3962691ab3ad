// SPDX-License-Identifier: GPL-3.0-or-later
// The training loop of every model family (diffusion, flow matching: see TrainingModel):
// data -> loss -> Adam (with accumulation, clipping, LR schedule) -> EMA,
// with metrics, preview grids and crash-safe checkpoints in a RunDirectory. A fixed seed makes a
// run repeatable, and a run stopped (or killed) and resumed continues the same trajectory: the
// checkpoint holds the model, Adam, EMA, RNG states and the data position.
// Data parallel (a ProcessGroup given): every rank starts from rank 0's parameters, reads its
// shard of each batch (EpochSampler) and draws its rows of the global batch's noise
// (BatchShard), the gradients are averaged (GradientAverager) and every rank steps alike; rank 0
// alone keeps the EMA and writes metrics, previews and checkpoints. Ranks agree each step on the
// loss and on stopping, so a stop request on any rank stops all at the same step.
#pragma once
#include "core/api/job_sink.h"
#include "core/data/batch_loader.h"
#include "core/train/ema.h"
#include "core/train/gradient_averager.h"
#include "core/train/loss_scaler.h"
#include "core/train/metrics_log.h"
#include "core/train/process_group.h"
#include "core/train/run_directory.h"
#include "core/train/sample_quality.h"
#include "core/train/timestep_loss_buckets.h"
#include "core/train/training_model.h"
#include "core/util/batch_shard.h"
#include "core/util/pause_gate.h"
#include "core/util/stop_token.h"

#include <torch/torch.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ds::train {

// FID during training samples from randn(fid.samples, C, H, W) drawn from a CPU generator seeded
// with seed ^ kFidSeedSalt: the same noise at every measurement (and another than the previews').
inline constexpr uint64_t kFidSeedSalt = 0xf1dULL << 32;

// The classes of a class-conditional run's data in label order, without reading the images:
// Fashion-MNIST's ten, an image folder's class sub-folders, or one per LMDB of a comma-separated
// list (LSUN's categories). Throws ds::Error naming the data when it has no classes.
std::vector<std::string> classNamesOfData(const std::string& data);

class Trainer {
public:
    // pause (optional): the loop waits at step boundaries while it is closed. group (optional):
    // train data-parallel with its ranks (it must outlive the Trainer).
    Trainer(RunDirectory run, api::JobSink& sink, const StopToken& stop, const PauseGate* pause = nullptr,
            ProcessGroup* group = nullptr);
    ~Trainer();

    // The FID engine of a run with FID during training (config fid.every > 0): every rank of a
    // data-parallel run gets one (they share the sampling and the features).
    void setSampleQuality(std::shared_ptr<SampleQuality> quality) { quality_ = std::move(quality); }

    // Restores the newest readable checkpoint; false when the run has none (fresh start).
    bool restoreLatestCheckpoint();
    // Trains to the configured total; returns when done, stopped or on error (thrown).
    void run();

    // The run ended at config.maxSeconds of training (a finished run, short of its steps).
    bool reachedTimeLimit() const { return reachedTimeLimit_; }
    int64_t step() const { return step_; }
    const RunDirectory& runDirectory() const { return run_; }
    std::optional<std::string> lastCheckpoint() const { return lastCheckpoint_; }
    double lastLoss() const { return lastLoss_; }
    const TrainingModel& model() const { return *model_; }

private:
    void buildOptimizer();
    void buildData();
    // The labels of a class-conditional run's batch (its images' source indices), on the device.
    torch::Tensor labelsOf(const data::Batch& batch) const;
    double trainStep();  // one optimizer step; returns the loss, records lr, grad norm and data wait
    // Unscales (fp16), clips and steps Adam; false when fp16 gradients overflowed (step skipped).
    bool applyGradients();
    // The step's loss over all ranks; records the loss by timestep and whether any rank stops.
    double agreeOnStep(double localLoss, const std::vector<TrainingModel::Loss>& terms);
    void recordLossByTimestep(const torch::Tensor& losses, const torch::Tensor& positions);
    void synchronizeRanks();  // rank 0's parameters everywhere; every rank at the same step
    bool writes() const { return !group_ || group_->rank() == 0; }  // rank 0 owns the run directory
    bool stopping() const { return group_ ? agreedStop_ : stop_.stopRequested(); }
    void logMetrics(double loss, double gradNorm, double lr, double stepSeconds);
    void saveCheckpoint();
    // The EMA model's preview grid of this step; false when a stop request ended it.
    bool writePreview();
    // The FID of the EMA weights' samples at this step, on every rank; false when stopped.
    bool evaluateFid();
    void restoreBestFid();  // bestFid_ from checkpoints/best.pt (resume)
    void restoreFrom(const std::string& path);
    io::PyValuePtr checkpointValue();

    RunDirectory run_;
    TrainConfig config_;
    api::JobSink& sink_;
    const StopToken& stop_;
    const PauseGate* pause_;
    ProcessGroup* group_;
    BatchShard shard_;  // this rank's rows of each global batch
    torch::Device device_;

    std::unique_ptr<TrainingModel> model_;  // the family's networks, loss, previews, checkpoint layout
    std::unique_ptr<Ema> ema_;
    std::unique_ptr<torch::optim::Adam> optimizer_;
    std::shared_ptr<const data::ImageSource> source_;
    std::unique_ptr<data::BatchLoader> loader_;
    data::LoaderPosition position_;               // of the next batch
    at::Generator gen_;                           // timesteps and noise
    std::unique_ptr<MetricsLog> metrics_;         // rank 0 only
    std::unique_ptr<GradientAverager> averager_;  // data-parallel runs only
    std::unique_ptr<LossScaler> scaler_;          // --amp fp16 only
    std::shared_ptr<SampleQuality> quality_;      // FID during training only
    std::optional<double> bestFid_;               // the lowest so far (best.pt's), rank 0
    bool agreedStop_ = false;                     // some rank asked to stop (data-parallel runs)

    int64_t step_ = 0;
    double wallOffset_ = 0.0;  // training seconds of earlier sessions
    double sessionStart_ = 0.0;
    double evaluationSeconds_ = 0.0;  // this session's FIDs and previews: not training time
    double nextTimedFid_ = 0.0;
    bool reachedTimeLimit_ = false;  // config.fid.everySeconds's next measurement, in trainingClock()
    // This session's seconds of training: paused time, FIDs and previews not counted.
    double trainingClock() const;
    double lastGradNorm_ = 0.0;
    double lastLr_ = 0.0;        // the learning rate of the last step
    double lastDataWait_ = 0.0;  // seconds the last step waited for batches (0: loading kept up)
    double lastLoss_ = 0.0;
    TimestepLossBuckets stepBuckets_;    // the last step's loss by timestep (live charts)
    TimestepLossBuckets windowBuckets_;  // since the last metrics.jsonl record
    std::optional<std::string> lastCheckpoint_;
};

}  // namespace ds::train
