// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/lmdb/lmdb_cursor.h"

namespace ds::lmdb {

LmdbCursor::LmdbCursor(const LmdbReadTransaction& transaction) : transaction_(transaction) {
    const LmdbEnvironment& env = transaction_.environment();
    const int rc = mdb_cursor_open(transaction_.handle(), env.mainDatabase(), &cursor_);
    if (rc != 0) throwLmdbError(env.dataFile(), "cannot open a cursor", rc);
}

LmdbCursor::~LmdbCursor() { mdb_cursor_close(cursor_); }

bool LmdbCursor::next(std::string_view& key, std::string_view& value) {
    MDB_val k{}, v{};
    const int rc = mdb_cursor_get(cursor_, &k, &v, MDB_NEXT);
    if (rc == MDB_NOTFOUND) return false;
    if (rc != 0) throwLmdbError(transaction_.environment().dataFile(), "cannot read the next entry", rc);
    const LmdbEnvironment& env = transaction_.environment();
    key = env.view(
        k, [&] { return "a key after " + (previous_.empty() ? std::string("the start") : std::string(previous_)); });
    value = env.view(v, [&] { return "the value of key " + std::string(key); });
    previous_ = key;
    return true;
}

}  // namespace ds::lmdb
