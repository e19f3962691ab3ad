// SPDX-License-Identifier: GPL-3.0-or-later
// Encoded image bytes -> OpenCV matrix, for every source that holds files or blobs (image
// folders, LSUN LMDB values). The format is taken from the content, never from a name.
#pragma once
#include <opencv2/core.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace ds::data {

// The whole file. Throws ds::Error "path: problem" when it cannot be read.
std::vector<uint8_t> readFileBytes(const std::string& path);

// Up to `count` leading bytes of the file (fewer when it is shorter). Throws like readFileBytes.
std::vector<uint8_t> readFileHead(const std::string& path, size_t count);

// Recognises the format by its signature, rejects visibly truncated containers, and decodes
// with cv::IMREAD_UNCHANGED: native depth (8/16-bit, float), native channels (gray, gray+alpha,
// BGR, BGRA; palettes expanded), no EXIF rotation (as PIL, which the Python reference uses).
// Throws ds::Error "name: problem" for anything that is not a decodable image.
cv::Mat decodeImage(const std::vector<uint8_t>& bytes, const std::string& name);
// The same for bytes held elsewhere (an LMDB value in its memory map): not copied.
cv::Mat decodeImage(const uint8_t* data, size_t size, const std::string& name);

}  // namespace ds::data
