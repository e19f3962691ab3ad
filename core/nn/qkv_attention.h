// SPDX-License-Identifier: GPL-3.0-or-later
// What lucidrains' two attention layers share: RMSNorm of the input, a 1x1 conv to q, k, v
// (no bias), learned memory key/values, heads x dim_head. Registration order (mem_kv, norm,
// to_qkv, then the subclass's to_out) gives upstream's state_dict order.
#pragma once
#include "core/nn/rms_norm.h"

#include <torch/torch.h>

#include <array>
#include <vector>

namespace ds::nn {

class QkvAttention : public torch::nn::Module {
protected:
    // memKvShape: upstream's mem_kv shape, (2, heads, dim_head, n) or (2, heads, n, dim_head).
    QkvAttention(int64_t dim, int64_t heads, int64_t dimHead, const std::vector<int64_t>& memKvShape);

    // q, k, v of x as (B, heads, dim_head, H*W): 'b (h c) x y -> b h c (x y)'.
    std::array<torch::Tensor, 3> projectQkv(const torch::Tensor& x);
    // mem_kv[index] repeated over the batch.
    torch::Tensor memory(int64_t index, int64_t batch) const;

    int64_t heads_;
    int64_t dimHead_;
    double scale_;  // dim_head^-1/2

private:
    torch::Tensor memKv_;
    RMSNorm norm_{nullptr};
    torch::nn::Conv2d toQkv_{nullptr};
};

}  // namespace ds::nn
