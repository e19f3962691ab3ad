// SPDX-License-Identifier: GPL-3.0-or-later
// PNG writing with text metadata, and reading that metadata back. Generated images carry seed,
// sampler, checkpoint hash etc. as text chunks (see docs/architecture.md), which OpenCV's imwrite cannot
// write; decoding pixels is left to OpenCV.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace ds::io {

// (keyword, value) pairs in file order. Keywords are printable ASCII, 1-79 characters, without
// leading, trailing or doubled spaces; values are UTF-8 without NUL characters.
using PngText = std::vector<std::pair<std::string, std::string>>;

// Encodes an 8-bit image to PNG bytes. `pixels` is row-major HWC with `channels` 1 (gray),
// 3 (RGB) or 4 (RGBA), rows packed without padding. ASCII values become tEXt chunks, others iTXt
// (UTF-8). Throws ds::Error for bad dimensions, channel counts or text.
std::vector<uint8_t> encodePng(const uint8_t* pixels, int width, int height, int channels, const PngText& text = {});

// encodePng() written to `path` atomically: a temporary file in the same directory is written,
// synced and renamed over `path`, so readers never see a partial image. On any failure the
// temporary file is removed and ds::Error naming `path` is thrown.
void writePng(const std::string& path, const uint8_t* pixels, int width, int height, int channels,
              const PngText& text = {});

// The uncompressed tEXt and iTXt chunks of any PNG, in file order, as UTF-8 (tEXt's Latin-1 is
// converted). Compressed text (zTXt, compressed iTXt) is skipped. Throws ds::Error naming the
// file when it is not a PNG, is truncated, or a text chunk is corrupt.
PngText readPngText(const std::string& path);

}  // namespace ds::io
