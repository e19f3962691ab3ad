// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/io/zip_archive_writer.h"

#include "core/util/error.h"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#ifdef _WIN32
#include <io.h>
#else
#include <unistd.h>
#endif

namespace ds::io {

using namespace zip;

namespace {

constexpr uint16_t kVersionClassic = 20;  // 2.0: stored entries, directories
constexpr uint16_t kVersionZip64 = 45;    // 4.5: ZIP64
// 1980-01-01 00:00, the earliest DOS date: a fixed stamp keeps archives reproducible.
constexpr uint16_t kDosTime = 0;
constexpr uint16_t kDosDate = (1 << 5) | 1;

// Little-endian fields appended to a header buffer.
class Bytes {
public:
    Bytes& u16(uint64_t v) { return put(v, 2); }
    Bytes& u32(uint64_t v) { return put(v, 4); }
    Bytes& u64(uint64_t v) { return put(v, 8); }
    Bytes& raw(const std::string& s) {
        data_ += s;
        return *this;
    }
    const std::string& str() const { return data_; }

private:
    Bytes& put(uint64_t v, int n) {
        for (int i = 0; i < n; ++i) data_.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
        return *this;
    }
    std::string data_;
};

// The fields a local header and its central directory copy share, from "version needed to
// extract" to "file name length". With `zip64Sizes` both sizes are 0xFFFFFFFF placeholders
// and the real ones go in the ZIP64 extra field.
Bytes& putEntryFields(Bytes& header, const DirectoryEntry& r, uint16_t version, bool zip64Sizes) {
    return header.u16(version)
        .u16(r.flags)
        .u16(r.method)
        .u16(kDosTime)
        .u16(kDosDate)
        .u32(r.crc)
        .u32(zip64Sizes ? kMax32 : r.compressedSize)
        .u32(zip64Sizes ? kMax32 : r.size)
        .u16(r.name.size());
}

}  // namespace

ZipArchiveWriter::ZipArchiveWriter(const std::string& path) : path_(path) {
    file_ = std::fopen(path.c_str(), "wb");
    if (!file_) throw fileError(path_, std::string("cannot create: ") + std::strerror(errno));
}

ZipArchiveWriter::~ZipArchiveWriter() {
    if (file_) std::fclose(file_);
}

void ZipArchiveWriter::fail(const std::string& what) const {
    throw fileError(path_, what + ": " + std::strerror(errno));
}

void ZipArchiveWriter::write(const void* data, uint64_t size) {
    if (size == 0) return;
    errno = 0;
    if (std::fwrite(data, 1, size, file_) != size) fail("write failed");
    offset_ += size;
}

bool ZipArchiveWriter::needsZip64(uint64_t value) const { return forceZip64_ || value >= kMax32; }

// Bit 11 tells readers the name is UTF-8; plain ASCII names (all of PyTorch's) leave it clear.
uint16_t ZipArchiveWriter::flagsFor(const std::string& name) const {
    const bool ascii =
        std::all_of(name.begin(), name.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
    return ascii ? 0 : kFlagUtf8Name;
}

void ZipArchiveWriter::addRecord(const std::string& name, const std::string& data) {
    addRecord(name, data.data(), data.size());
}

void ZipArchiveWriter::addRecord(const std::string& name, const void* data, uint64_t size) {
    Record record;
    record.name = name;
    record.method = kMethodStored;
    record.crc = crc32Of(data, size);
    record.compressedSize = size;
    record.size = size;
    addEntry(std::move(record), data, size);
}

void ZipArchiveWriter::addDeflatedRecord(const std::string& name, const std::string& data) {
    if (data.size() > kZlibChunk) throw fileError(path_, "entry '" + name + "' is too large to compress in memory");
    uLongf compressedSize = compressBound(uLong(data.size()));
    std::string compressed(compressedSize, '\0');
    z_stream z{};
    // Raw deflate (negative window bits): zip entries carry no zlib header.
    if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        throw fileError(path_, "cannot initialise zlib");
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    z.avail_in = uInt(data.size());
    z.next_out = reinterpret_cast<Bytef*>(compressed.data());
    z.avail_out = uInt(compressed.size());
    const int status = deflate(&z, Z_FINISH);
    compressedSize = z.total_out;
    deflateEnd(&z);
    if (status != Z_STREAM_END) throw fileError(path_, "cannot compress entry '" + name + "'");

    Record record;
    record.name = name;
    record.method = kMethodDeflated;
    record.crc = crc32Of(data.data(), data.size());
    record.compressedSize = compressedSize;
    record.size = data.size();
    addEntry(std::move(record), compressed.data(), compressedSize);
}

// `bytes` are the entry's data as stored in the archive (compressed or not).
void ZipArchiveWriter::addEntry(Record record, const void* bytes, uint64_t byteCount) {
    if (finished_ || !file_) throw fileError(path_, "archive already finished");
    if (record.name.empty() || record.name.size() > kMax16)
        throw fileError(path_, "invalid archive entry name '" + record.name + "'");
    record.flags = flagsFor(record.name);
    record.localHeaderOffset = offset_;
    writeLocalHeader(record);
    write(bytes, byteCount);
    records_.push_back(std::move(record));
}

// Local header, then an optional ZIP64 extra (both sizes), then torch's "FB" padding extra
// sized so that the data that follows starts on a kAlignment boundary.
void ZipArchiveWriter::writeLocalHeader(const Record& r) {
    const bool zip64 = needsZip64(r.size);
    Bytes zip64Extra;
    if (zip64) zip64Extra.u16(kZip64ExtraId).u16(16).u64(r.size).u64(r.compressedSize);

    const uint64_t unpadded = offset_ + kLocalHeaderSize + r.name.size() + zip64Extra.str().size() + 4;
    const uint64_t padding = (kAlignment - unpadded % kAlignment) % kAlignment;
    Bytes header;
    header.u32(kLocalHeaderSignature);
    putEntryFields(header, r, zip64 ? kVersionZip64 : kVersionClassic, zip64)
        .u16(zip64Extra.str().size() + 4 + padding)
        .raw(r.name)
        .raw(zip64Extra.str())
        .raw("FB")
        .u16(padding)
        .raw(std::string(padding, 'Z'));
    write(header.str().data(), header.str().size());
}

// The central copy carries no padding; its ZIP64 extra lists exactly the fields whose 32-bit
// slot says 0xFFFFFFFF, in the order the specification fixes (size, compressed size, offset).
void ZipArchiveWriter::writeCentralHeader(const Record& r) {
    const bool bigSize = needsZip64(r.size);
    const bool bigOffset = needsZip64(r.localHeaderOffset);
    Bytes extra;
    if (bigSize || bigOffset) {
        extra.u16(kZip64ExtraId).u16((bigSize ? 16 : 0) + (bigOffset ? 8 : 0));
        if (bigSize) extra.u64(r.size).u64(r.compressedSize);
        if (bigOffset) extra.u64(r.localHeaderOffset);
    }
    const uint16_t version = (bigSize || bigOffset) ? kVersionZip64 : kVersionClassic;
    Bytes header;
    // "Version made by": MS-DOS attributes, this spec version.
    header.u32(kCentralHeaderSignature).u16(version);
    putEntryFields(header, r, version, bigSize)
        .u16(extra.str().size())
        .u16(0)  // comment
        .u16(0)  // disk
        .u16(0)  // internal attributes
        .u32(0)  // external attributes
        .u32(bigOffset ? kMax32 : r.localHeaderOffset)
        .raw(r.name)
        .raw(extra.str());
    write(header.str().data(), header.str().size());
}

void ZipArchiveWriter::writeEnd(uint64_t directoryOffset, uint64_t directorySize) {
    const uint64_t count = records_.size();
    const bool zip64 = forceZip64_ || count >= kMax16 || directoryOffset >= kMax32 || directorySize >= kMax32;
    if (zip64) {
        const uint64_t zip64EndOffset = offset_;
        Bytes end;
        end.u32(kZip64EndSignature)
            .u64(44)  // size of the rest of this record
            .u16(kVersionZip64)
            .u16(kVersionZip64)
            .u32(0)
            .u32(0)
            .u64(count)
            .u64(count)
            .u64(directorySize)
            .u64(directoryOffset);
        end.u32(kZip64LocatorSignature).u32(0).u64(zip64EndOffset).u32(1);
        write(end.str().data(), end.str().size());
    }
    Bytes end;
    end.u32(kEndSignature)
        .u16(0)
        .u16(0)
        .u16(zip64 ? kMax16 : count)
        .u16(zip64 ? kMax16 : count)
        .u32(zip64 ? kMax32 : directorySize)
        .u32(zip64 ? kMax32 : directoryOffset)
        .u16(0);
    write(end.str().data(), end.str().size());
}

void ZipArchiveWriter::finish() {
    if (finished_ || !file_) throw fileError(path_, "archive already finished");
    const uint64_t directoryOffset = offset_;
    for (const auto& r : records_) writeCentralHeader(r);
    writeEnd(directoryOffset, offset_ - directoryOffset);

    // The data must be on disk before a caller renames this file over an older one.
    errno = 0;
    if (std::fflush(file_) != 0) fail("write failed");
#ifdef _WIN32
    if (_commit(_fileno(file_)) != 0) fail("sync failed");
#else
    if (fsync(fileno(file_)) != 0) fail("sync failed");
#endif
    std::FILE* file = file_;
    file_ = nullptr;
    if (std::fclose(file) != 0) fail("close failed");
    finished_ = true;
}

}  // namespace ds::io
