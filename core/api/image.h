// SPDX-License-Identifier: GPL-3.0-or-later
// An 8-bit image owned by core and handed to the CLI and the UI (which wraps it in a QImage
// with bytesPerLine()). Row-major, channels interleaved: 1 = gray, 3 = RGB, 4 = RGBA.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace ds::api {

struct Image {
    int width = 0;
    int height = 0;
    int channels = 0;
    std::vector<uint8_t> pixels;

    bool empty() const { return pixels.empty(); }
    size_t bytesPerLine() const { return static_cast<size_t>(width) * static_cast<size_t>(channels); }
};

}  // namespace ds::api
