// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/util/progress_meter.h"

#include "core/util/elapsed.h"

namespace ds {

ProgressMeter::ProgressMeter(int64_t total, std::string unit)
    : total_(total), unit_(std::move(unit)), start_(std::chrono::steady_clock::now()) {}

double ProgressMeter::elapsedSeconds() const { return secondsSince(start_); }

api::JobProgress ProgressMeter::at(int64_t done) const {
    api::JobProgress p;
    p.done = done;
    p.total = total_;
    p.unit = unit_;
    p.elapsedSeconds = elapsedSeconds();
    if (done > 0 && p.elapsedSeconds > 0) {
        p.ratePerSecond = static_cast<double>(done) / p.elapsedSeconds;
        p.etaSeconds = static_cast<double>(total_ - done) / p.ratePerSecond;
    }
    return p;
}

}  // namespace ds
