// The training loop of every model family (diffusion, flow matching: see TrainingModel):
// data -> loss -> Adam (with accumulation, clipping, LR schedule) -> EMA,
// with metrics, preview grids and crash-safe checkpoints in a RunDirectory. A fixed seed makes a
// run repeatable, and a run stopped (or killed) and resumed continues the same trajectory: the
// checkpoint holds the model, Adam, EMA, RNG states and the data position.
#pragma once
#include "core/api/job_sink.h"
#include "core/data/batch_loader.h"
#include "core/train/ema.h"
#include "core/train/metrics_log.h"
#include "core/train/run_directory.h"
#include "core/train/timestep_loss_buckets.h"
#include "core/train/training_model.h"
#include "core/util/pause_gate.h"
#include "core/util/stop_token.h"

#include <torch/torch.h>

#include <memory>
#include <optional>

namespace ds::train {

class Trainer {
public:
    // pause (optional): the loop waits at step boundaries while it is closed.
    Trainer(RunDirectory run, api::JobSink& sink, const StopToken& stop, const PauseGate* pause = nullptr);
    ~Trainer();

    // Restores the newest readable checkpoint; false when the run has none (fresh start).
    bool restoreLatestCheckpoint();
    // Trains to the configured total; returns when done, stopped or on error (thrown).
    void run();

    int64_t step() const { return step_; }
    const RunDirectory& runDirectory() const { return run_; }
    std::optional<std::string> lastCheckpoint() const { return lastCheckpoint_; }
    double lastLoss() const { return lastLoss_; }

private:
    void buildOptimizer();
    void buildData();
    double trainStep();  // one optimizer step; returns the loss, records lr, grad norm and data wait
    void recordLossByTimestep(const TrainingModel::Loss& loss);
    void logMetrics(double loss, double gradNorm, double lr, double stepSeconds);
    void saveCheckpoint();
    void writePreview();
    void restoreFrom(const std::string& path);
    io::PyValuePtr checkpointValue();

    RunDirectory run_;
    TrainConfig config_;
    api::JobSink& sink_;
    const StopToken& stop_;
    const PauseGate* pause_;
    torch::Device device_;

    std::unique_ptr<TrainingModel> model_;  // the family's networks, loss, previews, checkpoint layout
    std::unique_ptr<Ema> ema_;
    std::unique_ptr<torch::optim::Adam> optimizer_;
    std::shared_ptr<const data::ImageSource> source_;
    std::unique_ptr<data::BatchLoader> loader_;
    data::LoaderPosition position_;  // of the next batch
    at::Generator gen_;              // timesteps and noise
    std::unique_ptr<MetricsLog> metrics_;

    int64_t step_ = 0;
    double wallOffset_ = 0.0;  // training seconds of earlier sessions
    double sessionStart_ = 0.0;
    double lastGradNorm_ = 0.0;
    double lastLr_ = 0.0;  // the learning rate of the last step
    double lastDataWait_ = 0.0;  // seconds the last step waited for batches (0: loading kept up)
    double lastLoss_ = 0.0;
    TimestepLossBuckets stepBuckets_;    // the last step's loss by timestep (live charts)
    TimestepLossBuckets windowBuckets_;  // since the last metrics.jsonl record
    std::optional<std::string> lastCheckpoint_;
};

}  // namespace ds::train
