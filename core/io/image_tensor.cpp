// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/io/image_tensor.h"

#include "core/util/error.h"

#include <cmath>

namespace ds::io {

api::Image toImage(const torch::Tensor& chw01) {
    if (chw01.dim() != 3) throw Error("toImage expects a (C, H, W) tensor");
    const auto c = chw01.size(0);
    if (c != 1 && c != 3 && c != 4) throw Error("toImage expects 1, 3 or 4 channels, got " + std::to_string(c));
    auto hwc = chw01.detach()
                   .to(torch::kCPU, torch::kFloat)
                   .mul(255.0)
                   .add(0.5)
                   .clamp(0.0, 255.0)
                   .to(torch::kUInt8)
                   .permute({1, 2, 0})
                   .contiguous();
    api::Image img;
    img.height = static_cast<int>(hwc.size(0));
    img.width = static_cast<int>(hwc.size(1));
    img.channels = static_cast<int>(c);
    img.pixels.assign(hwc.data_ptr<uint8_t>(), hwc.data_ptr<uint8_t>() + hwc.numel());
    return img;
}

torch::Tensor makeGrid(const torch::Tensor& nchw, int columns, int padding, double padValue) {
    if (nchw.dim() != 4 || nchw.size(0) == 0) throw Error("makeGrid expects a non-empty (N, C, H, W) tensor");
    const int64_t n = nchw.size(0), c = nchw.size(1), h = nchw.size(2), w = nchw.size(3);
    const int64_t cols =
        columns > 0 ? std::min<int64_t>(columns, n) : static_cast<int64_t>(std::ceil(std::sqrt(double(n))));
    const int64_t rows = (n + cols - 1) / cols;
    const int64_t cellH = h + padding, cellW = w + padding;
    auto grid = torch::full({c, rows * cellH + padding, cols * cellW + padding}, padValue, nchw.options());
    for (int64_t i = 0; i < n; ++i) {
        const int64_t r = i / cols, col = i % cols;
        grid.slice(1, r * cellH + padding, r * cellH + padding + h)
            .slice(2, col * cellW + padding, col * cellW + padding + w)
            .copy_(nchw[i]);
    }
    return grid;
}

}  // namespace ds::io
