// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/train/metrics_log.h"

#include "core/util/atomic_file.h"
#include "core/util/error.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

namespace ds::train {

MetricsLog::MetricsLog(std::string path) : path_(std::move(path)) {
    file_ = std::fopen(path_.c_str(), "a");
    if (!file_) throw fileError(path_, std::string("cannot open for appending: ") + std::strerror(errno));
}

MetricsLog::~MetricsLog() {
    if (file_) std::fclose(file_);
}

void MetricsLog::append(const nlohmann::json& record) {
    const std::string line = record.dump() + "\n";
    if (std::fwrite(line.data(), 1, line.size(), file_) != line.size() || std::fflush(file_) != 0)
        throw fileError(path_, std::string("write failed: ") + std::strerror(errno));
}

void MetricsLog::sync() {
    if (std::fflush(file_) != 0 || ::fsync(fileno(file_)) != 0)
        throw fileError(path_, std::string("sync failed: ") + std::strerror(errno));
}

std::vector<nlohmann::json> MetricsLog::read(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::vector<nlohmann::json> records;
    if (!in) return records;
    std::string content((std::istreambuf_iterator<char>(in)), {});
    size_t start = 0;
    while (start < content.size()) {
        const size_t end = content.find('\n', start);
        if (end == std::string::npos) break;  // a line cut by a kill: not a record
        auto j = nlohmann::json::parse(content.begin() + static_cast<long>(start),
                                       content.begin() + static_cast<long>(end), nullptr, /*allow_exceptions=*/false);
        if (!j.is_discarded() && j.is_object() && j.contains("step")) records.push_back(std::move(j));
        start = end + 1;
    }
    return records;
}

void MetricsLog::truncateAfter(const std::string& path, int64_t lastStep) {
    std::string kept;
    for (const auto& r : read(path))
        if (r["step"].get<int64_t>() <= lastStep) kept += r.dump() + "\n";
    writeFileAtomically(path, kept);
}

std::vector<nlohmann::json> MetricsLog::readSteps(const std::string& path) {
    std::vector<nlohmann::json> steps;
    for (auto& r : read(path))
        if (r.contains("loss")) steps.push_back(std::move(r));
    return steps;
}

}  // namespace ds::train
