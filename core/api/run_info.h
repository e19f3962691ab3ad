// SPDX-License-Identifier: GPL-3.0-or-later
// A training run directory as the app shows it: its configuration, the logged metrics, the
// preview grids and the checkpoints. Torch-free; reading never modifies the run.
#pragma once
#include "core/api/job_sink.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace ds::api {

struct RunInfo {
    std::string path;
    nlohmann::json config;  // config.json
    std::string data;       // what it trains on
    std::string preset;
    int64_t totalSteps = 0;
    int64_t lastLoggedStep = 0;
    std::vector<TrainMetrics> metrics;                         // metrics.jsonl, in order
    std::vector<std::pair<int64_t, std::string>> samples;      // samples/step-N.png by step
    std::vector<std::pair<int64_t, std::string>> checkpoints;  // checkpoints/step-N.pt by step
    std::vector<std::pair<int64_t, double>> previewSeconds;    // what each preview cost, by step
    std::vector<TrainFid> fids;                                // FID during training, by step
    std::string bestCheckpoint;                                // checkpoints/best.pt, when there is one
};

// True when `path` is a folder holding a run's config.json.
bool isRunDirectory(const std::string& path);

// Throws ds::Error naming the folder when it is not a run of this format.
RunInfo inspectRun(const std::string& path);

}  // namespace ds::api
