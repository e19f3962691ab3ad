// The training jobs behind `train`, `resume` and the Train page.
#include "core/api/training.h"

#include "core/train/trainer.h"
#include "core/util/error.h"

#include <chrono>
#include <ctime>

namespace ds::api {

namespace {

TrainResult runTrainer(train::Trainer& trainer, JobSink& sink) {
    const auto start = std::chrono::steady_clock::now();
    trainer.run();
    TrainResult r;
    r.runDir = trainer.runDirectory().path();
    r.step = trainer.step();
    r.totalSteps = trainer.runDirectory().config().steps;
    r.finished = r.step >= r.totalSteps;
    r.lastCheckpoint = trainer.lastCheckpoint().value_or("");
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    r.lastLoss = trainer.lastLoss();
    sink.onLog(r.finished ? "finished at step " + std::to_string(r.step)
                          : "stopped at step " + std::to_string(r.step) + " of " + std::to_string(r.totalSteps) +
                                "; continue with: resume " + r.runDir);
    return r;
}

}  // namespace

std::string defaultRunDir() {
    const std::time_t now = std::time(nullptr);
    char buf[64];
    std::strftime(buf, sizeof buf, "runs/%Y%m%d-%H%M%S", std::localtime(&now));
    return buf;
}

TrainResult startTraining(const train::TrainConfig& config, const std::string& runDir, JobSink& sink,
                          const StopToken& stop, const PauseGate* pause) {
    auto run = train::RunDirectory::create(runDir, config);
    train::Trainer trainer(run, sink, stop, pause);
    sink.onLog("run directory: " + runDir);
    return runTrainer(trainer, sink);
}

TrainResult resumeTraining(const std::string& runDir, int64_t newTotalSteps, JobSink& sink, const StopToken& stop,
                           const PauseGate* pause) {
    auto run = train::RunDirectory::open(runDir);
    if (newTotalSteps > 0) {
        auto config = run.config();
        config.steps = newTotalSteps;
        run.updateConfig(config);
    }
    train::Trainer trainer(run, sink, stop, pause);
    if (!trainer.restoreLatestCheckpoint()) sink.onLog("no checkpoint yet in " + runDir + ": starting from step 0");
    return runTrainer(trainer, sink);
}

}  // namespace ds::api
