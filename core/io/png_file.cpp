// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/io/png_file.h"

#include "core/util/atomic_file.h"
#include "core/util/error.h"

#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <random>
#include <system_error>

#ifdef _WIN32
#include <io.h>
#else
#include <fcntl.h>
#include <sys/types.h>
#include <unistd.h>
#endif

namespace ds::io {

namespace {

constexpr uint8_t kSignature[8] = {137, 80, 78, 71, 13, 10, 26, 10};
constexpr uint32_t kMaxChunkLength = 0x7FFFFFFF;  // PNG spec 5.3: lengths fit in 31 bits
constexpr size_t kIdatSize = size_t(1) << 20;
constexpr size_t kDeflateBuffer = size_t(1) << 16;
constexpr int kDeflateLevel = 6;
constexpr size_t kMaxKeywordLength = 79;

using FilePtr = std::unique_ptr<std::FILE, int (*)(std::FILE*)>;

// ---- byte helpers ----

void putU32(std::vector<uint8_t>& out, uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(uint8_t(v >> shift));
}

uint32_t getU32(const uint8_t* p) {
    return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | uint32_t(p[3]);
}

uint32_t chunkCrc(const uint8_t* type, const uint8_t* data, size_t size) {
    uLong crc = crc32(0L, Z_NULL, 0);
    crc = crc32(crc, type, 4);
    // Chunk lengths are below 2^31, so one call per chunk fits zlib's 32-bit length.
    if (size > 0) crc = crc32(crc, data, static_cast<uInt>(size));
    return static_cast<uint32_t>(crc);
}

void appendChunk(std::vector<uint8_t>& out, const char* type, const uint8_t* data, size_t size) {
    const auto* typeBytes = reinterpret_cast<const uint8_t*>(type);
    putU32(out, static_cast<uint32_t>(size));
    out.insert(out.end(), typeBytes, typeBytes + 4);
    if (size > 0) out.insert(out.end(), data, data + size);
    putU32(out, chunkCrc(typeBytes, data, size));
}

// ---- image data ----

void validateImage(const uint8_t* pixels, int width, int height, int channels) {
    if (!pixels) throw Error("PNG: no pixel data");
    if (width <= 0 || height <= 0)
        throw Error("PNG: invalid size " + std::to_string(width) + "x" + std::to_string(height));
    if (channels != 1 && channels != 3 && channels != 4)
        throw Error("PNG: unsupported channel count " + std::to_string(channels));
    const size_t rowBytes = size_t(width) * size_t(channels) + 1;
    if (rowBytes > SIZE_MAX / size_t(height)) throw Error("PNG: image too large");
}

uint8_t colorTypeFor(int channels) {
    switch (channels) {
    case 1: return 0;   // grayscale
    case 3: return 2;   // truecolour
    default: return 6;  // truecolour with alpha
    }
}

std::vector<uint8_t> headerData(int width, int height, int channels) {
    std::vector<uint8_t> data;
    putU32(data, static_cast<uint32_t>(width));
    putU32(data, static_cast<uint32_t>(height));
    // Bit depth 8, colour type, then deflate compression, adaptive filtering, no interlace.
    data.insert(data.end(), {8, colorTypeFor(channels), 0, 0, 0});
    return data;
}

enum Filter : uint8_t { kNone = 0, kSub = 1, kUp = 2, kAverage = 3, kPaeth = 4 };

int paethPredictor(int a, int b, int c) {
    const int p = a + b - c;
    const int pa = std::abs(p - a), pb = std::abs(p - b), pc = std::abs(p - c);
    if (pa <= pb && pa <= pc) return a;
    return pb <= pc ? b : c;
}

// Applies one PNG filter to a row. `prev` is the previous unfiltered row (zeros for the first);
// `bpp` is bytes per pixel, the distance to the "left" byte.
void filterRow(Filter filter, const uint8_t* row, const uint8_t* prev, size_t size, size_t bpp, uint8_t* out) {
    for (size_t i = 0; i < size; ++i) {
        const int a = i >= bpp ? row[i - bpp] : 0;
        const int b = prev[i];
        const int c = i >= bpp ? prev[i - bpp] : 0;
        int predicted = 0;
        switch (filter) {
        case kNone: predicted = 0; break;
        case kSub: predicted = a; break;
        case kUp: predicted = b; break;
        case kAverage: predicted = (a + b) / 2; break;
        case kPaeth: predicted = paethPredictor(a, b, c); break;
        }
        out[i] = static_cast<uint8_t>(row[i] - predicted);
    }
}

// The usual heuristic (PNG spec 12.8): the filter whose output, read as signed bytes, has the
// smallest absolute sum tends to deflate best.
uint64_t filterCost(const std::vector<uint8_t>& filtered) {
    uint64_t cost = 0;
    for (uint8_t v : filtered) cost += uint64_t(std::abs(int(int8_t(v))));
    return cost;
}

std::vector<uint8_t> filterImage(const uint8_t* pixels, int width, int height, int channels) {
    const size_t bpp = size_t(channels);
    const size_t rowBytes = size_t(width) * bpp;
    std::vector<uint8_t> out;
    out.reserve((rowBytes + 1) * size_t(height));
    std::vector<uint8_t> zeros(rowBytes, 0), candidate(rowBytes), best(rowBytes);
    for (int y = 0; y < height; ++y) {
        const uint8_t* row = pixels + size_t(y) * rowBytes;
        const uint8_t* prev = y > 0 ? row - rowBytes : zeros.data();
        Filter bestFilter = kNone;
        uint64_t bestCost = UINT64_MAX;
        for (Filter f : {kNone, kSub, kUp, kAverage, kPaeth}) {
            filterRow(f, row, prev, rowBytes, bpp, candidate.data());
            const uint64_t cost = filterCost(candidate);
            if (cost < bestCost) {
                bestCost = cost;
                bestFilter = f;
                best.swap(candidate);
            }
        }
        out.push_back(bestFilter);
        out.insert(out.end(), best.begin(), best.end());
    }
    return out;
}

std::vector<uint8_t> deflateBytes(const std::vector<uint8_t>& input) {
    z_stream stream{};
    if (deflateInit(&stream, kDeflateLevel) != Z_OK) throw Error("PNG: cannot initialise zlib");
    std::unique_ptr<z_stream, int (*)(z_streamp)> guard(&stream, &deflateEnd);

    std::vector<uint8_t> out;
    out.reserve(input.size() / 2 + 64);
    std::vector<uint8_t> buffer(kDeflateBuffer);
    const uint8_t* next = input.data();
    size_t left = input.size();
    int rc = Z_OK;
    do {
        // zlib counts input in 32 bits: feed very large images in slices.
        if (stream.avail_in == 0 && left > 0) {
            const size_t slice = std::min<size_t>(left, UINT_MAX);
            stream.next_in = const_cast<Bytef*>(next);
            stream.avail_in = static_cast<uInt>(slice);
            next += slice;
            left -= slice;
        }
        stream.next_out = buffer.data();
        stream.avail_out = static_cast<uInt>(buffer.size());
        rc = deflate(&stream, left == 0 ? Z_FINISH : Z_NO_FLUSH);
        if (rc == Z_STREAM_ERROR) throw Error("PNG: zlib compression failed");
        out.insert(out.end(), buffer.data(), buffer.data() + (buffer.size() - stream.avail_out));
    } while (rc != Z_STREAM_END);
    return out;
}

// ---- text chunks ----

void validateKeyword(const std::string& key) {
    const std::string where = "PNG text keyword \"" + key + "\": ";
    if (key.empty() || key.size() > kMaxKeywordLength) throw Error(where + "must be 1-79 characters");
    for (char c : key) {
        if (c < 32 || c > 126) throw Error(where + "must be printable ASCII");
    }
    if (key.front() == ' ' || key.back() == ' ' || key.find("  ") != std::string::npos)
        throw Error(where + "must not have leading, trailing or consecutive spaces");
}

bool isAscii(const std::string& s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

void appendTextChunk(std::vector<uint8_t>& out, const std::string& key, const std::string& value) {
    validateKeyword(key);
    if (value.find('\0') != std::string::npos) throw Error("PNG text \"" + key + "\": value contains a NUL character");
    // ASCII reads the same as Latin-1, so tEXt (understood by every reader) suffices; anything
    // else needs iTXt, the only chunk that holds UTF-8.
    const bool international = !isAscii(value);
    std::vector<uint8_t> data(key.begin(), key.end());
    data.push_back(0);
    // iTXt: compression flag, method, empty language tag and translated keyword (each NUL-ended).
    if (international) data.insert(data.end(), {0, 0, 0, 0});
    data.insert(data.end(), value.begin(), value.end());
    if (data.size() > kMaxChunkLength) throw Error("PNG text \"" + key + "\": value too long");
    appendChunk(out, international ? "iTXt" : "tEXt", data.data(), data.size());
}

std::string latin1ToUtf8(const std::string& latin1) {
    std::string utf8;
    utf8.reserve(latin1.size());
    for (char c : latin1) {
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x80) {
            utf8.push_back(c);
        } else {
            utf8.push_back(static_cast<char>(0xC0 | (u >> 6)));
            utf8.push_back(static_cast<char>(0x80 | (u & 0x3F)));
        }
    }
    return utf8;
}

// Parses a tEXt or iTXt chunk into `out`. Returns false when the chunk is malformed; compressed
// iTXt is skipped (returns true, appends nothing).
bool parseTextChunk(const std::string& type, const std::string& data, PngText& out) {
    const size_t keyEnd = data.find('\0');
    if (keyEnd == std::string::npos || keyEnd == 0) return false;
    const std::string key = latin1ToUtf8(data.substr(0, keyEnd));
    if (type == "tEXt") {
        out.emplace_back(key, latin1ToUtf8(data.substr(keyEnd + 1)));
        return true;
    }
    // iTXt: keyword NUL, flag, method, language NUL, translated keyword NUL, UTF-8 text.
    if (data.size() < keyEnd + 3) return false;
    const bool compressed = data[keyEnd + 1] != 0;
    const size_t languageEnd = data.find('\0', keyEnd + 3);
    if (languageEnd == std::string::npos) return false;
    const size_t translatedEnd = data.find('\0', languageEnd + 1);
    if (translatedEnd == std::string::npos) return false;
    if (!compressed) out.emplace_back(key, data.substr(translatedEnd + 1));
    return true;
}

// ---- files ----

#ifdef _WIN32
bool seekTo(std::FILE* f, uint64_t offset) { return _fseeki64(f, __int64(offset), SEEK_SET) == 0; }
int64_t sizeOf(std::FILE* f) {
    if (_fseeki64(f, 0, SEEK_END) != 0) return -1;
    return _ftelli64(f);
}
#else
bool seekTo(std::FILE* f, uint64_t offset) { return fseeko(f, off_t(offset), SEEK_SET) == 0; }
int64_t sizeOf(std::FILE* f) {
    if (fseeko(f, 0, SEEK_END) != 0) return -1;
    return int64_t(ftello(f));
}
#endif

bool readExact(std::FILE* f, void* buffer, size_t size) { return std::fread(buffer, 1, size, f) == size; }

// Reads a text chunk's data and checks its CRC; the file is positioned at the data.
std::string readCheckedChunk(std::FILE* f, const std::string& path, const uint8_t* type, uint32_t length) {
    std::string data(length, '\0');
    uint8_t crc[4];
    if (!readExact(f, data.data(), length) || !readExact(f, crc, 4)) throw fileError(path, "truncated PNG file");
    const auto* bytes = reinterpret_cast<const uint8_t*>(data.data());
    if (chunkCrc(type, bytes, length) != getU32(crc))
        throw fileError(path, "corrupt PNG " + std::string(type, type + 4) + " chunk (CRC mismatch)");
    return data;
}

}  // namespace

std::vector<uint8_t> encodePng(const uint8_t* pixels, int width, int height, int channels, const PngText& text) {
    validateImage(pixels, width, height, channels);
    std::vector<uint8_t> out(std::begin(kSignature), std::end(kSignature));
    const std::vector<uint8_t> header = headerData(width, height, channels);
    appendChunk(out, "IHDR", header.data(), header.size());
    for (const auto& [key, value] : text) appendTextChunk(out, key, value);

    const std::vector<uint8_t> compressed = deflateBytes(filterImage(pixels, width, height, channels));
    for (size_t offset = 0; offset < compressed.size(); offset += kIdatSize) {
        const size_t size = std::min(kIdatSize, compressed.size() - offset);
        appendChunk(out, "IDAT", compressed.data() + offset, size);
    }
    appendChunk(out, "IEND", nullptr, 0);
    return out;
}

void writePng(const std::string& path, const uint8_t* pixels, int width, int height, int channels,
              const PngText& text) {
    std::vector<uint8_t> bytes;
    try {
        bytes = encodePng(pixels, width, height, channels, text);
    } catch (const Error& e) {
        throw fileError(path, e.what());
    }
    writeFileAtomically(path, std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

PngText readPngText(const std::string& path) {
    FilePtr file(std::fopen(path.c_str(), "rb"), &std::fclose);
    if (!file) throw fileError(path, std::string("cannot open: ") + std::strerror(errno));
    const int64_t fileSize = sizeOf(file.get());
    uint8_t signature[8];
    if (fileSize < 0 || !seekTo(file.get(), 0)) throw fileError(path, "cannot read");
    if (!readExact(file.get(), signature, 8) || std::memcmp(signature, kSignature, 8) != 0)
        throw fileError(path, "not a PNG file");

    PngText text;
    uint64_t offset = 8;
    for (;;) {
        uint8_t header[8];
        if (!readExact(file.get(), header, 8)) throw fileError(path, "truncated PNG file");
        const uint32_t length = getU32(header);
        const uint8_t* type = header + 4;
        if (length > kMaxChunkLength) throw fileError(path, "corrupt PNG chunk length");
        // Checking against the file size first means a corrupt length can neither make us
        // allocate gigabytes nor seek past the end unnoticed.
        const uint64_t next = offset + 8 + uint64_t(length) + 4;
        if (next > uint64_t(fileSize)) throw fileError(path, "truncated PNG file");
        if (std::memcmp(type, "IEND", 4) == 0) return text;

        const std::string typeName(type, type + 4);
        if (typeName == "tEXt" || typeName == "iTXt") {
            const std::string data = readCheckedChunk(file.get(), path, type, length);
            if (!parseTextChunk(typeName, data, text)) throw fileError(path, "malformed PNG " + typeName + " chunk");
        } else if (!seekTo(file.get(), next)) {
            throw fileError(path, "cannot read");
        }
        offset = next;
    }
}

}  // namespace ds::io
