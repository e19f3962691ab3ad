// SPDX-License-Identifier: GPL-3.0-or-later
// Image container formats recognised by their first bytes (never by the file name), and cheap
// structural checks that catch truncated files before a decoder sees them. The checks matter
// for JPEG: libjpeg treats a missing end of data as a warning and fills the rest of the image
// with gray, so a truncated JPEG would otherwise train silently as a half-gray picture.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace ds::data {

enum class ImageFormat { Unknown, Jpeg, Png, WebP, Bmp, Tiff };

// How many leading bytes sniffImageFormat() looks at.
constexpr size_t kSniffBytes = 32;

// The format whose signature starts `data`, or Unknown.
ImageFormat sniffImageFormat(const uint8_t* data, size_t size);

// "JPEG", "PNG", ...; "unknown" for Unknown.
const char* imageFormatName(ImageFormat format);

// Why the bytes of a `format` file are visibly incomplete ("truncated: no end-of-image marker"),
// or an empty string when the container structure is whole. Pixel data itself is left to the
// decoder.
std::string containerProblem(ImageFormat format, const uint8_t* data, size_t size);

}  // namespace ds::data
