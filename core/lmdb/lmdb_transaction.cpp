// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/lmdb/lmdb_transaction.h"

namespace ds::lmdb {

LmdbReadTransaction::LmdbReadTransaction(const LmdbEnvironment& environment) : environment_(environment) {
    const int rc = mdb_txn_begin(environment_.handle(), nullptr, MDB_RDONLY, &txn_);
    if (rc != 0) throwLmdbError(environment_.dataFile(), "cannot begin a read transaction", rc);
}

LmdbReadTransaction::~LmdbReadTransaction() { mdb_txn_abort(txn_); }

std::optional<std::string_view> LmdbReadTransaction::get(std::string_view key) const {
    MDB_val k{key.size(), const_cast<char*>(key.data())};  // LMDB does not write through it
    MDB_val v{};
    const int rc = mdb_get(txn_, environment_.mainDatabase(), &k, &v);
    if (rc == MDB_NOTFOUND) return std::nullopt;
    if (rc != 0) throwLmdbError(environment_.dataFile(), "cannot read key " + std::string(key), rc);
    return environment_.view(v, [&] { return "the value of key " + std::string(key); });
}

}  // namespace ds::lmdb
