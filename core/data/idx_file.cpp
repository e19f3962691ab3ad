// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/data/idx_file.h"

#include "core/util/error.h"

#include <zlib.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <memory>

namespace ds::data {
namespace {

// Magic of an IDX file of unsigned bytes with three dimensions (count, rows, columns).
constexpr uint32_t kIdx3UByteMagic = 0x00000803;
constexpr size_t kHeaderBytes = 16;
// Magic of an IDX file of unsigned bytes with one dimension (labels).
constexpr uint32_t kIdx1UByteMagic = 0x00000801;
constexpr size_t kLabelHeaderBytes = 8;

struct GzCloser {
    void operator()(gzFile_s* file) const { gzclose(file); }
};
using GzFile = std::unique_ptr<gzFile_s, GzCloser>;

uint32_t bigEndian32(const uint8_t* p) {
    return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | uint32_t(p[3]);
}

std::string hex32(uint32_t value) {
    char text[16];
    std::snprintf(text, sizeof text, "0x%08x", value);
    return text;
}

GzFile openGz(const std::string& path) {
    errno = 0;
    GzFile file(gzopen(path.c_str(), "rb"));
    if (!file) throw fileError(path, std::string("cannot open: ") + (errno ? std::strerror(errno) : "out of memory"));
    gzbuffer(file.get(), 1 << 17);
    return file;
}

// Reads up to `size` bytes, in pieces because gzread counts in unsigned int. Returns how many
// arrived (fewer at the end of the data); throws on corrupt compressed data.
size_t readSome(gzFile file, const std::string& path, uint8_t* out, size_t size) {
    size_t done = 0;
    while (done < size) {
        const unsigned piece = unsigned(std::min<size_t>(size - done, INT_MAX / 2));
        const int got = gzread(file, out + done, piece);
        if (got < 0) {
            int code = Z_OK;
            const char* message = gzerror(file, &code);
            if (code == Z_BUF_ERROR) throw fileError(path, "truncated gzip data (unexpected end of file)");
            throw fileError(path, std::string("corrupt gzip data: ") + (message ? message : "unknown error"));
        }
        if (got == 0) break;
        done += size_t(got);
    }
    return done;
}

void checkHeader(const uint8_t* header, const std::string& path, size_t expectedCount, int expectedRows,
                 int expectedColumns) {
    const uint32_t magic = bigEndian32(header);
    if (magic != kIdx3UByteMagic)
        throw fileError(path,
                        "not an IDX image file (magic " + hex32(magic) + ", expected " + hex32(kIdx3UByteMagic) + ")");
    const uint32_t count = bigEndian32(header + 4);
    const uint32_t rows = bigEndian32(header + 8);
    const uint32_t columns = bigEndian32(header + 12);
    if (rows != uint32_t(expectedRows) || columns != uint32_t(expectedColumns))
        throw fileError(path, "images are " + std::to_string(rows) + "x" + std::to_string(columns) + ", expected " +
                                  std::to_string(expectedRows) + "x" + std::to_string(expectedColumns));
    if (count != expectedCount)
        throw fileError(path, "holds " + std::to_string(count) + " images, expected " + std::to_string(expectedCount));
}

}  // namespace

IdxImages readIdxImages(const std::string& path, size_t expectedCount, int expectedRows, int expectedColumns) {
    GzFile file = openGz(path);
    uint8_t header[kHeaderBytes];
    const size_t headerBytes = readSome(file.get(), path, header, kHeaderBytes);
    if (headerBytes < kHeaderBytes)
        throw fileError(path, "truncated: " + std::to_string(headerBytes) + " of 16 header bytes");
    checkHeader(header, path, expectedCount, expectedRows, expectedColumns);

    IdxImages images;
    images.count = expectedCount;
    images.rows = expectedRows;
    images.columns = expectedColumns;
    images.pixels.resize(expectedCount * size_t(expectedRows) * size_t(expectedColumns));
    const size_t got = readSome(file.get(), path, images.pixels.data(), images.pixels.size());
    if (got < images.pixels.size())
        throw fileError(path, "truncated: " + std::to_string(got) + " of " + std::to_string(images.pixels.size()) +
                                  " bytes of pixel data");
    uint8_t extra = 0;
    if (readSome(file.get(), path, &extra, 1) != 0) throw fileError(path, "unexpected data after the last image");
    return images;
}

std::vector<uint8_t> readIdxLabels(const std::string& path, size_t expectedCount, int classCount) {
    GzFile file = openGz(path);
    uint8_t header[kLabelHeaderBytes];
    const size_t headerBytes = readSome(file.get(), path, header, kLabelHeaderBytes);
    if (headerBytes < kLabelHeaderBytes)
        throw fileError(path, "truncated: " + std::to_string(headerBytes) + " of 8 header bytes");
    const uint32_t magic = bigEndian32(header);
    if (magic != kIdx1UByteMagic)
        throw fileError(path,
                        "not an IDX label file (magic " + hex32(magic) + ", expected " + hex32(kIdx1UByteMagic) + ")");
    const uint32_t count = bigEndian32(header + 4);
    if (count != expectedCount)
        throw fileError(path, "holds " + std::to_string(count) + " labels, expected " + std::to_string(expectedCount));
    std::vector<uint8_t> labels(expectedCount);
    const size_t got = readSome(file.get(), path, labels.data(), labels.size());
    if (got < labels.size())
        throw fileError(path, "truncated: " + std::to_string(got) + " of " + std::to_string(labels.size()) + " labels");
    uint8_t extra = 0;
    if (readSome(file.get(), path, &extra, 1) != 0) throw fileError(path, "unexpected data after the last label");
    for (size_t i = 0; i < labels.size(); ++i)
        if (labels[i] >= classCount)
            throw fileError(path, "label " + std::to_string(labels[i]) + " of item " + std::to_string(i) +
                                      " is not a class (expected 0-" + std::to_string(classCount - 1) + ")");
    return labels;
}

}  // namespace ds::data
