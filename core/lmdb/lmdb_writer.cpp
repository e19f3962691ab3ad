// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/lmdb/lmdb_writer.h"

#include "core/lmdb/lmdb_environment.h"
#include "core/util/error.h"

#include <filesystem>

namespace ds::lmdb {

LmdbWriter::LmdbWriter(const std::string& directory, size_t mapBytes) : directory_(directory) {
    std::error_code ec;
    std::filesystem::create_directories(directory_, ec);
    if (ec) throw fileError(directory_, "cannot create the folder: " + ec.message());
    int rc = mdb_env_create(&env_);
    if (rc != 0) throwLmdbError(directory_, "cannot create an LMDB", rc);
    mdb_env_set_mapsize(env_, mapBytes);
    rc = mdb_env_open(env_, directory_.c_str(), 0, 0644);
    if (rc == 0) rc = mdb_txn_begin(env_, nullptr, 0, &txn_);
    if (rc == 0) rc = mdb_dbi_open(txn_, nullptr, 0, &dbi_);
    if (rc != 0) {
        if (txn_) mdb_txn_abort(txn_);
        mdb_env_close(env_);
        throwLmdbError(directory_, "cannot create an LMDB", rc);
    }
}

LmdbWriter::~LmdbWriter() {
    if (txn_) mdb_txn_abort(txn_);
    mdb_env_close(env_);
}

void LmdbWriter::put(std::string_view key, std::string_view value) {
    if (!txn_) throw Error("LmdbWriter::put after commit");
    MDB_val k{key.size(), const_cast<char*>(key.data())};
    MDB_val v{value.size(), const_cast<char*>(value.data())};
    const int rc = mdb_put(txn_, dbi_, &k, &v, 0);
    if (rc != 0) throwLmdbError(directory_, "cannot store key " + std::string(key), rc);
}

void LmdbWriter::commit() {
    if (!txn_) return;
    const int rc = mdb_txn_commit(txn_);
    txn_ = nullptr;  // freed by LMDB whether or not the commit succeeded
    if (rc != 0) throwLmdbError(directory_, "cannot commit", rc);
}

}  // namespace ds::lmdb
