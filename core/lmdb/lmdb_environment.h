// SPDX-License-Identifier: GPL-3.0-or-later
// An LMDB database (a directory holding data.mdb, as fyu/lsun's LSUN downloads) opened strictly
// read-only: the source of an import or of training data is never modified, and a database on a
// read-only medium (a mounted image, a shared read-only export) opens as well.
#pragma once
#include "core/lmdb/mapped_range.h"

#include <lmdb.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ds::lmdb {

// How the database will be read; it only tunes the kernel's read-ahead.
enum class ReadPattern {
    Sequential,  // an export walking the keys in order
    Random,      // training picking entries at random (read-ahead would waste I/O)
};

struct LmdbStats {
    int64_t entries = 0;
    int64_t pageSize = 0;
    int64_t depth = 0;      // B-tree depth
    int64_t fileBytes = 0;  // size of data.mdb on disk
    int64_t usedBytes = 0;  // pages in use (last page + 1) x page size
};

class LmdbEnvironment {
public:
    // Throws ds::Error naming the directory when it is missing, holds no data.mdb, or data.mdb
    // is not an LMDB file or is shorter than its pages say (an incomplete download or copy:
    // LMDB would map the missing pages and die of SIGBUS reading them). Opened with
    // MDB_RDONLY | MDB_NOLOCK: lock.mdb is neither created nor written (so nothing in the
    // directory changes), at the price that no process may write the database while we read it -
    // true of a downloaded dataset.
    explicit LmdbEnvironment(const std::string& directory, ReadPattern pattern = ReadPattern::Sequential);
    ~LmdbEnvironment();
    LmdbEnvironment(const LmdbEnvironment&) = delete;
    LmdbEnvironment& operator=(const LmdbEnvironment&) = delete;

    const std::string& directory() const { return directory_; }
    std::string dataFile() const;
    LmdbStats stats() const;

    MDB_env* handle() const { return env_; }
    MDB_dbi mainDatabase() const { return dbi_; }

    // A key or value LMDB returned, as a view, once it is known to lie inside data.mdb. LMDB
    // trusts the offsets and sizes stored in its pages (it has no checksums), so a damaged page
    // can describe an entry reaching past the file. `what()` ("the value of key K") is called
    // only for the error, which names data.mdb.
    template <typename Describe>
    std::string_view view(const MDB_val& entry, Describe what) const {
        if (!inside(entry)) throwOutside(entry, what());
        return std::string_view(static_cast<const char*>(entry.mv_data), entry.mv_size);
    }

private:
    bool inside(const MDB_val& entry) const;
    [[noreturn]] void throwOutside(const MDB_val& entry, const std::string& what) const;
    void checkComplete() const;
    void locateMap();

    std::string directory_;
    MDB_env* env_ = nullptr;
    MDB_dbi dbi_ = 0;
    int64_t fileBytes_ = 0;
    // Where data.mdb is mapped (found from the first key's address); without it (an empty
    // database, or no /proc) only the entry's size is checked against the file's.
    std::optional<MappedRange> map_;
};

// True when `directory` is a directory holding a data.mdb file (what `train --data` uses to tell
// an LMDB from an image folder).
bool isLmdbDirectory(const std::string& directory);

// ds::Error "path: <action>: <LMDB's message>".
[[noreturn]] void throwLmdbError(const std::string& path, const std::string& action, int rc);

}  // namespace ds::lmdb
