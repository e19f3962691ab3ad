// SPDX-License-Identifier: GPL-3.0-or-later
// `diffusion-studio-cli bench quality`: the Fréchet distance a preset reaches against minutes of
// training, through the trainer's own timed FID (TrainConfig::fid.everySeconds, maxSeconds).
#include "core/api/benchmarks.h"
#include "core/jobs/train_jobs.h"
#include "core/train/train_config.h"
#include "core/util/error.h"
#include "core/util/progress_meter.h"

#include <ATen/Parallel.h>

#include <cmath>
#include <filesystem>
#include <optional>
#include <random>

namespace ds::api {

namespace {

namespace fs = std::filesystem;

// Passes the trainer's log on and keeps its measurements; progress in measurements.
class QualityPoints : public JobSink {
public:
    QualityPoints(JobSink& outer, int64_t expected) : outer_(outer), meter_(expected, "measurements") {}
    void onLog(const std::string& line) override { outer_.onLog(line); }
    void onFid(const TrainFid& fid) override {
        points_.push_back(fid);
        outer_.onProgress(meter_.at(int64_t(points_.size())));
    }
    const std::vector<TrainFid>& points() const { return points_; }

private:
    JobSink& outer_;
    ProgressMeter meter_;
    std::vector<TrainFid> points_;
};

// A fresh folder for a run nobody keeps.
fs::path temporaryRunDir() {
    std::random_device random;
    for (int attempt = 0; attempt < 100; ++attempt) {
        const auto dir = fs::temp_directory_path() / ("ds-bench-quality-" + std::to_string(random()));
        std::error_code ec;
        if (!fs::exists(dir, ec)) return dir;
    }
    throw Error("cannot find a free temporary folder for the benchmark's run");
}

}  // namespace

nlohmann::json benchQuality(const QualityBenchOptions& o, JobSink& sink, const StopToken& stop) {
    if (!(o.minutes > 0.0)) throw Error("--minutes must be positive");
    if (!(o.fidEveryMinutes > 0.0)) throw Error("--fid-every-minutes must be positive");
    auto config = train::TrainConfig::fromPreset(o.preset);
    if (config.isFlow()) throw Error("bench quality measures the diffusion presets (tiny, lsun64, lsun128)");
    config.data = "fashion-mnist";
    config.steps = int64_t(1) << 40;  // the time limit ends it
    config.maxSeconds = o.minutes * 60.0;
    config.lr.kind = "constant";
    config.saveEvery = config.steps;  // one checkpoint, at the end
    config.sampleEvery = 0;
    config.sampleSampler = o.sampler;
    config.sampleSteps = o.steps;
    config.fid.everySeconds = o.fidEveryMinutes * 60.0;
    config.fid.samples = o.samples;
    config.fid.reference = o.reference;
    config.fid.features = o.features;
    config.seed = o.seed;
    config.device = o.device;
    config.validate();

    const bool temporary = o.runDir.empty();
    const fs::path runDir = temporary ? temporaryRunDir() : fs::path(o.runDir);
    const int64_t expected = int64_t(std::ceil(o.minutes / o.fidEveryMinutes - 1e-9));
    QualityPoints points(sink, expected);
    std::optional<std::string> failure;
    TrainResult result;
    try {
        result = startTraining(config, runDir.string(), points, stop);
    } catch (const std::exception& e) {
        failure = e.what();
    }
    if (temporary) {
        std::error_code ec;
        fs::remove_all(runDir, ec);
    }
    if (failure) throw Error(*failure);

    nlohmann::json list = nlohmann::json::array();
    for (const auto& p : points.points())
        list.push_back({{"minutes", p.trainSeconds / 60.0},
                        {"train_seconds", p.trainSeconds},
                        {"wall_seconds", p.wallSeconds},
                        {"step", p.step},
                        {"fd", p.value},
                        {"fd_seconds", p.seconds}});
    return {{"benchmark", "quality"},
            {"implementation", "diffusion-studio"},
            {"preset", o.preset},
            {"minutes", o.minutes},
            {"fid_every_minutes", o.fidEveryMinutes},
            {"samples", o.samples},
            {"sampler", samplerName(o.sampler)},
            {"steps", o.steps},
            {"reference", o.reference},
            {"features", o.features},
            {"label", points.points().empty() ? std::string() : points.points().front().label},
            {"batch_size", config.batchSize},
            {"lr", config.lr.lr},
            {"seed", o.seed},
            {"threads", at::get_num_threads()},
            {"stopped", stop.stopRequested()},
            {"final_step", result.step},
            {"points", list}};
}

}  // namespace ds::api
