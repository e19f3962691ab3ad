// SPDX-License-Identifier: GPL-3.0-or-later
// The parts of the zip format that ZipArchiveReader and ZipArchiveWriter share: record
// signatures, fixed record sizes, field limits, flag and method values (all from PKWARE's
// specification, APPNOTE.TXT), the fields the central directory keeps for each entry, and the
// CRC-32 that every entry carries.
#pragma once
#include <cstdint>
#include <string>

namespace ds::io::zip {

// Record signatures.
constexpr uint32_t kLocalHeaderSignature = 0x04034b50;
constexpr uint32_t kCentralHeaderSignature = 0x02014b50;
constexpr uint32_t kEndSignature = 0x06054b50;
constexpr uint32_t kZip64EndSignature = 0x06064b50;
constexpr uint32_t kZip64LocatorSignature = 0x07064b50;

// Fixed sizes of the records, before their variable-length name, extra and comment fields.
constexpr uint64_t kLocalHeaderSize = 30;
constexpr uint64_t kCentralHeaderSize = 46;
constexpr uint64_t kEndSize = 22;
constexpr uint64_t kZip64EndSize = 56;
constexpr uint64_t kZip64LocatorSize = 20;

// The largest values of 16- and 32-bit fields. A size, offset or count that does not fit
// its classic field is written as the maximum, with the real value in a ZIP64 record.
constexpr uint64_t kMax16 = 0xFFFF;
constexpr uint64_t kMax32 = 0xFFFFFFFF;
constexpr uint64_t kMaxCommentSize = kMax16;

constexpr uint16_t kZip64ExtraId = 0x0001;  // the extra field holding ZIP64 sizes and offset
constexpr uint16_t kMethodStored = 0;
constexpr uint16_t kMethodDeflated = 8;
constexpr uint16_t kFlagEncrypted = 0x0001;
constexpr uint16_t kFlagUtf8Name = 0x0800;  // bit 11: the name is UTF-8

// zlib counts in uInt (32 bits): large buffers are fed to it in pieces of this size.
constexpr uint64_t kZlibChunk = 1u << 30;

// An entry as the central directory describes it.
struct DirectoryEntry {
    std::string name;
    uint16_t flags = 0;
    uint16_t method = 0;
    uint32_t crc = 0;
    uint64_t compressedSize = 0;
    uint64_t size = 0;
    uint64_t localHeaderOffset = 0;
};

// The CRC-32 of `size` bytes, as zip (and zlib's crc32) computes it, for any size.
uint32_t crc32Of(const void* data, uint64_t size);

}  // namespace ds::io::zip
