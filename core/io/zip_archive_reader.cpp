// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/io/zip_archive_reader.h"

#include "core/util/error.h"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>

namespace ds::io {

using namespace zip;

namespace {

uint16_t le16(const char* p) {
    const auto* b = reinterpret_cast<const unsigned char*>(p);
    return static_cast<uint16_t>(b[0] | (b[1] << 8));
}

uint32_t le32(const char* p) {
    const auto* b = reinterpret_cast<const unsigned char*>(p);
    return static_cast<uint32_t>(b[0]) | (static_cast<uint32_t>(b[1]) << 8) | (static_cast<uint32_t>(b[2]) << 16) |
           (static_cast<uint32_t>(b[3]) << 24);
}

uint64_t le64(const char* p) { return le32(p) | (static_cast<uint64_t>(le32(p + 4)) << 32); }

// True when [offset, offset + count) lies inside [0, limit), without overflowing.
bool fits(uint64_t offset, uint64_t count, uint64_t limit) { return offset <= limit && count <= limit - offset; }

}  // namespace

ZipArchiveReader::ZipArchiveReader(const std::string& path)
    : ZipArchiveReader(
          [&path] {
              auto file = std::make_unique<std::ifstream>(path, std::ios::binary);
              if (!*file) throw fileError(path, std::string("cannot open for reading: ") + std::strerror(errno));
              return std::unique_ptr<std::istream>(std::move(file));
          }(),
          path) {}

ZipArchiveReader ZipArchiveReader::fromBytes(std::string bytes, const std::string& name) {
    return ZipArchiveReader(std::make_unique<std::istringstream>(std::move(bytes)), name);
}

ZipArchiveReader ZipArchiveReader::fromStream(std::unique_ptr<std::istream> stream, const std::string& name) {
    if (!stream) throw fileError(name, "cannot read");
    return ZipArchiveReader(std::move(stream), name);
}

ZipArchiveReader::ZipArchiveReader(std::unique_ptr<std::istream> stream, std::string name)
    : path_(std::move(name)), stream_(std::move(stream)) {
    stream_->seekg(0, std::ios::end);
    const auto end = stream_->tellg();
    if (end < 0) throw fileError(path_, "cannot determine the file size");
    fileSize_ = static_cast<uint64_t>(end);
    readCentralDirectory(findEndRecord());
}

ZipArchiveReader::ZipArchiveReader(ZipArchiveReader&&) noexcept = default;
ZipArchiveReader& ZipArchiveReader::operator=(ZipArchiveReader&&) noexcept = default;
ZipArchiveReader::~ZipArchiveReader() = default;

void ZipArchiveReader::readAt(uint64_t offset, void* destination, uint64_t count) const {
    if (!fits(offset, count, fileSize_))
        throw fileError(path_, "truncated zip archive (a record runs past the end of the file)");
    stream_->clear();
    stream_->seekg(static_cast<std::streamoff>(offset));
    // std::streamsize is signed: read very large entries in pieces.
    auto* out = static_cast<char*>(destination);
    while (count > 0) {
        const auto n = std::min<uint64_t>(count, kZlibChunk);
        stream_->read(out, static_cast<std::streamsize>(n));
        if (static_cast<uint64_t>(stream_->gcount()) != n)
            throw fileError(path_, "read error (file changed or unreadable)");
        out += n;
        count -= n;
    }
}

// The end record sits in the last 22 bytes unless an archive comment follows it, so search
// backwards through the largest possible comment.
ZipArchiveReader::EndRecord ZipArchiveReader::findEndRecord() const {
    if (fileSize_ < kEndSize) throw fileError(path_, "not a zip archive (file is too small)");
    const uint64_t tailSize = std::min(fileSize_, kEndSize + kMaxCommentSize);
    const uint64_t tailStart = fileSize_ - tailSize;
    std::string tail(tailSize, '\0');
    readAt(tailStart, tail.data(), tailSize);

    for (uint64_t i = tailSize - kEndSize + 1; i-- > 0;) {
        const char* p = tail.data() + i;
        if (le32(p) != kEndSignature) continue;
        const uint64_t commentSize = le16(p + 20);
        if (i + kEndSize + commentSize > tailSize) continue;  // a signature inside data

        EndRecord record;
        record.position = tailStart + i;
        record.entryCount = le16(p + 10);
        record.directorySize = le32(p + 12);
        record.directoryOffset = le32(p + 16);
        if (le16(p + 4) != 0 || le16(p + 6) != 0)
            throw fileError(path_, "unsupported zip archive (spans several disks)");
        readZip64EndRecord(record);
        return record;
    }
    throw fileError(path_, "truncated file or not a zip archive (no end of central directory)");
}

// PyTorch writes a ZIP64 end record for archives over 4 GiB; its locator sits right before
// the classic end record, whose fields then hold 0xFFFF/0xFFFFFFFF placeholders.
void ZipArchiveReader::readZip64EndRecord(EndRecord& record) const {
    if (record.position < kZip64LocatorSize) return;
    char locator[kZip64LocatorSize];
    readAt(record.position - kZip64LocatorSize, locator, kZip64LocatorSize);
    if (le32(locator) != kZip64LocatorSignature) return;
    const uint64_t offset = le64(locator + 8);
    char end[kZip64EndSize];
    if (!fits(offset, kZip64EndSize, record.position))
        throw fileError(path_, "corrupt zip archive (bad ZIP64 end record offset)");
    readAt(offset, end, kZip64EndSize);
    if (le32(end) != kZip64EndSignature) throw fileError(path_, "corrupt zip archive (missing ZIP64 end record)");
    record.entryCount = le64(end + 32);
    record.directorySize = le64(end + 40);
    record.directoryOffset = le64(end + 48);
    record.position = offset;
}

void ZipArchiveReader::readCentralDirectory(const EndRecord& record) {
    if (!fits(record.directoryOffset, record.directorySize, record.position))
        throw fileError(path_, "truncated zip archive (central directory runs past the end)");
    // Each entry takes at least 46 bytes: a bogus count cannot make us reserve gigabytes.
    if (record.entryCount > record.directorySize / kCentralHeaderSize)
        throw fileError(path_, "corrupt zip archive (entry count exceeds the directory)");

    std::string directory(record.directorySize, '\0');
    readAt(record.directoryOffset, directory.data(), record.directorySize);
    entries_.reserve(record.entryCount);

    uint64_t pos = 0;
    for (uint64_t i = 0; i < record.entryCount; ++i) {
        if (!fits(pos, kCentralHeaderSize, directory.size()))
            throw fileError(path_, "corrupt zip archive (central directory is cut short)");
        const char* h = directory.data() + pos;
        if (le32(h) != kCentralHeaderSignature)
            throw fileError(path_, "corrupt zip archive (bad central directory entry)");
        const uint64_t nameSize = le16(h + 28);
        const uint64_t extraSize = le16(h + 30);
        const uint64_t commentSize = le16(h + 32);
        if (!fits(pos + kCentralHeaderSize, nameSize + extraSize + commentSize, directory.size()))
            throw fileError(path_, "corrupt zip archive (central directory is cut short)");

        Entry entry;
        entry.flags = le16(h + 8);
        entry.method = le16(h + 10);
        entry.crc = le32(h + 16);
        entry.compressedSize = le32(h + 20);
        entry.size = le32(h + 24);
        entry.localHeaderOffset = le32(h + 42);
        entry.name.assign(h + kCentralHeaderSize, nameSize);
        parseZip64Extra(h + kCentralHeaderSize + nameSize, extraSize, entry);
        checkSizes(entry);

        index_.emplace(entry.name, entries_.size());  // keeps the first of duplicate names
        entries_.push_back(std::move(entry));
        pos += kCentralHeaderSize + nameSize + extraSize + commentSize;
    }
}

// Sizes are checked once here so that size() can be trusted for allocations: stored data is
// as long as its size and inside the file; deflate expands at most about 1032:1.
void ZipArchiveReader::checkSizes(const Entry& e) const {
    if (!fits(e.localHeaderOffset, e.compressedSize, fileSize_))
        throw fileError(path_, "truncated zip archive (entry '" + e.name + "' runs past the end of the file)");
    const bool badStored = e.method == kMethodStored && e.size != e.compressedSize;
    const bool badDeflated = e.method == kMethodDeflated && e.size > e.compressedSize * 1032 + 1024;
    if (badStored || badDeflated) throw fileError(path_, "corrupt zip archive (entry '" + e.name + "' has a bad size)");
}

// The ZIP64 extra field holds 64-bit values, in this order, for exactly those fields whose
// 32-bit slot is 0xFFFFFFFF.
void ZipArchiveReader::parseZip64Extra(const char* extra, size_t length, Entry& entry) const {
    size_t pos = 0;
    while (pos + 4 <= length) {
        const uint16_t id = le16(extra + pos);
        const size_t fieldSize = le16(extra + pos + 2);
        if (pos + 4 + fieldSize > length) break;
        if (id == kZip64ExtraId) {
            const char* field = extra + pos + 4;
            size_t used = 0;
            auto next = [&](uint64_t& value) {
                if (value != kMax32) return;
                if (used + 8 > fieldSize)
                    throw fileError(path_, "corrupt zip archive (short ZIP64 field for " + entry.name + ")");
                value = le64(field + used);
                used += 8;
            };
            next(entry.size);
            next(entry.compressedSize);
            next(entry.localHeaderOffset);
            return;
        }
        pos += 4 + fieldSize;
    }
}

std::vector<std::string> ZipArchiveReader::names() const {
    std::vector<std::string> result;
    result.reserve(entries_.size());
    for (const auto& e : entries_) result.push_back(e.name);
    return result;
}

bool ZipArchiveReader::contains(const std::string& name) const { return index_.count(name) > 0; }

std::optional<std::string> ZipArchiveReader::findBySuffix(const std::string& suffix) const {
    const std::string slashed = "/" + suffix;
    for (const auto& e : entries_) {
        if (e.name == suffix) return e.name;
        if (e.name.size() > slashed.size() &&
            e.name.compare(e.name.size() - slashed.size(), slashed.size(), slashed) == 0)
            return e.name;
    }
    return std::nullopt;
}

const ZipArchiveReader::Entry& ZipArchiveReader::entry(const std::string& name) const {
    const auto it = index_.find(name);
    if (it == index_.end()) throw fileError(path_, "missing archive entry '" + name + "'");
    return entries_[it->second];
}

uint64_t ZipArchiveReader::size(const std::string& name) const { return entry(name).size; }

// The data starts after the local header, whose name and extra field may differ in length
// from the central directory's copy (PyTorch pads its local extra field for alignment).
uint64_t ZipArchiveReader::dataOffset(const Entry& e) const {
    char header[kLocalHeaderSize];
    if (!fits(e.localHeaderOffset, kLocalHeaderSize, fileSize_))
        throw fileError(path_, "truncated zip archive (entry '" + e.name + "' is missing)");
    readAt(e.localHeaderOffset, header, kLocalHeaderSize);
    if (le32(header) != kLocalHeaderSignature)
        throw fileError(path_, "corrupt zip archive (bad local header for '" + e.name + "')");
    const uint64_t offset = e.localHeaderOffset + kLocalHeaderSize + le16(header + 26) + le16(header + 28);
    if (!fits(offset, e.compressedSize, fileSize_))
        throw fileError(path_, "truncated zip archive (entry '" + e.name + "' runs past the end of the file)");
    return offset;
}

std::string ZipArchiveReader::read(const std::string& name) const {
    const Entry& e = entry(name);  // its size was checked against the file when listed
    if (e.size > std::numeric_limits<size_t>::max() / 2)
        throw fileError(path_, "entry '" + name + "' is too large to read into memory");
    std::string data(e.size, '\0');
    readInto(name, data.data(), data.size());
    return data;
}

void ZipArchiveReader::readInto(const std::string& name, void* destination, uint64_t capacity) const {
    const Entry& e = entry(name);
    if (capacity != e.size)
        throw fileError(path_, "entry '" + name + "' holds " + std::to_string(e.size) + " bytes, expected " +
                                   std::to_string(capacity));
    if (e.flags & kFlagEncrypted) throw fileError(path_, "unsupported zip archive (entry '" + name + "' is encrypted)");
    const uint64_t offset = dataOffset(e);
    if (e.method == kMethodStored) {
        if (e.compressedSize != e.size)
            throw fileError(path_, "corrupt zip archive (entry '" + name + "' has a bad size)");
        readAt(offset, destination, e.size);
    } else if (e.method == kMethodDeflated) {
        inflateInto(e, offset, destination);
    } else {
        throw fileError(path_,
                        "unsupported zip compression method " + std::to_string(e.method) + " for entry '" + name + "'");
    }
    if (crc32Of(destination, e.size) != e.crc)
        throw fileError(path_, "corrupt zip archive (CRC mismatch in entry '" + name + "')");
}

// Streams the compressed bytes through zlib in chunks, writing straight into the destination.
void ZipArchiveReader::inflateInto(const Entry& e, uint64_t offset, void* destination) const {
    z_stream z{};
    if (inflateInit2(&z, -MAX_WBITS) != Z_OK)  // raw deflate: zip entries carry no zlib header
        throw fileError(path_, "cannot initialise zlib");
    struct Guard {
        z_stream* z;
        ~Guard() { inflateEnd(z); }
    } guard{&z};

    std::string input(static_cast<size_t>(std::min<uint64_t>(e.compressedSize, 1u << 16)), '\0');
    uint64_t inputLeft = e.compressedSize;
    uint64_t inputPos = offset;
    auto* out = static_cast<Bytef*>(destination);
    uint64_t outputLeft = e.size;
    int status = Z_OK;

    while (status != Z_STREAM_END) {
        if (z.avail_in == 0 && inputLeft > 0) {
            const uint64_t n = std::min<uint64_t>(inputLeft, input.size());
            readAt(inputPos, input.data(), n);
            inputPos += n;
            inputLeft -= n;
            z.next_in = reinterpret_cast<Bytef*>(input.data());
            z.avail_in = static_cast<uInt>(n);
        }
        const uInt outChunk = static_cast<uInt>(std::min(outputLeft, kZlibChunk));
        z.next_out = out;
        z.avail_out = outChunk;
        status = inflate(&z, Z_NO_FLUSH);
        const uInt produced = outChunk - z.avail_out;
        out += produced;
        outputLeft -= produced;
        if (status == Z_STREAM_END) break;
        // Z_BUF_ERROR with no input left and no room: the stream is longer or shorter than
        // the directory says.
        const bool stuck =
            status == Z_BUF_ERROR && ((z.avail_in == 0 && inputLeft == 0) || (outputLeft == 0 && produced == 0));
        if ((status != Z_OK && status != Z_BUF_ERROR) || stuck)
            throw fileError(path_, "corrupt compressed data in entry '" + e.name + "'");
    }
    if (outputLeft != 0)
        throw fileError(path_, "corrupt zip archive (entry '" + e.name + "' is shorter than its size)");
}

}  // namespace ds::io
