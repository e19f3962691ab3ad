// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/api/image_file.h"

#include "core/io/png_file.h"

namespace ds::api {

void writeImagePng(const std::string& path, const Image& image, const ImageMetadata& metadata) {
    io::writePng(path, image.pixels.data(), image.width, image.height, image.channels, metadata);
}

ImageMetadata readImageMetadata(const std::string& path) { return io::readPngText(path); }

std::string metadataValue(const ImageMetadata& metadata, const std::string& key, const std::string& fallback) {
    for (const auto& [k, v] : metadata)
        if (k == key) return v;
    return fallback;
}

}  // namespace ds::api
