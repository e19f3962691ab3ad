// SPDX-License-Identifier: GPL-3.0-or-later
// The app's multi-process training: launches diffusion-studio-cli ranks with our launcher and
// follows rank 0 through its event file (EventFileSink / EventFileReader). Torch-free.
#include "core/api/event_file_reader.h"
#include "core/api/run_info.h"
#include "core/jobs/train_jobs.h"
#include "core/util/atomic_file.h"
#include "core/util/elapsed.h"
#include "core/util/error.h"

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>

namespace ds::api {

namespace {

namespace fs = std::filesystem;

// A private folder for the workers' config, event file and logs, removed afterwards.
class ScratchFolder {
public:
    ScratchFolder() {
        std::string pattern = (fs::temp_directory_path() / "diffusion-studio-ranks-XXXXXX").string();
        if (!mkdtemp(pattern.data())) throw Error("cannot create a temporary folder for the training processes");
        path_ = pattern;
    }
    ~ScratchFolder() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    std::string file(const std::string& name) const { return (fs::path(path_) / name).string(); }
    const std::string& path() const { return path_; }

private:
    std::string path_;
};

TrainResult runRanks(std::vector<std::string> args, const std::string& runDir, const TrainingProcesses& processes,
                     const ScratchFolder& scratch, JobSink& sink, const StopToken& stop) {
    if (processes.nproc < 2) throw Error("a multi-process run needs 2 or more processes");
    if (access(processes.program.c_str(), X_OK) != 0)
        throw fileError(processes.program,
                        "cannot be run; the ranks of a multi-process run are this program "
                        "(diffusion-studio-cli, installed beside the app)");
    const auto start = std::chrono::steady_clock::now();
    const auto events = scratch.file("events.jsonl");
    args.insert(args.end(), {"--events", events});
    EventFileReader reader(events, runDir);
    LocalLaunch launch{args, processes.nproc, processes.program, 30.0, scratch.path(), [&] { reader.poll(sink); }};
    const auto outcome = launchLocalWorkers(launch, sink, stop);
    reader.poll(sink);  // what rank 0 wrote last
    if (outcome.exitCode != 0 && outcome.exitCode != 130) throw Error(outcome.message);

    const auto info = inspectRun(runDir);
    TrainResult r;
    r.runDir = runDir;
    r.totalSteps = info.totalSteps;
    r.step = info.checkpoints.empty() ? 0 : info.checkpoints.back().first;
    r.finished = r.step >= r.totalSteps;
    r.lastCheckpoint = info.checkpoints.empty() ? std::string() : info.checkpoints.back().second;
    r.lastLoss = info.metrics.empty() ? 0.0 : info.metrics.back().loss;
    r.seconds = secondsSince(start);
    sink.onLog(r.finished ? "finished at step " + std::to_string(r.step) + " (" + std::to_string(processes.nproc) +
                                " processes)"
                          : "stopped at step " + std::to_string(r.step) + " of " + std::to_string(r.totalSteps));
    return r;
}

}  // namespace

TrainResult startTrainingProcesses(const train::TrainConfig& config, const std::string& runDir,
                                   const TrainingProcesses& processes, JobSink& sink, const StopToken& stop) {
    config.validate();
    ScratchFolder scratch;
    const auto configFile = scratch.file("config.json");
    writeFileAtomically(configFile, config.toJson().dump(2) + "\n");
    return runRanks({"train", "--config", configFile, "--run-dir", runDir}, runDir, processes, scratch, sink, stop);
}

TrainResult resumeTrainingProcesses(const std::string& runDir, int64_t newTotalSteps,
                                    const TrainingProcesses& processes, JobSink& sink, const StopToken& stop) {
    ScratchFolder scratch;
    std::vector<std::string> args{"resume", runDir};
    if (newTotalSteps > 0) args.insert(args.end(), {"--steps", std::to_string(newTotalSteps)});
    return runRanks(args, runDir, processes, scratch, sink, stop);
}

}  // namespace ds::api
