// SPDX-License-Identifier: GPL-3.0-or-later
// Where this process has mapped a file into memory, read from the kernel's own list
// (/proc/self/maps). LMDB returns keys and values as pointers into its map of data.mdb and trusts
// the offsets and sizes stored in the file's pages: knowing the map's bounds lets the wrappers
// refuse a damaged entry instead of reading past the map (SIGSEGV or SIGBUS).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace ds::lmdb {

struct MappedRange {
    uintptr_t begin = 0;
    uintptr_t end = 0;  // one past the last mapped byte

    // Whether the `size` bytes at `data` all lie inside the range.
    bool contains(const void* data, size_t size) const;

    // The mapping of the file at `path` (matched by device and inode, so links and renames do
    // not matter) that contains `inside`, clipped to the file's first `fileBytes` bytes (a map may
    // be longer than its file; bytes past the end raise SIGBUS). nullopt when there is none or
    // the list cannot be read (not Linux).
    static std::optional<MappedRange> find(const std::string& path, const void* inside, uint64_t fileBytes);
};

}  // namespace ds::lmdb
