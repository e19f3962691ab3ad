// SPDX-License-Identifier: GPL-3.0-or-later
// A sink that passes on a job's log lines and nothing else: for a job run inside another (the
// FID of a sweep's runs, of a training run's samples) whose own progress, in other units, would
// interleave with the outer job's.
#pragma once
#include "core/api/job_sink.h"

namespace ds::jobs {

class LogsOnlySink : public api::JobSink {
public:
    explicit LogsOnlySink(api::JobSink& sink) : sink_(sink) {}
    void onLog(const std::string& line) override { sink_.onLog(line); }

private:
    api::JobSink& sink_;
};

}  // namespace ds::jobs
