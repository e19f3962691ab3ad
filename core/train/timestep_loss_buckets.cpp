// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/train/timestep_loss_buckets.h"

#include "core/util/error.h"

#include <algorithm>
#include <limits>

namespace ds::train {

TimestepLossBuckets::TimestepLossBuckets(int64_t timesteps, int buckets)
    : timesteps_(timesteps), sums_(std::max(1, buckets), 0.0), counts_(std::max(1, buckets), 0) {
    if (timesteps < 1) throw Error("timestep buckets need at least one timestep");
}

int TimestepLossBuckets::bucketOf(int64_t t) const {
    const int64_t n = int64_t(sums_.size());
    return int(std::clamp<int64_t>(t * n / timesteps_, 0, n - 1));
}

void TimestepLossBuckets::add(const float* losses, const int64_t* timesteps, int64_t count) {
    for (int64_t i = 0; i < count; ++i) {
        const int b = bucketOf(timesteps[i]);
        sums_[b] += losses[i];
        ++counts_[b];
    }
}

std::vector<double> TimestepLossBuckets::means() const {
    std::vector<double> out(sums_.size(), std::numeric_limits<double>::quiet_NaN());
    for (size_t b = 0; b < sums_.size(); ++b)
        if (counts_[b] > 0) out[b] = sums_[b] / double(counts_[b]);
    return out;
}

void TimestepLossBuckets::reset() {
    std::fill(sums_.begin(), sums_.end(), 0.0);
    std::fill(counts_.begin(), counts_.end(), 0);
}

}  // namespace ds::train
