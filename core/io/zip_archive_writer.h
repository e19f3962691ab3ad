// SPDX-License-Identifier: GPL-3.0-or-later
// Writes a zip archive the way PyTorch's PyTorchStreamWriter does, so that Python's torch.load
// opens it: entries are stored (addRecord) and their data starts on a 64-byte
// boundary (the local header's extra field is padded with an "FB" record, as torch does), which
// lets readers map tensor data in place. ZIP64 records are written when an entry, an offset or
// the entry count outgrows the classic format.
#pragma once
#include "core/io/zip_format.h"

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace ds::io {

class ZipArchiveWriter {
public:
    static constexpr uint64_t kAlignment = 64;

    // Creates or truncates `path`. Throws ds::Error when it cannot.
    explicit ZipArchiveWriter(const std::string& path);
    // Closes the file. An archive that was not finish()ed is incomplete: the caller removes it.
    ~ZipArchiveWriter();
    ZipArchiveWriter(const ZipArchiveWriter&) = delete;
    ZipArchiveWriter& operator=(const ZipArchiveWriter&) = delete;

    // Writes ZIP64 records even when nothing needs them: exercises that path in tests without
    // writing 4 GiB.
    void setForceZip64(bool force) { forceZip64_ = force; }

    void addRecord(const std::string& name, const void* data, uint64_t size);
    void addRecord(const std::string& name, const std::string& data);
    // A deflate-compressed entry (what numpy's savez_compressed writes), compressed in memory.
    void addDeflatedRecord(const std::string& name, const std::string& data);

    // Writes the central directory, then flushes, fsyncs and closes the file. Any failure
    // (disk full, ...) throws ds::Error naming the file.
    void finish();

private:
    using Record = zip::DirectoryEntry;

    void addEntry(Record record, const void* bytes, uint64_t byteCount);

    void write(const void* data, uint64_t size);
    void writeLocalHeader(const Record& record);
    void writeCentralHeader(const Record& record);
    void writeEnd(uint64_t directoryOffset, uint64_t directorySize);
    bool needsZip64(uint64_t value) const;
    uint16_t flagsFor(const std::string& name) const;
    [[noreturn]] void fail(const std::string& what) const;

    std::string path_;
    std::FILE* file_ = nullptr;
    uint64_t offset_ = 0;
    std::vector<Record> records_;
    bool forceZip64_ = false;
    bool finished_ = false;
};

}  // namespace ds::io
