// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/train/run_directory.h"

#include "core/util/atomic_file.h"
#include "core/util/error.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>

namespace ds::train {

namespace fs = std::filesystem;

RunDirectory::RunDirectory(std::string path, TrainConfig config) : path_(std::move(path)), config_(std::move(config)) {}

std::string RunDirectory::configPath() const { return (fs::path(path_) / "config.json").string(); }
std::string RunDirectory::metricsPath() const { return (fs::path(path_) / "metrics.jsonl").string(); }
std::string RunDirectory::checkpointsDir() const { return (fs::path(path_) / "checkpoints").string(); }
std::string RunDirectory::samplesDir() const { return (fs::path(path_) / "samples").string(); }

std::string RunDirectory::bestCheckpointPath() const { return (fs::path(checkpointsDir()) / "best.pt").string(); }

std::string RunDirectory::checkpointPath(int64_t step) const {
    return (fs::path(checkpointsDir()) / ("step-" + std::to_string(step) + ".pt")).string();
}

std::string RunDirectory::samplePath(int64_t step) const { return samplePath(path_, step); }

std::string RunDirectory::samplePath(const std::string& runDir, int64_t step) {
    return (fs::path(runDir) / "samples" / ("step-" + std::to_string(step) + ".png")).string();
}

void RunDirectory::makeFolders() const {
    std::error_code ec;
    for (const auto& dir : {path_, checkpointsDir(), samplesDir()}) {
        fs::create_directories(dir, ec);
        if (ec) throw fileError(dir, "cannot create the folder (" + ec.message() + ")");
    }
}

RunDirectory RunDirectory::create(const std::string& path, const TrainConfig& config) {
    config.validate();
    RunDirectory run(path, config);
    if (fs::exists(run.configPath()))
        throw fileError(
            path, "already holds a training run; resume it with `resume " + path + "` or choose another --run-dir");
    run.makeFolders();
    run.updateConfig(config);
    return run;
}

void RunDirectory::discardUnstarted(bool keepFolder) const {
    std::error_code ignored;  // fs::remove leaves a folder that is not empty, and says so here
    fs::remove(configPath(), ignored);
    fs::remove(checkpointsDir(), ignored);
    fs::remove(samplesDir(), ignored);
    if (!keepFolder) fs::remove(path_, ignored);
}

RunDirectory RunDirectory::unwritten(const std::string& path, const TrainConfig& config) {
    config.validate();
    return RunDirectory(path, config);
}

RunDirectory RunDirectory::open(const std::string& path) {
    if (!fs::is_directory(path)) throw fileError(path, "is not a folder");
    RunDirectory run(path, TrainConfig{});
    std::ifstream in(run.configPath());
    if (!in) throw fileError(path, "is not a training run (no config.json)");
    try {
        run.config_ = TrainConfig::fromJson(nlohmann::json::parse(in));
        run.config_.validate();
    } catch (const nlohmann::json::exception& e) {
        throw fileError(run.configPath(), std::string("unreadable: ") + e.what());
    } catch (const Error& e) {
        throw fileError(run.configPath(), e.what());
    }
    run.makeFolders();
    return run;
}

void RunDirectory::updateConfig(const TrainConfig& config) {
    config.validate();
    config_ = config;
    writeFileAtomically(configPath(), config.toJson().dump(2) + "\n");
}

namespace {

// The step in a file name step-<N><extension>, or -1 for other names.
int64_t stepOfName(const std::string& file, const std::string& extension) {
    const std::string prefix = "step-";
    if (file.size() <= prefix.size() + extension.size() || file.compare(0, prefix.size(), prefix) != 0 ||
        file.compare(file.size() - extension.size(), extension.size(), extension) != 0)
        return -1;
    const std::string digits = file.substr(prefix.size(), file.size() - prefix.size() - extension.size());
    if (digits.size() > 18 || !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return -1;
    return std::stoll(digits);
}

// The files step-<N><extension> of a folder, by step, ascending.
std::vector<std::pair<int64_t, std::string>> stepFiles(const std::string& dir, const std::string& extension) {
    std::vector<std::pair<int64_t, std::string>> found;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
        const int64_t step = stepOfName(entry.path().filename().string(), extension);
        if (step >= 0 && entry.is_regular_file()) found.emplace_back(step, entry.path().string());
    }
    std::sort(found.begin(), found.end());
    return found;
}

}  // namespace

std::vector<std::pair<int64_t, std::string>> RunDirectory::checkpoints() const {
    return stepFiles(checkpointsDir(), ".pt");
}

std::vector<std::pair<int64_t, std::string>> RunDirectory::samples() const { return stepFiles(samplesDir(), ".png"); }

std::optional<std::string> RunDirectory::latestCheckpoint() const {
    const auto all = checkpoints();
    if (all.empty()) return std::nullopt;
    return all.back().second;
}

void RunDirectory::pruneCheckpoints(int keepLast) const {
    const auto all = checkpoints();
    for (size_t i = 0; i + static_cast<size_t>(keepLast) < all.size(); ++i) std::remove(all[i].second.c_str());
}

}  // namespace ds::train
