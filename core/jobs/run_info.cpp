// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/api/run_info.h"

#include "core/train/metrics_log.h"
#include "core/train/run_directory.h"

#include <filesystem>
#include <limits>

namespace ds::api {

namespace {

double number(const nlohmann::json& record, const char* key) {
    const auto it = record.find(key);
    if (it == record.end() || !it->is_number()) return std::numeric_limits<double>::quiet_NaN();
    return it->get<double>();
}

TrainMetrics metricsOf(const nlohmann::json& record, int64_t totalSteps) {
    TrainMetrics m;
    m.step = record.value("step", int64_t(0));
    m.totalSteps = totalSteps;
    m.loss = number(record, "loss");
    m.lr = number(record, "lr");
    m.gradNorm = number(record, "grad_norm");
    m.imagesPerSecond = number(record, "images_per_sec");
    m.wallSeconds = number(record, "wall_time");
    m.epoch = record.value("epoch", int64_t(0));
    if (const auto it = record.find("loss_by_t"); it != record.end() && it->is_array())
        for (const auto& v : *it)
            m.lossByTimestep.push_back(v.is_number() ? v.get<double>() : std::numeric_limits<double>::quiet_NaN());
    return m;
}

}  // namespace

bool isRunDirectory(const std::string& path) {
    std::error_code ec;
    return std::filesystem::is_regular_file(std::filesystem::path(path) / "config.json", ec);
}

RunInfo inspectRun(const std::string& path) {
    const auto run = train::RunDirectory::open(path);
    RunInfo info;
    info.path = run.path();
    info.config = run.config().toJson();
    info.data = run.config().data;
    info.preset = run.config().preset;
    info.totalSteps = run.config().steps;
    for (const auto& record : train::MetricsLog::read(run.metricsPath())) {
        if (!record.contains("step") || record.contains("error")) continue;
        if (record.contains("loss")) info.metrics.push_back(metricsOf(record, info.totalSteps));
        else if (const auto it = record.find("preview_seconds"); it != record.end() && it->is_number())
            info.previewSeconds.emplace_back(record.at("step").get<int64_t>(), it->get<double>());
        else if (const auto f = record.find("fid"); f != record.end() && f->is_number()) {
            TrainFid fid;
            fid.step = record.at("step").get<int64_t>();
            fid.value = f->get<double>();
            fid.label = record.value("fid_label", std::string("FID"));
            fid.samples = record.value("fid_samples", 0);
            fid.seconds = record.value("fid_seconds", 0.0);
            fid.wallSeconds = record.value("fid_wall_time", 0.0);
            fid.trainSeconds = record.value("fid_train_seconds", 0.0);
            fid.best = record.value("fid_best", false);
            if (const auto k = record.find("kid"); k != record.end() && k->is_number()) {
                fid.hasKid = true;
                fid.kid = k->get<double>();
                fid.kidStd = record.value("kid_std", 0.0);
            }
            info.fids.push_back(fid);
        }
    }
    if (!info.metrics.empty()) info.lastLoggedStep = info.metrics.back().step;
    info.samples = run.samples();
    info.checkpoints = run.checkpoints();
    if (std::error_code ec; std::filesystem::is_regular_file(run.bestCheckpointPath(), ec))
        info.bestCheckpoint = run.bestCheckpointPath();
    return info;
}

}  // namespace ds::api
