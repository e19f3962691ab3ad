// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/data/load_failures.h"

#include "core/util/error.h"

namespace ds::data {

LoadFailures::LoadFailures(ScanReport scan, size_t count, size_t reportedNames)
    : reportedNames_(reportedNames), report_(std::move(scan)), failed_(count, false) {}

api::Image LoadFailures::loadWithFallback(size_t index, const std::function<api::Image(size_t)>& loadOne,
                                          const std::string& sourceName) const {
    const size_t count = failed_.size();  // fixed after construction
    for (size_t step = 0; step < count; ++step) {
        const size_t candidate = (index + step) % count;
        if (hasFailed(candidate)) continue;
        try {
            return loadOne(candidate);
        } catch (const Error& e) {
            recordFailure(candidate, e.what());
        }
    }
    throw fileError(sourceName, "no readable images left (every image failed to load)");
}

bool LoadFailures::hasFailed(size_t index) const {
    std::lock_guard<std::mutex> lock(mutex_);
    return failed_[index];
}

void LoadFailures::recordFailure(size_t index, const std::string& problem) const {
    std::lock_guard<std::mutex> lock(mutex_);
    if (failed_[index]) return;  // another worker got there first
    failed_[index] = true;
    --report_.images;
    ++report_.skipped;
    if (report_.firstSkipped.size() < reportedNames_) report_.firstSkipped.push_back(problem);
}

ScanReport LoadFailures::report() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return report_;
}

}  // namespace ds::data
