// SPDX-License-Identifier: GPL-3.0-or-later
#include "app/terminal_progress.h"

#include <cmath>
#include <cstdio>

namespace ds::app {

std::string formatDuration(double seconds) {
    if (seconds < 0) return "?";
    const long s = std::lround(seconds);
    char buf[32];
    if (s >= 3600) std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", s / 3600, (s / 60) % 60, s % 60);
    else std::snprintf(buf, sizeof buf, "%ld:%02ld", s / 60, s % 60);
    return buf;
}

TerminalProgress::TerminalProgress(std::string label, bool enabled) : label_(std::move(label)), enabled_(enabled) {}

TerminalProgress::~TerminalProgress() { finish(); }

void TerminalProgress::clearLine() {
    if (drawn_) std::fprintf(stderr, "\r\033[K");
    drawn_ = false;
}

void TerminalProgress::onProgress(const api::JobProgress& p) {
    if (!enabled_) return;
    const auto now = std::chrono::steady_clock::now();
    if (p.done < p.total && now - lastDraw_ < std::chrono::milliseconds(200)) return;
    lastDraw_ = now;
    const double fraction = p.total > 0 ? double(p.done) / double(p.total) : 0.0;
    const int width = 28;
    const int filled = static_cast<int>(fraction * width);
    std::string bar(static_cast<size_t>(filled), '#');
    bar.resize(width, '.');
    clearLine();
    std::fprintf(stderr, "%s [%s] %3d%% %lld/%lld %s, %.2f %s/s%s, elapsed %s, ETA %s", label_.c_str(), bar.c_str(),
                 static_cast<int>(fraction * 100), static_cast<long long>(p.done), static_cast<long long>(p.total),
                 p.unit.c_str(), p.ratePerSecond, p.unit.c_str(), status_.c_str(),
                 formatDuration(p.elapsedSeconds).c_str(), formatDuration(p.etaSeconds).c_str());
    std::fflush(stderr);
    drawn_ = true;
}

void TerminalProgress::onLog(const std::string& line) {
    clearLine();
    std::fprintf(stderr, "%s\n", line.c_str());
}

void TerminalProgress::onMetrics(const api::TrainMetrics& m) {
    constexpr double kBeta = 0.98;
    lossEma_ = kBeta * lossEma_ + (1 - kBeta) * m.loss;
    lossWeight_ = kBeta * lossWeight_ + (1 - kBeta);
    char buf[96];
    std::snprintf(buf, sizeof buf, ", loss %.4f, %.1f img/s", lossEma_ / lossWeight_, m.imagesPerSecond);
    status_ = buf;
}

void TerminalProgress::finish() {
    if (drawn_) std::fprintf(stderr, "\n");
    drawn_ = false;
}

}  // namespace ds::app
