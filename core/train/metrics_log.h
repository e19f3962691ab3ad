// SPDX-License-Identifier: GPL-3.0-or-later
// metrics.jsonl: one JSON object per logged step, appended as training goes, and one per preview
// grid ({step, preview_seconds, preview_images}: what it cost). On resume the log
// is cut back to the checkpoint's step (and a line half-written by a killed process is dropped),
// so a resumed run has no duplicated or missing steps.
#pragma once
#include <nlohmann/json.hpp>

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace ds::train {

class MetricsLog {
public:
    explicit MetricsLog(std::string path);
    ~MetricsLog();
    MetricsLog(const MetricsLog&) = delete;
    MetricsLog& operator=(const MetricsLog&) = delete;

    void append(const nlohmann::json& record);  // must hold "step"
    void sync();                                // flush + fsync (at checkpoints)

    // Keeps the complete records with step <= lastStep, atomically rewriting the file.
    static void truncateAfter(const std::string& path, int64_t lastStep);
    // Complete records of a log (a partial last line is ignored).
    static std::vector<nlohmann::json> read(const std::string& path);
    // The records of logged training steps (with a loss), without the preview records.
    static std::vector<nlohmann::json> readSteps(const std::string& path);

private:
    std::string path_;
    std::FILE* file_ = nullptr;
};

}  // namespace ds::train
