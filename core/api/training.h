// SPDX-License-Identifier: GPL-3.0-or-later
// Training a diffusion or flow model: the job behind `diffusion-studio-cli train/resume` and the
// app's Train page. Torch-free interface; the command line and the tests start runs from a
// whole run configuration through core/jobs/train_jobs.h.
#pragma once
#include "core/api/distributed.h"
#include "core/api/job_sink.h"
#include "core/api/train_form.h"
#include "core/util/pause_gate.h"
#include "core/util/stop_token.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace ds::api {

struct TrainResult {
    std::string runDir;
    int64_t step = 0;  // optimizer steps done
    int64_t totalSteps = 0;
    bool finished = false;  // reached totalSteps
    std::string lastCheckpoint;
    double seconds = 0.0;  // this session's time
    double lastLoss = 0.0;
};

// A new run of the form's configuration (resolveTrainForm) in runDir (created; refused when it
// already holds a run). While `pause` is closed the job waits between steps; a stop request
// saves a checkpoint and returns.
TrainResult startTraining(const TrainForm& form, const std::string& runDir, JobSink& sink, const StopToken& stop,
                          const PauseGate* pause = nullptr);
// Continues a run from its latest checkpoint, to its planned total or to newTotalSteps (> 0).
// A data-parallel run resumes with the number of processes it was started with (ds::Error
// otherwise); every rank reads the run directory, so it must be on a file system all ranks see.
TrainResult resumeTraining(const std::string& runDir, int64_t newTotalSteps, JobSink& sink, const StopToken& stop,
                           const PauseGate* pause = nullptr, const DistributedRun* dist = nullptr);

// A data-parallel run of `nproc` local processes of `program` (diffusion-studio-cli, which the
// app ships beside itself), followed from this process: rank 0's progress, metrics (global
// images/s), logs and previews reach `sink` as they happen. A stop request stops every rank at
// the same step with a checkpoint; a failing rank ends the job with ds::Error naming it.
struct TrainingProcesses {
    std::string program;
    int nproc = 2;
};
TrainResult startTrainingProcesses(const TrainForm& form, const std::string& runDir, const TrainingProcesses& processes,
                                   JobSink& sink, const StopToken& stop);
TrainResult resumeTrainingProcesses(const std::string& runDir, int64_t newTotalSteps,
                                    const TrainingProcesses& processes, JobSink& sink, const StopToken& stop);

// runs/<date>-<time> under the current folder.
std::string defaultRunDir();

struct TrainBenchOptions {
    int batch = 32;  // per process
    int steps = 5;   // timed steps (after 1 warm-up step)
    std::string device = "cpu";
    std::string reportFile;  // a rank's report goes here (rank 0 of `bench train --nproc N` workers)
};
// Images/s (forward + backward + Adam step) and peak memory for
// Unet(dim=32, dim_mults=(1,2,4), channels=1) at 32x32 with lucidrains' defaults. With dist, this
// process is one rank: gradients are averaged as in training and images/s counts every rank's.
nlohmann::json benchTrain(const TrainBenchOptions& options, const DistributedRun* dist = nullptr);

// `bench train --nproc N`: one process with all the threads, one with threads / N, then N
// processes of threads / N each (launched as workerArgs, to which `--report FILE` is added).
// Scaling efficiency = N-process images/s / (N x one process with threads / N).
nlohmann::json benchTrainScaling(const TrainBenchOptions& options, int nproc, std::vector<std::string> workerArgs,
                                 JobSink& sink, const StopToken& stop);

}  // namespace ds::api
