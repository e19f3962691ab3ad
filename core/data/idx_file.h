// SPDX-License-Identifier: GPL-3.0-or-later
// Reader for the IDX image and label files of MNIST and Fashion-MNIST (big-endian header, unsigned bytes),
// gzip-compressed or plain (zlib's gzread reads both).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace ds::data {

struct IdxImages {
    size_t count = 0;
    int rows = 0;
    int columns = 0;
    std::vector<uint8_t> pixels;  // count * rows * columns bytes, image after image, row-major
};

// Reads a whole idx3-ubyte file into memory and checks it: magic 0x00000803, `expectedCount`
// images of expectedRows x expectedColumns, no missing and no extra bytes. Throws ds::Error
// "path: problem" (wrong magic, wrong count or size, truncated, corrupt gzip data).
IdxImages readIdxImages(const std::string& path, size_t expectedCount, int expectedRows, int expectedColumns);

// Reads an idx1-ubyte label file (magic 0x00000801, `expectedCount` labels of one byte each) and
// checks every label is below `classCount`. Throws ds::Error "path: problem" like readIdxImages.
std::vector<uint8_t> readIdxLabels(const std::string& path, size_t expectedCount, int classCount);

}  // namespace ds::data
