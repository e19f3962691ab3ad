// SPDX-License-Identifier: GPL-3.0-or-later
// A training run on disk: config.json, metrics.jsonl, checkpoints/step-N.pt (atomic, the last
// N kept), samples/step-N.png. Resume = open the folder.
#pragma once
#include "core/train/train_config.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ds::train {

class RunDirectory {
public:
    // A new run: the folder must not hold a run already (config.json). Writes config.json.
    static RunDirectory create(const std::string& path, const TrainConfig& config);
    // An existing run; throws ds::Error naming the folder when it is not a run of this format.
    static RunDirectory open(const std::string& path);
    // The run as a rank other than 0 of a data-parallel run sees a new one: the path and the
    // configuration, with nothing written (rank 0 creates the folder; the folder may be on
    // another machine).
    static RunDirectory unwritten(const std::string& path, const TrainConfig& config);

    const std::string& path() const { return path_; }
    const TrainConfig& config() const { return config_; }
    void updateConfig(const TrainConfig& config);  // e.g. resume with a new total of steps

    // Undoes create() for a run that never started (its trainer could not be built: unreadable
    // data, a missing device), so that a mistyped --data leaves no half-made run behind: removes
    // config.json, then the folders create() made while they are empty; the run's own folder
    // too unless `keepFolder` (it existed before). Never removes anything else.
    void discardUnstarted(bool keepFolder) const;

    std::string configPath() const;
    std::string metricsPath() const;
    std::string checkpointsDir() const;
    std::string samplesDir() const;
    std::string checkpointPath(int64_t step) const;
    std::string bestCheckpointPath() const;  // checkpoints/best.pt: the lowest FID's weights
    std::string samplePath(int64_t step) const;
    static std::string samplePath(const std::string& runDir, int64_t step);  // for readers of a run

    std::vector<std::pair<int64_t, std::string>> checkpoints() const;  // by step, ascending
    std::vector<std::pair<int64_t, std::string>> samples() const;      // preview grids, by step
    std::optional<std::string> latestCheckpoint() const;
    void pruneCheckpoints(int keepLast) const;

private:
    RunDirectory(std::string path, TrainConfig config);
    void makeFolders() const;

    std::string path_;
    TrainConfig config_;
};

}  // namespace ds::train
