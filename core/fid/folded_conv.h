// SPDX-License-Identifier: GPL-3.0-or-later
// A convolution with its BatchNorm folded in: conv(x, W * s) + (beta - mean * s), where
// s = gamma / sqrt(var + eps). In evaluation BatchNorm is a per-channel affine map, so folding
// it into the weights gives the same result in one pass instead of two over each activation
// (the Inception network spends a large part of its time in BatchNorm otherwise).
#pragma once
#include <torch/torch.h>

#include <vector>

namespace ds::fid {

class FoldedConv {
public:
    FoldedConv() = default;
    // weight (out, in, kh, kw) and BatchNorm parameters; folded in double, stored in float, in
    // `format`: channels-last weights with channels-last activations let oneDNN convolve without
    // converting layouts around every layer.
    FoldedConv(const torch::Tensor& convWeight, const torch::Tensor& bnWeight, const torch::Tensor& bnBias,
               const torch::Tensor& runningMean, const torch::Tensor& runningVar, double eps, torch::IntArrayRef stride,
               torch::IntArrayRef padding, torch::MemoryFormat format = torch::MemoryFormat::Contiguous);

    // One convolution computing several that read the same input with the same kernel size,
    // stride and padding (Inception's parallel 1x1 branches): their output channels, in order,
    // weights in the first one's layout.
    static FoldedConv concatenate(const std::vector<const FoldedConv*>& convs);

    // conv + bias, no activation (callers apply ReLU, sometimes after pooling).
    torch::Tensor operator()(const torch::Tensor& x) const;

    int64_t outChannels() const { return weight_.size(0); }
    const torch::Tensor& weight() const { return weight_; }
    const torch::Tensor& bias() const { return bias_; }

private:
    torch::Tensor weight_;
    torch::Tensor bias_;
    std::vector<int64_t> stride_{1, 1};
    std::vector<int64_t> padding_{0, 0};
};

}  // namespace ds::fid
