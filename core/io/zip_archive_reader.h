// SPDX-License-Identifier: GPL-3.0-or-later
// A minimal zip reader: what PyTorch archives (stored entries, ZIP64 for large files) and numpy
// .npz files (deflated entries from savez_compressed) need. Entries are read on demand from the
// file, so a multi-gigabyte checkpoint is never held in memory twice.
//
// Every size and offset is checked against the archive's real size first: a truncated download
// or a corrupt file gives a ds::Error naming the file, never a crash or a huge allocation.
// Not thread-safe: reads share one stream.
#pragma once
#include "core/io/zip_format.h"

#include <cstdint>
#include <istream>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace ds::io {

class ZipArchiveReader {
public:
    // Opens a zip file and reads its central directory. Throws ds::Error ("path: not a zip
    // archive (...)", "path: truncated zip archive (...)") when it cannot.
    explicit ZipArchiveReader(const std::string& path);

    // An archive held in memory (tests, fuzzing) or in an open stream; `name` is used in
    // messages.
    static ZipArchiveReader fromBytes(std::string bytes, const std::string& name);
    static ZipArchiveReader fromStream(std::unique_ptr<std::istream> stream, const std::string& name);

    ZipArchiveReader(ZipArchiveReader&&) noexcept;
    ZipArchiveReader& operator=(ZipArchiveReader&&) noexcept;
    ~ZipArchiveReader();

    const std::string& path() const { return path_; }

    std::vector<std::string> names() const;  // in central directory order
    bool contains(const std::string& name) const;

    // The first entry that is `suffix` itself or ends with "/" + suffix: PyTorch puts everything
    // under a top folder named after the file ("model-1/data.pkl"), which readers must not guess.
    std::optional<std::string> findBySuffix(const std::string& suffix) const;

    uint64_t size(const std::string& name) const;  // uncompressed size; throws if missing

    // Whole entry, CRC-checked. Throws when missing, corrupt or using an unsupported method.
    std::string read(const std::string& name) const;

    // The same into caller memory (e.g. a tensor's storage): `capacity` must equal size(name).
    void readInto(const std::string& name, void* destination, uint64_t capacity) const;

    uint64_t fileSize() const { return fileSize_; }

private:
    using Entry = zip::DirectoryEntry;
    struct EndRecord {
        uint64_t entryCount = 0;
        uint64_t directorySize = 0;
        uint64_t directoryOffset = 0;
        uint64_t position = 0;  // where the end record itself starts
    };

    ZipArchiveReader(std::unique_ptr<std::istream> stream, std::string name);

    void readAt(uint64_t offset, void* destination, uint64_t count) const;
    EndRecord findEndRecord() const;
    void readZip64EndRecord(EndRecord& record) const;
    void readCentralDirectory(const EndRecord& record);
    void checkSizes(const Entry& entry) const;
    void parseZip64Extra(const char* extra, size_t length, Entry& entry) const;
    const Entry& entry(const std::string& name) const;
    uint64_t dataOffset(const Entry& entry) const;
    void inflateInto(const Entry& entry, uint64_t offset, void* destination) const;

    std::string path_;
    std::unique_ptr<std::istream> stream_;
    uint64_t fileSize_ = 0;
    std::vector<Entry> entries_;
    std::unordered_map<std::string, size_t> index_;
};

}  // namespace ds::io
