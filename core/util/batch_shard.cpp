// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/util/batch_shard.h"

#include "core/util/error.h"

#include <string>

namespace ds {

BatchShard::BatchShard(int rank, int worldSize) : rank_(rank), worldSize_(worldSize) {
    if (worldSize < 1 || rank < 0 || rank >= worldSize)
        throw Error("rank " + std::to_string(rank) + " is outside a group of " + std::to_string(worldSize));
}

torch::Tensor BatchShard::rows(const torch::Tensor& global) const {
    if (worldSize_ == 1) return global;
    // Strided: row j of this rank is global row j * W + rank (EpochSampler's slot order).
    return global.slice(0, rank_, global.size(0), worldSize_).contiguous();
}

std::vector<int64_t> BatchShard::globalShape(at::IntArrayRef localShape) const {
    std::vector<int64_t> shape(localShape.begin(), localShape.end());
    if (shape.empty()) throw Error("a per-sample draw needs a batch dimension");
    shape[0] *= worldSize_;
    return shape;
}

torch::Tensor BatchShard::randn(at::IntArrayRef localShape, at::Generator& gen,
                                const torch::TensorOptions& options) const {
    return rows(torch::randn(globalShape(localShape), gen, options));
}

torch::Tensor BatchShard::rand(at::IntArrayRef localShape, at::Generator& gen,
                               const torch::TensorOptions& options) const {
    return rows(torch::rand(globalShape(localShape), gen, options));
}

torch::Tensor BatchShard::randint(int64_t high, int64_t localRows, at::Generator& gen) const {
    return rows(torch::randint(0, high, {localRows * worldSize_}, gen, torch::TensorOptions().dtype(torch::kLong)));
}

}  // namespace ds
