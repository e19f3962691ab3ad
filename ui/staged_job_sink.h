// Diffusion Studio - one progress bar over a job made of several runs.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "core/api/job_sink.h"

#include <chrono>

namespace ds::ui {

// Forwards a job's reports to `outer`, turning the progress of stage i of n (each a core job
// with its own units) into one percentage of the whole with an ETA, so that a job that trains
// and samples several configurations shows one bar that never runs backwards.
class StagedJobSink : public api::JobSink {
public:
    StagedJobSink(api::JobSink& outer, int stages);

    void beginStage(int stage);  // 0-based; reports the stage's start
    void finish();               // reports the whole job done
    void onProgress(const api::JobProgress& progress) override;
    void onLog(const std::string& line) override { outer_.onLog(line); }

private:
    void report(double fractionOfStage);

    api::JobSink& outer_;
    int stages_;
    int stage_ = 0;
    std::chrono::steady_clock::time_point start_;
};

}  // namespace ds::ui
