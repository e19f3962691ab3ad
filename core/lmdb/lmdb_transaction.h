// SPDX-License-Identifier: GPL-3.0-or-later
// A read-only LMDB transaction: a consistent view of the database. Values returned by get()
// point into the memory map and stay valid while the transaction lives. One transaction per
// thread; beginning one is cheap (no lock table under MDB_NOLOCK).
#pragma once
#include "core/lmdb/lmdb_environment.h"

#include <optional>
#include <string_view>

namespace ds::lmdb {

class LmdbReadTransaction {
public:
    explicit LmdbReadTransaction(const LmdbEnvironment& environment);
    ~LmdbReadTransaction();
    LmdbReadTransaction(const LmdbReadTransaction&) = delete;
    LmdbReadTransaction& operator=(const LmdbReadTransaction&) = delete;

    // The value stored under `key`, or nullopt when there is none.
    std::optional<std::string_view> get(std::string_view key) const;

    MDB_txn* handle() const { return txn_; }
    const LmdbEnvironment& environment() const { return environment_; }

private:
    const LmdbEnvironment& environment_;
    MDB_txn* txn_ = nullptr;
};

}  // namespace ds::lmdb
