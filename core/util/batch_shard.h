// SPDX-License-Identifier: GPL-3.0-or-later
// Which rows of a global batch one data-parallel rank holds, and per-sample random draws that
// do not depend on how the batch is split. EpochSampler gives rank r of W the permutation slots
// r, r + W, r + 2W, ... so row j of rank r's batch is row j * W + r of the global batch that one
// process with W times the batch would see. Per-sample noise and timesteps are drawn here for the
// whole global batch, from the generator every rank holds in the same state, and each rank keeps
// its rows: the union over ranks is exactly the one-process draw, and the generators stay in step
// (a checkpoint's generator state is every rank's).
#pragma once
#include <torch/torch.h>

namespace ds {

class BatchShard {
public:
    BatchShard() = default;  // one process: the whole batch
    // Throws ds::Error unless 0 <= rank < worldSize.
    BatchShard(int rank, int worldSize);

    int rank() const { return rank_; }
    int worldSize() const { return worldSize_; }

    // This rank's rows of a tensor whose first dimension is the global batch.
    torch::Tensor rows(const torch::Tensor& global) const;

    // Per-sample draws of shape {localRows, rest...}, on the CPU as LibTorch draws them from gen.
    torch::Tensor randn(at::IntArrayRef localShape, at::Generator& gen,
                        const torch::TensorOptions& options = torch::TensorOptions()) const;
    torch::Tensor rand(at::IntArrayRef localShape, at::Generator& gen,
                       const torch::TensorOptions& options = torch::TensorOptions()) const;
    torch::Tensor randint(int64_t high, int64_t localRows, at::Generator& gen) const;  // int64 in [0, high)

private:
    std::vector<int64_t> globalShape(at::IntArrayRef localShape) const;

    int rank_ = 0;
    int worldSize_ = 1;
};

}  // namespace ds
