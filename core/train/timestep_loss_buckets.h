// SPDX-License-Identifier: GPL-3.0-or-later
// Loss by timestep: the diffusion loss of a batch mixes easy (large t) and hard (small t)
// timesteps, so its mean moves little while the model improves; the mean loss within each
// tenth of [0, T) shows the real progress. Accumulates per-sample losses into equal buckets of t.
#pragma once
#include <cstdint>
#include <vector>

namespace ds::train {

class TimestepLossBuckets {
public:
    static constexpr int kDefaultBuckets = 10;

    TimestepLossBuckets(int64_t timesteps, int buckets = kDefaultBuckets);

    void add(const float* losses, const int64_t* timesteps, int64_t count);
    // Mean loss of each bucket; NaN for a bucket that received no sample.
    std::vector<double> means() const;
    void reset();
    int bucketOf(int64_t t) const;

private:
    int64_t timesteps_;
    std::vector<double> sums_;
    std::vector<int64_t> counts_;
};

}  // namespace ds::train
