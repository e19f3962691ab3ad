// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/data/image_format.h"

#include <cstring>

namespace ds::data {
namespace {

bool startsWith(const uint8_t* data, size_t size, const char* signature, size_t length) {
    return size >= length && std::memcmp(data, signature, length) == 0;
}

uint32_t readBigEndian32(const uint8_t* p) {
    return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | uint32_t(p[3]);
}

uint32_t readLittleEndian32(const uint8_t* p) {
    return uint32_t(p[0]) | (uint32_t(p[1]) << 8) | (uint32_t(p[2]) << 16) | (uint32_t(p[3]) << 24);
}

// "BM" alone is weak (text may start so): also require a known info-header size after the
// 14-byte file header (OS/2 12 and 16/64, Windows 40, 52, 56, 108, 124).
bool hasBmpInfoHeader(const uint8_t* data, size_t size) {
    if (size < 18) return false;
    switch (readLittleEndian32(data + 14)) {
    case 12:
    case 16:
    case 40:
    case 52:
    case 56:
    case 64:
    case 108:
    case 124: return true;
    default: return false;
    }
}

// Markers without a length field: TEM, RST0..RST7, SOI.
bool isStandaloneJpegMarker(uint8_t marker) { return marker == 0x01 || (marker >= 0xD0 && marker <= 0xD8); }

// After a start-of-scan header: the offset of the next real marker's 0xFF. Inside entropy-coded
// data a 0xFF byte is followed by 0x00 (stuffing) or a restart marker, which are part of the scan.
size_t skipEntropyCodedData(const uint8_t* data, size_t size, size_t pos) {
    while (pos + 1 < size) {
        const void* found = std::memchr(data + pos, 0xFF, size - pos - 1);
        if (!found) return size;
        pos = size_t(static_cast<const uint8_t*>(found) - data);
        const uint8_t next = data[pos + 1];
        if (next != 0x00 && next != 0xFF && !(next >= 0xD0 && next <= 0xD7)) return pos;
        pos += (next == 0xFF) ? 1 : 2;  // 0xFF 0xFF: fill byte before a marker
    }
    return size;
}

// Walks the marker segments (lengths skipped, scans stepped over) up to the end-of-image marker,
// so data after it (camera trailers) is fine and an embedded thumbnail's marker is never mistaken
// for the end.
std::string jpegProblem(const uint8_t* data, size_t size) {
    size_t pos = 2;  // after SOI
    while (pos < size) {
        if (data[pos] != 0xFF) return "corrupt JPEG: expected a marker at byte " + std::to_string(pos);
        while (pos < size && data[pos] == 0xFF) ++pos;  // fill bytes
        if (pos >= size) break;
        const uint8_t marker = data[pos++];
        if (marker == 0xD9) return {};  // EOI
        if (isStandaloneJpegMarker(marker)) continue;
        if (pos + 2 > size) break;
        const size_t length = (size_t(data[pos]) << 8) | data[pos + 1];
        if (length < 2) return "corrupt JPEG: bad segment length at byte " + std::to_string(pos);
        pos += length;
        if (pos > size) break;
        if (marker == 0xDA) pos = skipEntropyCodedData(data, size, pos);  // SOS
    }
    return "truncated JPEG: no end-of-image marker";
}

// Chunk by chunk up to IEND; CRCs and pixel data are the decoder's business.
std::string pngProblem(const uint8_t* data, size_t size) {
    size_t pos = 8;
    while (pos + 8 <= size) {
        const size_t length = readBigEndian32(data + pos);
        const bool isEnd = std::memcmp(data + pos + 4, "IEND", 4) == 0;
        if (length > size || pos + 12 + length > size) break;
        if (isEnd) return {};
        pos += 12 + length;
    }
    return "truncated PNG: no IEND chunk";
}

// The RIFF header states the size of everything after its first 8 bytes.
std::string webpProblem(const uint8_t* data, size_t size) {
    const uint64_t declared = uint64_t(readLittleEndian32(data + 4)) + 8;
    if (declared > size)
        return "truncated WebP: " + std::to_string(size) + " of " + std::to_string(declared) + " bytes";
    return {};
}

// BMP headers are unreliable about the total size; the pixel data offset at least must lie inside.
std::string bmpProblem(const uint8_t* data, size_t size) {
    if (size < 26) return "truncated BMP: header incomplete";
    if (readLittleEndian32(data + 10) >= size) return "truncated BMP: no pixel data";
    return {};
}

std::string tiffProblem(const uint8_t* data, size_t size) {
    if (size < 8) return "truncated TIFF: header incomplete";
    const bool littleEndian = data[0] == 'I';
    const uint32_t firstDirectory = littleEndian ? readLittleEndian32(data + 4) : readBigEndian32(data + 4);
    if (firstDirectory + 2ull > size) return "truncated TIFF: first directory outside the file";
    return {};
}

}  // namespace

ImageFormat sniffImageFormat(const uint8_t* data, size_t size) {
    if (startsWith(data, size, "\xFF\xD8\xFF", 3)) return ImageFormat::Jpeg;
    if (startsWith(data, size, "\x89PNG\r\n\x1A\n", 8)) return ImageFormat::Png;
    if (startsWith(data, size, "RIFF", 4) && size >= 12 && std::memcmp(data + 8, "WEBP", 4) == 0)
        return ImageFormat::WebP;
    if (startsWith(data, size, "BM", 2) && hasBmpInfoHeader(data, size)) return ImageFormat::Bmp;
    if (startsWith(data, size, "II*\0", 4) || startsWith(data, size, "MM\0*", 4)) return ImageFormat::Tiff;
    return ImageFormat::Unknown;
}

const char* imageFormatName(ImageFormat format) {
    switch (format) {
    case ImageFormat::Jpeg: return "JPEG";
    case ImageFormat::Png: return "PNG";
    case ImageFormat::WebP: return "WebP";
    case ImageFormat::Bmp: return "BMP";
    case ImageFormat::Tiff: return "TIFF";
    case ImageFormat::Unknown: break;
    }
    return "unknown";
}

std::string containerProblem(ImageFormat format, const uint8_t* data, size_t size) {
    switch (format) {
    case ImageFormat::Jpeg: return jpegProblem(data, size);
    case ImageFormat::Png: return pngProblem(data, size);
    case ImageFormat::WebP: return webpProblem(data, size);
    case ImageFormat::Bmp: return bmpProblem(data, size);
    case ImageFormat::Tiff: return tiffProblem(data, size);
    case ImageFormat::Unknown: break;
    }
    return "not an image (unrecognised content)";
}

}  // namespace ds::data
