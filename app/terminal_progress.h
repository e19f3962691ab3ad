// SPDX-License-Identifier: GPL-3.0-or-later
// A JobSink for the terminal: a one-line progress bar with rate and ETA on stderr, redrawn at
// most a few times a second, and log lines above it.
#pragma once
#include "core/api/job_sink.h"

#include <chrono>
#include <string>

namespace ds::app {

class TerminalProgress : public api::JobSink {
public:
    explicit TerminalProgress(std::string label, bool enabled = true);
    ~TerminalProgress() override;

    void onProgress(const api::JobProgress& p) override;
    void onLog(const std::string& line) override;
    // Training: the line also shows the smoothed loss and images/s.
    void onMetrics(const api::TrainMetrics& m) override;
    void finish();

private:
    void clearLine();

    std::string label_;
    bool enabled_;
    bool drawn_ = false;
    std::chrono::steady_clock::time_point lastDraw_{};
    std::string status_;    // extra text after the bar
    double lossEma_ = 0.0;  // debiased exponential average of the loss
    double lossWeight_ = 0.0;
};

std::string formatDuration(double seconds);

}  // namespace ds::app
