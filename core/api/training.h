// Training a diffusion model: the job behind `diffusion-studio-cli train/resume` and the
// app's Train page. Torch-free interface.
#pragma once
#include "core/api/job_sink.h"
#include "core/train/train_config.h"
#include "core/util/pause_gate.h"
#include "core/util/stop_token.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>

namespace ds::api {

struct TrainResult {
    std::string runDir;
    int64_t step = 0;            // optimizer steps done
    int64_t totalSteps = 0;
    bool finished = false;       // reached totalSteps
    std::string lastCheckpoint;
    double seconds = 0.0;        // this session's time
    double lastLoss = 0.0;
};

// A new run in runDir (created; refused when it already holds a run). While `pause` is closed
// the job waits between steps; a stop request saves a checkpoint and returns.
TrainResult startTraining(const train::TrainConfig& config, const std::string& runDir, JobSink& sink,
                          const StopToken& stop, const PauseGate* pause = nullptr);
// Continues a run from its latest checkpoint, to its planned total or to newTotalSteps (> 0).
TrainResult resumeTraining(const std::string& runDir, int64_t newTotalSteps, JobSink& sink, const StopToken& stop,
                           const PauseGate* pause = nullptr);

// runs/<date>-<time> under the current folder.
std::string defaultRunDir();

struct TrainBenchOptions {
    int batch = 32;
    int steps = 5;       // timed steps (after 1 warm-up step)
    std::string device = "cpu";
};
// Images/s (forward + backward + Adam step) and peak memory for
// Unet(dim=32, dim_mults=(1,2,4), channels=1) at 32x32 with lucidrains' defaults.
nlohmann::json benchTrain(const TrainBenchOptions& options);

}  // namespace ds::api
