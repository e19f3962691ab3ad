// An LMDB database (a directory holding data.mdb, as fyu/lsun's LSUN downloads) opened strictly
// read-only: the source of an import or of training data is never modified, and a database on a
// read-only medium (a mounted image, a shared read-only export) opens as well.
#pragma once
#include <lmdb.h>

#include <cstdint>
#include <string>

namespace ds::lmdb {

// How the database will be read; it only tunes the kernel's read-ahead.
enum class ReadPattern {
    Sequential,  // an export walking the keys in order
    Random,      // training picking entries at random (read-ahead would waste I/O)
};

struct LmdbStats {
    int64_t entries = 0;
    int64_t pageSize = 0;
    int64_t depth = 0;          // B-tree depth
    int64_t fileBytes = 0;      // size of data.mdb on disk
    int64_t usedBytes = 0;      // pages in use (last page + 1) x page size
};

class LmdbEnvironment {
public:
    // Throws ds::Error naming the directory when it is missing, holds no data.mdb, or data.mdb
    // is not an LMDB file. Opened with MDB_RDONLY | MDB_NOLOCK: lock.mdb is neither created nor
    // written (so nothing in the directory changes), at the price that no process may write the
    // database while we read it - true of a downloaded dataset.
    explicit LmdbEnvironment(const std::string& directory, ReadPattern pattern = ReadPattern::Sequential);
    ~LmdbEnvironment();
    LmdbEnvironment(const LmdbEnvironment&) = delete;
    LmdbEnvironment& operator=(const LmdbEnvironment&) = delete;

    const std::string& directory() const { return directory_; }
    std::string dataFile() const;
    LmdbStats stats() const;

    MDB_env* handle() const { return env_; }
    MDB_dbi mainDatabase() const { return dbi_; }

private:
    std::string directory_;
    MDB_env* env_ = nullptr;
    MDB_dbi dbi_ = 0;
};

// True when `directory` is a directory holding a data.mdb file (what `train --data` uses to tell
// an LMDB from an image folder).
bool isLmdbDirectory(const std::string& directory);

// ds::Error "path: <action>: <LMDB's message>".
[[noreturn]] void throwLmdbError(const std::string& path, const std::string& action, int rc);

}  // namespace ds::lmdb
