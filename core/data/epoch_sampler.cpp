// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/data/epoch_sampler.h"

#include "core/util/error.h"

#include <numeric>
#include <random>
#include <string>
#include <utility>

namespace ds::data {
namespace {

// Keep the permutation and the flip streams apart even for equal inputs.
constexpr uint32_t kPermutationSalt = 0x5045524Du;  // "PERM"
constexpr uint64_t kFlipSalt = 0x464C495046524F4Dull;

// SplitMix64's finaliser: a strong 64-bit mix, so neighbouring slots get unrelated bits.
uint64_t mix64(uint64_t x) {
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

// Uniform in [0, bound) without modulo bias: reject the few values below 2^64 mod bound.
uint64_t uniformBelow(std::mt19937_64& rng, uint64_t bound) {
    const uint64_t threshold = (0 - bound) % bound;
    for (;;) {
        const uint64_t r = rng();
        if (r >= threshold) return r % bound;
    }
}

void validate(size_t datasetSize, const SamplerOptions& options) {
    if (options.batchSize <= 0) throw Error("batch size must be positive, got " + std::to_string(options.batchSize));
    if (options.worldSize < 1) throw Error("world size must be at least 1, got " + std::to_string(options.worldSize));
    if (options.rank < 0 || options.rank >= options.worldSize)
        throw Error("rank " + std::to_string(options.rank) + " is outside 0.." + std::to_string(options.worldSize - 1));
    if (datasetSize == 0) throw Error("the dataset has no images");
}

}  // namespace

EpochSampler::EpochSampler(size_t datasetSize, SamplerOptions options) : datasetSize_(datasetSize), options_(options) {
    validate(datasetSize_, options_);
    const int64_t perRank = int64_t(datasetSize_) / options_.worldSize;
    batchesPerEpoch_ = perRank / options_.batchSize;
    if (batchesPerEpoch_ == 0)
        throw Error(std::to_string(datasetSize_) + " images make no full batch of " +
                    std::to_string(options_.batchSize) +
                    (options_.worldSize > 1 ? " for each of " + std::to_string(options_.worldSize) + " ranks" : ""));
}

std::vector<int64_t> seededPermutation(size_t count, uint64_t seed, uint64_t stream) {
    std::seed_seq seeds{uint32_t(seed), uint32_t(seed >> 32), uint32_t(stream), uint32_t(stream >> 32),
                        kPermutationSalt};
    std::mt19937_64 rng(seeds);
    std::vector<int64_t> order(count);
    std::iota(order.begin(), order.end(), int64_t(0));
    for (size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[uniformBelow(rng, i)]);
    return order;
}

std::vector<int64_t> EpochSampler::permutation(int64_t epoch) const {
    return seededPermutation(datasetSize_, options_.seed, uint64_t(epoch));
}

std::vector<EpochSampler::Pick> EpochSampler::batch(const std::vector<int64_t>& permutation, int64_t epoch,
                                                    int64_t batchInEpoch) const {
    if (batchInEpoch < 0 || batchInEpoch >= batchesPerEpoch_)
        throw Error("batch " + std::to_string(batchInEpoch) + " is outside the epoch's " +
                    std::to_string(batchesPerEpoch_) + " batches");
    std::vector<Pick> picks(size_t(options_.batchSize));
    for (int64_t j = 0; j < options_.batchSize; ++j) {
        const int64_t slot = options_.rank + (batchInEpoch * options_.batchSize + j) * options_.worldSize;
        picks[size_t(j)] = Pick{permutation.at(size_t(slot)), flipAt(epoch, slot)};
    }
    return picks;
}

bool EpochSampler::flipAt(int64_t epoch, int64_t slot) const {
    if (!options_.horizontalFlip) return false;
    const uint64_t h = mix64(mix64(mix64(options_.seed ^ kFlipSalt) ^ uint64_t(epoch)) ^ uint64_t(slot));
    return (h >> 63) != 0;
}

}  // namespace ds::data
