// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/lmdb/mapped_range.h"

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <fstream>
#include <sstream>
#include <vector>

namespace ds::lmdb {

bool MappedRange::contains(const void* data, size_t size) const {
    const auto at = reinterpret_cast<uintptr_t>(data);
    return at >= begin && at <= end && size <= end - at;
}

namespace {

// One line of /proc/self/maps: "begin-end perms offset major:minor inode [path]", numbers in hex
// but the inode.
struct MapsLine {
    uintptr_t begin = 0, end = 0;
    uint64_t offset = 0;
    unsigned deviceMajor = 0, deviceMinor = 0;
    unsigned long long inode = 0;
};

std::optional<MapsLine> parseMapsLine(const std::string& line) {
    std::istringstream fields(line);
    MapsLine m;
    char dash = 0, colon = 0;
    std::string perms;
    fields >> std::hex >> m.begin >> dash >> m.end >> perms >> m.offset >> m.deviceMajor >> colon >> m.deviceMinor >>
        std::dec >> m.inode;
    if (!fields || dash != '-' || colon != ':') return std::nullopt;
    return m;
}

}  // namespace

std::optional<MappedRange> MappedRange::find(const std::string& path, const void* inside, uint64_t fileBytes) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return std::nullopt;
    // The file's mappings in address order; the kernel may have split one mmap into several.
    std::vector<MapsLine> pieces;
    std::ifstream maps("/proc/self/maps");
    for (std::string line; std::getline(maps, line);) {
        const auto m = parseMapsLine(line);
        if (m && m->inode == st.st_ino && m->deviceMajor == major(st.st_dev) && m->deviceMinor == minor(st.st_dev))
            pieces.push_back(*m);
    }
    const auto address = reinterpret_cast<uintptr_t>(inside);
    for (size_t i = 0; i < pieces.size(); ++i) {
        if (address < pieces[i].begin || address >= pieces[i].end) continue;
        // Grow it over the neighbours that continue the same mapping of the file.
        size_t first = i, last = i;
        const auto continues = [&](const MapsLine& a, const MapsLine& b) {
            return a.end == b.begin && a.offset + (a.end - a.begin) == b.offset;
        };
        while (first > 0 && continues(pieces[first - 1], pieces[first])) --first;
        while (last + 1 < pieces.size() && continues(pieces[last], pieces[last + 1])) ++last;
        // The file ends at fileBytes; a map may reach past it (those bytes raise SIGBUS).
        const uint64_t offset = pieces[first].offset;
        if (offset >= fileBytes) return std::nullopt;
        const uintptr_t begin = pieces[first].begin, end = pieces[last].end;
        const uint64_t fileLeft = fileBytes - offset;
        return MappedRange{begin, end - begin > fileLeft ? begin + uintptr_t(fileLeft) : end};
    }
    return std::nullopt;
}

}  // namespace ds::lmdb
