// SPDX-License-Identifier: GPL-3.0-or-later
// Data parallelism's one exchange: after every rank's backward pass, each gradient becomes the
// mean over the ranks, so that every rank takes the same optimizer step. Gradients travel in
// buckets of about bucketMiB (PyTorch DDP's bucket_cap_mb), in reverse parameter order (roughly
// the order backward produces them). As in DDP, the all-reduce of a bucket starts during the
// backward pass, as soon as its last gradient is computed (a hook on each parameter), and
// buckets are launched strictly in index order, so that every rank issues the same collectives
// in the same order whatever order its gradients arrive in.
#pragma once
#include "core/train/process_group.h"

#include <torch/torch.h>

#include <string>
#include <vector>

namespace ds::train {

class GradientAverager {
public:
    GradientAverager(std::vector<torch::Tensor> parameters, ProcessGroup& group, double bucketMiB);
    ~GradientAverager();
    GradientAverager(const GradientAverager&) = delete;
    GradientAverager& operator=(const GradientAverager&) = delete;

    // Call just before the backward pass of a step's last (or only) micro-batch.
    void expectFinalBackward(int64_t step);
    // After that backward pass: waits for the all-reduces and replaces every parameter's gradient
    // by its mean over the ranks. Throws ds::Error when a parameter got no gradient (data
    // parallelism needs every parameter in every step, as DDP without find_unused_parameters)
    // or when the group fails.
    void finish();

    size_t bucketCount() const { return buckets_.size(); }

private:
    struct Bucket {
        std::vector<size_t> parameters;  // indices into parameters_
        torch::Tensor flat;              // the bucket's gradients, end to end
        size_t pending = 0;              // gradients not yet in flat during the final backward
        c10::intrusive_ptr<c10d::Work> work;
    };
    void onGradient(size_t parameter, const torch::Tensor& grad);
    void launchReadyBuckets();

    std::vector<torch::Tensor> parameters_;
    ProcessGroup& group_;
    std::vector<Bucket> buckets_;
    std::vector<size_t> bucketOf_;   // per parameter
    std::vector<int64_t> offsetOf_;  // per parameter, in its bucket's flat tensor
    std::vector<unsigned> hooks_;
    bool armed_ = false;
    size_t nextLaunch_ = 0;
    int64_t step_ = 0;
};

}  // namespace ds::train
