// SPDX-License-Identifier: GPL-3.0-or-later
// Creates an LMDB laid out like fyu/lsun's downloads (a directory holding data.mdb and
// lock.mdb) and fills it in one write transaction. Diffusion Studio never writes a user's
// database; this exists for `bench lmdb` and the tests, which build their own.
#pragma once
#include <lmdb.h>

#include <cstddef>
#include <string>
#include <string_view>

namespace ds::lmdb {

class LmdbWriter {
public:
    // Creates `directory` when missing. `mapBytes` bounds the database's size.
    LmdbWriter(const std::string& directory, size_t mapBytes);
    ~LmdbWriter();  // an uncommitted transaction is discarded
    LmdbWriter(const LmdbWriter&) = delete;
    LmdbWriter& operator=(const LmdbWriter&) = delete;

    void put(std::string_view key, std::string_view value);
    // Makes everything put so far durable; the writer is finished afterwards.
    void commit();

private:
    std::string directory_;
    MDB_env* env_ = nullptr;
    MDB_txn* txn_ = nullptr;
    MDB_dbi dbi_ = 0;
};

}  // namespace ds::lmdb
