// SPDX-License-Identifier: GPL-3.0-or-later
// Walks an LMDB's entries in key order (byte order, as fyu/lsun's export sees them).
#pragma once
#include "core/lmdb/lmdb_transaction.h"

#include <string_view>

namespace ds::lmdb {

class LmdbCursor {
public:
    explicit LmdbCursor(const LmdbReadTransaction& transaction);
    ~LmdbCursor();
    LmdbCursor(const LmdbCursor&) = delete;
    LmdbCursor& operator=(const LmdbCursor&) = delete;

    // The next entry (the first on the first call); false after the last. The views stay
    // valid while the transaction lives. Reading a large value's size does not touch its pages.
    bool next(std::string_view& key, std::string_view& value);

private:
    const LmdbReadTransaction& transaction_;
    MDB_cursor* cursor_ = nullptr;
    // The last key returned, to name where a damaged entry lies: a view into the map, valid while
    // the transaction lives (as the keys handed out are), so the walk copies nothing.
    std::string_view previous_;
};

}  // namespace ds::lmdb
