// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/api/event_file_sink.h"

#include "core/util/error.h"

#include <nlohmann/json.hpp>

namespace ds::api {

EventFileSink::EventFileSink(const std::string& path) : path_(path), out_(path, std::ios::app) {
    if (!out_) throw fileError(path, "cannot open for writing events");
}

void EventFileSink::write(const std::string& line) {
    out_ << line << '\n';
    out_.flush();  // a follower sees every report as it happens
    if (!out_) throw fileError(path_, "cannot write events");
}

void EventFileSink::onProgress(const JobProgress& p) {
    write(nlohmann::json{{"progress",
                          {{"done", p.done},
                           {"total", p.total},
                           {"unit", p.unit},
                           {"elapsed", p.elapsedSeconds},
                           {"eta", p.etaSeconds},
                           {"rate", p.ratePerSecond}}}}
              .dump());
}

void EventFileSink::onLog(const std::string& line) { write(nlohmann::json{{"log", line}}.dump()); }

void EventFileSink::onMetrics(const TrainMetrics& m) {
    // NaN (an empty loss-by-timestep bucket) becomes null.
    write(nlohmann::json{{"metrics",
                          {{"step", m.step},
                           {"total", m.totalSteps},
                           {"loss", m.loss},
                           {"lr", m.lr},
                           {"grad_norm", m.gradNorm},
                           {"images_per_sec", m.imagesPerSecond},
                           {"wall_time", m.wallSeconds},
                           {"epoch", m.epoch},
                           {"loss_by_t", m.lossByTimestep}}}}
              .dump());
}

void EventFileSink::onPreview(int64_t step, const Image& /*grid*/, double seconds) {
    write(nlohmann::json{{"preview", step}, {"seconds", seconds}}.dump());
}

void EventFileSink::onFid(const TrainFid& f) {
    nlohmann::json fid{{"step", f.step},
                       {"value", f.value},
                       {"label", f.label},
                       {"samples", f.samples},
                       {"seconds", f.seconds},
                       {"wall_time", f.wallSeconds},
                       {"train_seconds", f.trainSeconds},
                       {"best", f.best}};
    if (f.hasKid) {
        fid["kid"] = f.kid;
        fid["kid_std"] = f.kidStd;
    }
    write(nlohmann::json{{"fid", fid}}.dump());
}

}  // namespace ds::api
