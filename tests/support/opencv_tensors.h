// SPDX-License-Identifier: GPL-3.0-or-later
// Test support: 8-bit OpenCV images as tensors laid out as numpy stores them (HWC, or HW for one
// channel), to compare with arrays read from .npz references.
#pragma once
#include <opencv2/core.hpp>
#include <torch/torch.h>

#include <cstring>

namespace ds::test {

// A copy of an 8-bit matrix: (H, W) for one channel, (H, W, C) otherwise.
inline torch::Tensor tensorOfMat(const cv::Mat& image) {
    const cv::Mat m = image.isContinuous() ? image : image.clone();
    auto out = image.channels() == 1 ? torch::empty({m.rows, m.cols}, torch::kUInt8)
                                     : torch::empty({m.rows, m.cols, m.channels()}, torch::kUInt8);
    std::memcpy(out.data_ptr<uint8_t>(), m.data, m.total() * m.elemSize());
    return out;
}

}  // namespace ds::test
