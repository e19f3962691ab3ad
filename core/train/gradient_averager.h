// Data parallelism's one exchange: after every rank's backward pass, each gradient becomes the
// mean over the ranks, so that every rank takes the same optimizer step. Gradients travel in
// buckets of about bucketMiB (PyTorch DDP's bucket_cap_mb), in reverse parameter order (roughly
// the order backward produces them); each bucket's all-reduce is launched as soon as it is
// packed, so packing the next bucket overlaps the transfer of the previous one.
#pragma once
#include "core/train/process_group.h"

#include <torch/torch.h>

#include <vector>

namespace ds::train {

class GradientAverager {
public:
    GradientAverager(std::vector<torch::Tensor> parameters, ProcessGroup& group, double bucketMiB);

    // Replaces every parameter's gradient by its mean over the ranks. Throws ds::Error when a
    // parameter has no gradient (data parallelism needs every parameter in every step, as DDP
    // without find_unused_parameters) or when the group fails.
    void average(int64_t step);

    size_t bucketCount() const { return buckets_.size(); }

private:
    struct Bucket {
        std::vector<size_t> parameters;  // indices into parameters_
        int64_t numel = 0;
    };
    torch::Tensor pack(const Bucket& bucket, int64_t step) const;
    void unpack(const Bucket& bucket, const torch::Tensor& flat) const;

    std::vector<torch::Tensor> parameters_;
    ProcessGroup& group_;
    std::vector<Bucket> buckets_;
};

}  // namespace ds::train
