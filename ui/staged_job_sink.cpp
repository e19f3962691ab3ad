// Diffusion Studio - one progress bar over a job made of several runs.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/staged_job_sink.h"

#include <algorithm>
#include <cmath>

namespace ds::ui {

StagedJobSink::StagedJobSink(api::JobSink& outer, int stages)
    : outer_(outer), stages_(std::max(1, stages)), start_(std::chrono::steady_clock::now()) {}

void StagedJobSink::beginStage(int stage) {
    stage_ = std::clamp(stage, 0, stages_ - 1);
    report(0.0);
}

void StagedJobSink::finish() {
    stage_ = stages_ - 1;
    report(1.0);
}

void StagedJobSink::onProgress(const api::JobProgress& p) {
    report(p.total > 0 ? std::clamp(double(p.done) / double(p.total), 0.0, 1.0) : 0.0);
}

void StagedJobSink::report(double fractionOfStage) {
    const double fraction = (stage_ + fractionOfStage) / stages_;
    api::JobProgress p;
    p.total = 100;
    p.done = std::llround(100 * fraction);
    p.unit = "%";
    p.elapsedSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    p.ratePerSecond = p.elapsedSeconds > 0 ? 100 * fraction / p.elapsedSeconds : 0.0;
    p.etaSeconds = fraction > 0 ? p.elapsedSeconds * (1 - fraction) / fraction : -1.0;
    outer_.onProgress(p);
}

}  // namespace ds::ui
