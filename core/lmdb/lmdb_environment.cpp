// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/lmdb/lmdb_environment.h"

#include "core/lmdb/lmdb_transaction.h"
#include "core/util/error.h"

#include <filesystem>

namespace ds::lmdb {
namespace fs = std::filesystem;
namespace {

constexpr const char* kDataFile = "data.mdb";

// Refuses anything that is not a directory with a data.mdb, before LMDB sees it (LMDB would
// happily create a new, empty database in a writable directory without MDB_RDONLY).
int64_t checkDirectory(const std::string& directory) {
    std::error_code ec;
    const fs::file_status status = fs::status(directory, ec);
    if (!fs::exists(status)) throw fileError(directory, "no such folder");
    if (!fs::is_directory(status)) throw fileError(directory, "not a folder (an LMDB is a folder holding data.mdb)");
    const fs::path data = fs::path(directory) / kDataFile;
    if (!fs::is_regular_file(data, ec)) throw fileError(directory, "not an LMDB (no data.mdb in the folder)");
    const auto bytes = fs::file_size(data, ec);
    if (ec) throw fileError(data.string(), "cannot read the size: " + ec.message());
    if (bytes == 0) throw fileError(data.string(), "not an LMDB (empty file)");
    return int64_t(bytes);
}

}  // namespace

void throwLmdbError(const std::string& path, const std::string& action, int rc) {
    std::string problem = mdb_strerror(rc);
    if (rc == MDB_INVALID || rc == MDB_VERSION_MISMATCH) problem = "not an LMDB (" + problem + ")";
    throw fileError(path, action + ": " + problem);
}

bool isLmdbDirectory(const std::string& directory) {
    std::error_code ec;
    return fs::is_directory(directory, ec) && fs::is_regular_file(fs::path(directory) / kDataFile, ec);
}

LmdbEnvironment::LmdbEnvironment(const std::string& directory, ReadPattern pattern)
    : directory_(directory), fileBytes_(checkDirectory(directory)) {
    int rc = mdb_env_create(&env_);
    if (rc != 0) throwLmdbError(directory_, "cannot open", rc);
    // Map only what the file holds: LSUN's databases record a 1 TiB map size, which a process
    // under an address-space limit could not map. LMDB raises a smaller size to the data's size.
    mdb_env_set_mapsize(env_, size_t(fileBytes_));
    unsigned flags = MDB_RDONLY | MDB_NOLOCK | MDB_NOTLS;
    if (pattern == ReadPattern::Random) flags |= MDB_NORDAHEAD;
    rc = mdb_env_open(env_, directory_.c_str(), flags, 0444);
    if (rc != 0) {
        mdb_env_close(env_);
        env_ = nullptr;
        throwLmdbError(dataFile(), "cannot open", rc);
    }
    try {
        checkComplete();
        LmdbReadTransaction txn(*this);
        rc = mdb_dbi_open(txn.handle(), nullptr, 0, &dbi_);
        if (rc != 0) throwLmdbError(dataFile(), "cannot open the main database", rc);
        locateMap();
    } catch (...) {
        mdb_env_close(env_);
        throw;
    }
}

LmdbEnvironment::~LmdbEnvironment() {
    if (env_) mdb_env_close(env_);
}

void LmdbEnvironment::checkComplete() const {
    const LmdbStats s = stats();
    if (s.fileBytes < s.usedBytes)
        throw fileError(dataFile(), "truncated: " + std::to_string(s.fileBytes) +
                                        " bytes, but the database's pages reach " + std::to_string(s.usedBytes) +
                                        " (an incomplete download or copy?)");
}

void LmdbEnvironment::locateMap() {
    LmdbReadTransaction txn(*this);
    MDB_cursor* cursor = nullptr;
    if (mdb_cursor_open(txn.handle(), dbi_, &cursor) != 0) return;
    MDB_val key{}, value{};
    if (mdb_cursor_get(cursor, &key, &value, MDB_FIRST) == 0)
        map_ = MappedRange::find(dataFile(), key.mv_data, uint64_t(fileBytes_));
    mdb_cursor_close(cursor);
}

bool LmdbEnvironment::inside(const MDB_val& entry) const {
    return map_ ? map_->contains(entry.mv_data, entry.mv_size) : entry.mv_size <= uint64_t(fileBytes_);
}

void LmdbEnvironment::throwOutside(const MDB_val& entry, const std::string& what) const {
    throw fileError(dataFile(), "damaged database: " + what + " (" + std::to_string(entry.mv_size) +
                                    " bytes) reaches outside the file");
}

std::string LmdbEnvironment::dataFile() const { return (fs::path(directory_) / kDataFile).string(); }

LmdbStats LmdbEnvironment::stats() const {
    MDB_stat st{};
    int rc = mdb_env_stat(env_, &st);
    if (rc != 0) throwLmdbError(dataFile(), "cannot read statistics", rc);
    MDB_envinfo info{};
    rc = mdb_env_info(env_, &info);
    if (rc != 0) throwLmdbError(dataFile(), "cannot read statistics", rc);
    LmdbStats s;
    s.entries = int64_t(st.ms_entries);
    s.pageSize = int64_t(st.ms_psize);
    s.depth = int64_t(st.ms_depth);
    std::error_code ec;
    s.fileBytes = int64_t(fs::file_size(dataFile(), ec));
    s.usedBytes = int64_t(info.me_last_pgno + 1) * s.pageSize;
    return s;
}

}  // namespace ds::lmdb
