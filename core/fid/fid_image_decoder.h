// SPDX-License-Identifier: GPL-3.0-or-later
// One image file -> 8-bit RGB, as pytorch-fid's PIL Image.open(path).convert("RGB") gives it:
// gray is replicated, alpha is dropped (not composited: PIL drops it), palettes are expanded.
// Deviations, for files PIL itself handles oddly: 16-bit images are scaled to 8 bits (PIL clips
// them at 255) and the format comes from the content, not the name.
#pragma once
#include <opencv2/core.hpp>

#include <string>

namespace ds::fid {

// Throws ds::Error "path: problem" for unreadable, empty, truncated or non-image files.
cv::Mat decodeFidImage(const std::string& path);

// Resizes to size x size: INTER_AREA when shrinking (no aliasing), bilinear when enlarging.
cv::Mat resizeSquare(const cv::Mat& rgb, int size);

// A decoded image (8-bit RGB) as a network takes it: `channels` 3 keeps it, 1 makes it gray by
// BT.601 (OpenCV's RGB2GRAY: gray replicated into RGB comes back exact); then `size` > 0
// resizes it to size x size with resizeSquare (a non-square image is stretched). The feature
// classifiers' input convention: their training images go through it too.
cv::Mat toNetworkInput(const cv::Mat& rgb, int channels, int size);

}  // namespace ds::fid
