// SPDX-License-Identifier: GPL-3.0-or-later
// The skip-and-continue policy of sources whose images can turn out unreadable only when
// loaded (an image folder checked by signature, an LMDB whose values are decoded on demand):
// a failed image is recorded once, reported, and replaced by the next readable one in index
// order, so that one bad image never stops a long training run.
#pragma once
#include "core/api/image.h"

#include <cstddef>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

namespace ds::data {

// What opening a source found, plus what failed since.
struct ScanReport {
    size_t images = 0;                      // usable images
    size_t skipped = 0;                     // left out: not images, unreadable, corrupt
    std::vector<std::string> firstSkipped;  // "name: problem" of the first few
};

class LoadFailures {
public:
    // `scan`: the findings at opening, for `count` usable images. Names the first
    // `reportedNames` problems.
    LoadFailures(ScanReport scan, size_t count, size_t reportedNames);

    // loadOne(index), or loadOne of the next index (wrapping) whose image has not failed yet;
    // each ds::Error loadOne throws marks that index failed. Thread-safe. Throws ds::Error
    // "<sourceName>: no readable images left ..." when every image has failed.
    api::Image loadWithFallback(size_t index, const std::function<api::Image(size_t)>& loadOne,
                                const std::string& sourceName) const;

    ScanReport report() const;

private:
    bool hasFailed(size_t index) const;
    void recordFailure(size_t index, const std::string& problem) const;

    size_t reportedNames_;
    mutable std::mutex mutex_;  // guards report_ and failed_
    mutable ScanReport report_;
    mutable std::vector<bool> failed_;
};

}  // namespace ds::data
