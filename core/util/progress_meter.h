// SPDX-License-Identifier: GPL-3.0-or-later
// Elapsed time, rate and ETA of a counted job, for JobSink progress events.
#pragma once
#include "core/api/job_sink.h"

#include <chrono>
#include <string>

namespace ds {

class ProgressMeter {
public:
    ProgressMeter(int64_t total, std::string unit);
    // Progress after `done` units (rate over the whole run so far).
    api::JobProgress at(int64_t done) const;
    double elapsedSeconds() const;
    // For jobs whose amount of work grows as they go (an import replacing corrupt entries).
    void setTotal(int64_t total) { total_ = total; }

private:
    int64_t total_;
    std::string unit_;
    std::chrono::steady_clock::time_point start_;
};

}  // namespace ds
