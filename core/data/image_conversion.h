// SPDX-License-Identifier: GPL-3.0-or-later
// Decoded OpenCV images -> what a model trains on: 8-bit, 1 (gray) or 3 (RGB) channels,
// square. Shared by every source so that all datasets look alike to the trainer.
#pragma once
#include "core/api/image.h"
#include "core/data/image_source.h"

#include <opencv2/core.hpp>

namespace ds::data {

// 8-bit copy of any decoded depth: 16-bit is scaled by 255/65535 (so 65535 -> 255, exactly
// v/257 rounded), float is taken as [0, 1]. Throws ds::Error for other depths.
cv::Mat toEightBit(const cv::Mat& decoded);

// 8-bit gray / gray+alpha / BGR / BGRA -> `channels` (1 = gray, 3 = RGB order, not OpenCV's BGR).
// Alpha is composited over white (what an image viewer shows), rather than dropped: the colour
// of fully transparent pixels is undefined (often black or editor garbage) and would otherwise
// reach the model. Gray from colour uses OpenCV's BT.601 weights (as PIL's "L").
cv::Mat toModelChannels(const cv::Mat& eightBit, int channels);

// Scales the shorter side to `size`, then cuts the centred size x size square (the Python
// reference's Resize + CenterCrop). INTER_AREA when shrinking (averages, no aliasing),
// INTER_CUBIC when enlarging (sharper than bilinear; results saturate to 0..255). No resampling
// at all when the shorter side already has the size.
cv::Mat resizeShorterSideAndCenterCrop(const cv::Mat& image, int size);

// Copies an 8-bit 1- or 3-channel matrix into an api::Image (HWC, channel order kept).
api::Image toApiImage(const cv::Mat& image);

// toEightBit, toModelChannels, resizeShorterSideAndCenterCrop, toApiImage in that order;
// channels before resizing so that alpha is composited before pixels are blended.
api::Image prepareImage(const cv::Mat& decoded, const ImageTransform& transform);

}  // namespace ds::data
