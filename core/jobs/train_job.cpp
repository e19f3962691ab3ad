// SPDX-License-Identifier: GPL-3.0-or-later
// The training jobs behind `train`, `resume` and the Train page.
#include "core/jobs/generated_fid.h"
#include "core/jobs/logs_only_sink.h"
#include "core/jobs/train_jobs.h"
#include "core/train/process_group.h"
#include "core/train/trainer.h"
#include "core/util/device.h"
#include "core/util/elapsed.h"
#include "core/util/error.h"

#include <chrono>
#include <ctime>
#include <filesystem>
#include <memory>

namespace ds::api {

namespace {

// The FID engine of a run that measures FID during training (its logs reach the job's sink;
// its progress, in images, would mix with the steps').
class TrainingFid : public jobs::GeneratedImagesFid {
public:
    TrainingFid(const FidRequest& request, JobSink& sink)
        : TrainingFid(request, std::make_unique<jobs::LogsOnlySink>(sink)) {}

private:
    TrainingFid(const FidRequest& request, std::unique_ptr<jobs::LogsOnlySink> logs)
        : jobs::GeneratedImagesFid(request, *logs), logs_(std::move(logs)) {}
    std::unique_ptr<jobs::LogsOnlySink> logs_;
};

std::shared_ptr<train::SampleQuality> fidEngine(const train::TrainConfig& c, JobSink& sink) {
    if (!c.fid.enabled()) return nullptr;
    FidRequest r;
    r.path2 = c.fid.reference;
    r.features = c.fid.features;
    r.dims = c.fid.dims;
    r.device = c.device;
    r.kid = c.fid.kid;
    return std::make_shared<TrainingFid>(r, sink);
}

TrainResult runTrainer(train::Trainer& trainer, JobSink& sink) {
    const auto start = std::chrono::steady_clock::now();
    trainer.run();
    TrainResult r;
    r.runDir = trainer.runDirectory().path();
    r.step = trainer.step();
    r.totalSteps = trainer.runDirectory().config().steps;
    r.finished = r.step >= r.totalSteps || trainer.reachedTimeLimit();
    r.lastCheckpoint = trainer.lastCheckpoint().value_or("");
    r.seconds = secondsSince(start);
    r.lastLoss = trainer.lastLoss();
    sink.onLog(r.finished ? "finished at step " + std::to_string(r.step)
                          : "stopped at step " + std::to_string(r.step) + " of " + std::to_string(r.totalSteps) +
                                "; continue with: resume " + r.runDir);
    return r;
}

// This process's place in a data-parallel run (null: it trains alone).
std::unique_ptr<train::ProcessGroup> joinGroup(const DistributedRun* dist, const train::TrainConfig& config) {
    if (!dist || !dist->env.present) return nullptr;
    return std::make_unique<train::ProcessGroup>(dist->env, dist->options, parseDevice(config.device));
}

// Rank 0 (or a process training alone) writes the run directory; the other ranks only read it.
bool ownsRunDirectory(const train::ProcessGroup* group) { return !group || group->rank() == 0; }

int worldSizeOf(const DistributedRun* dist) { return dist && dist->env.present ? dist->env.worldSize : 1; }

// The documented rule: the global batch and the data order depend on the number of processes.
void checkSameWorldSize(const std::string& runDir, const train::TrainConfig& config, int worldSize) {
    if (config.worldSize == worldSize) return;
    const auto n = std::to_string(config.worldSize);
    throw fileError(runDir, "was trained by " + n + (config.worldSize == 1 ? " process" : " processes") +
                                " (global batch " + std::to_string(config.globalBatchSize()) + "), not " +
                                std::to_string(worldSize) + "; resume it with as many (--nproc " + n +
                                ", or WORLD_SIZE=" + n +
                                " under a launcher): another count would change "
                                "the global batch and the order of the data");
}

}  // namespace

std::string defaultRunDir() {
    const std::time_t now = std::time(nullptr);
    char buf[64];
    std::strftime(buf, sizeof buf, "runs/%Y%m%d-%H%M%S", std::localtime(&now));
    return buf;
}

TrainResult startTraining(const train::TrainConfig& config, const std::string& runDir, JobSink& sink,
                          const StopToken& stop, const PauseGate* pause, const DistributedRun* dist) {
    auto recorded = config;
    recorded.worldSize = worldSizeOf(dist);
    // A class-conditional run records its classes (config.json, every checkpoint) from the start.
    if (recorded.isConditional() && recorded.conditioning.classNames.empty())
        recorded.setClassNames(train::classNamesOfData(recorded.data));
    recorded.validate();
    const auto group = joinGroup(dist, recorded);
    auto quality = fidEngine(recorded, sink);  // a missing FID reference fails before the run exists
    const bool owner = ownsRunDirectory(group.get());
    const bool folderExisted = std::filesystem::exists(runDir);
    auto run = owner ? train::RunDirectory::create(runDir, recorded) : train::RunDirectory::unwritten(runDir, recorded);
    std::unique_ptr<train::Trainer> trainer;
    try {
        trainer = std::make_unique<train::Trainer>(run, sink, stop, pause, group.get());
        trainer->setSampleQuality(quality);
    } catch (...) {
        if (owner) run.discardUnstarted(folderExisted);
        throw;
    }
    sink.onLog("run directory: " + runDir);
    return runTrainer(*trainer, sink);
}

TrainResult resumeTraining(const std::string& runDir, int64_t newTotalSteps, JobSink& sink, const StopToken& stop,
                           const PauseGate* pause, const DistributedRun* dist) {
    auto run = train::RunDirectory::open(runDir);
    checkSameWorldSize(runDir, run.config(), worldSizeOf(dist));
    const auto group = joinGroup(dist, run.config());
    if (newTotalSteps > 0) {
        auto config = run.config();
        config.steps = newTotalSteps;
        if (ownsRunDirectory(group.get())) run.updateConfig(config);
        else run = train::RunDirectory::unwritten(runDir, config);
    }
    train::Trainer trainer(run, sink, stop, pause, group.get());
    trainer.setSampleQuality(fidEngine(run.config(), sink));
    if (!trainer.restoreLatestCheckpoint()) sink.onLog("no checkpoint yet in " + runDir + ": starting from step 0");
    return runTrainer(trainer, sink);
}

}  // namespace ds::api
