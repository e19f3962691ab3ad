// SPDX-License-Identifier: GPL-3.0-or-later
// g4vrel/CFM's Downsample (a stride-2 Conv3x3) and Upsample (nearest x2, then a Conv3x3); both
// may change the width. Names: conv.*.
#pragma once
#include <torch/torch.h>

namespace ds::flow {

class FlowResampleImpl : public torch::nn::Module {
public:
    enum class Direction { Down, Up };
    FlowResampleImpl(Direction direction, int64_t dimIn, int64_t dimOut);
    torch::Tensor forward(const torch::Tensor& x);

private:
    Direction direction_;
    torch::nn::Conv2d conv_{nullptr};
};
TORCH_MODULE(FlowResample);

}  // namespace ds::flow
