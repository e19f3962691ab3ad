// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/lmdb/lmdb_key_list.h"

#include "core/lmdb/lmdb_cursor.h"

namespace ds::lmdb {

LmdbKeyList LmdbKeyList::read(const LmdbEnvironment& environment, const StopToken* stop, const Filter& keep) {
    LmdbKeyList list;
    list.offsets_.push_back(0);
    LmdbReadTransaction txn(environment);
    LmdbCursor cursor(txn);
    std::string_view key, value;
    for (size_t n = 0; cursor.next(key, value); ++n) {
        if (n % 4096 == 0) throwIfStopped(stop);
        if (!keep || keep(key, value.size())) list.append(key);
    }
    return list;
}

void LmdbKeyList::append(std::string_view key) {
    bytes_.append(key);
    offsets_.push_back(bytes_.size());
}

std::string_view LmdbKeyList::operator[](size_t index) const {
    return std::string_view(bytes_).substr(offsets_[index], offsets_[index + 1] - offsets_[index]);
}

}  // namespace ds::lmdb
