// SPDX-License-Identifier: GPL-3.0-or-later
// Between image tensors (values in [0, 1]) and 8-bit api::Images, and image grids.
#pragma once
#include "core/api/image.h"

#include <torch/torch.h>

namespace ds::io {

// (C, H, W) in [0, 1], C = 1, 3 or 4 -> Image (rounded, clamped), on any device.
api::Image toImage(const torch::Tensor& chw01);

// (N, C, H, W) -> (C, H', W') grid, `columns` per row (0: ceil(sqrt(N))), `padding` pixels of
// padValue between and around tiles (as torchvision's make_grid).
torch::Tensor makeGrid(const torch::Tensor& nchw, int columns = 0, int padding = 2, double padValue = 0.0);

}  // namespace ds::io
