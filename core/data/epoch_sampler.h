// SPDX-License-Identifier: GPL-3.0-or-later
// Which images form each batch: a pure function of (seed, epoch, position), with no state and
// no dependence on thread timing, so that two runs with one seed, and a run resumed from a saved
// position, see identical batches. Also the sharding seam: with several processes each rank
// reads its own disjoint share of every epoch.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace ds::data {

struct SamplerOptions {
    int64_t batchSize = 32;
    uint64_t seed = 0;
    bool horizontalFlip = false;  // mirror about half of the images, chosen per (seed, epoch, slot)
    int rank = 0;                 // this process's share, 0..worldSize-1
    int worldSize = 1;            // processes reading the same data
};

// A permutation of 0..count-1 that depends only on (seed, stream): std::mt19937_64 seeded
// through std::seed_seq, shuffled by our own Fisher-Yates (std::shuffle and the std
// distributions differ between standard libraries; this does not).
std::vector<int64_t> seededPermutation(size_t count, uint64_t seed, uint64_t stream);

class EpochSampler {
public:
    struct Pick {
        int64_t index = 0;  // into the ImageSource
        bool flip = false;  // mirror left-right
    };

    // Throws ds::Error for a bad batch size or rank, or when a rank would get no full batch.
    EpochSampler(size_t datasetSize, SamplerOptions options);

    // Epoch e is seededPermutation(datasetSize, seed, e). Rank r takes the
    // slots r, r + worldSize, r + 2 worldSize, ... of it (as PyTorch's DistributedSampler); the
    // remainder that would give ranks unequal counts, and the last partial batch, are dropped.
    std::vector<int64_t> permutation(int64_t epoch) const;

    // The picks of batch `batchInEpoch` of `epoch` for this rank, given permutation(epoch).
    std::vector<Pick> batch(const std::vector<int64_t>& permutation, int64_t epoch, int64_t batchInEpoch) const;

    // Whether the image in permutation slot `slot` of `epoch` is mirrored (always false without
    // horizontalFlip): a hash of (seed, epoch, slot), independent of rank and batch size.
    bool flipAt(int64_t epoch, int64_t slot) const;

    int64_t batchesPerEpoch() const { return batchesPerEpoch_; }
    size_t datasetSize() const { return datasetSize_; }
    const SamplerOptions& options() const { return options_; }

private:
    size_t datasetSize_;
    SamplerOptions options_;
    int64_t batchesPerEpoch_ = 0;
};

}  // namespace ds::data
