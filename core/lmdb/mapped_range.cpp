#include "core/lmdb/mapped_range.h"

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <fstream>
#include <sstream>

namespace ds::lmdb {

bool MappedRange::contains(const void* data, size_t size) const {
    const auto at = reinterpret_cast<uintptr_t>(data);
    return at >= begin && at <= end && size <= end - at;
}

std::optional<MappedRange> MappedRange::find(const std::string& path, const void* inside, uint64_t fileBytes) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return std::nullopt;
    std::ifstream maps("/proc/self/maps");
    const auto address = reinterpret_cast<uintptr_t>(inside);
    // Each line: "begin-end perms offset major:minor inode [path]", numbers in hex but the inode.
    for (std::string line; std::getline(maps, line);) {
        std::istringstream fields(line);
        uintptr_t begin = 0, end = 0, offset = 0;
        unsigned deviceMajor = 0, deviceMinor = 0;
        unsigned long long inode = 0;
        char dash = 0, colon = 0;
        std::string perms;
        fields >> std::hex >> begin >> dash >> end >> perms >> offset >> deviceMajor >> colon >> deviceMinor >> std::dec >> inode;
        if (!fields || dash != '-' || colon != ':') continue;
        if (address < begin || address >= end) continue;
        if (inode != st.st_ino || deviceMajor != major(st.st_dev) || deviceMinor != minor(st.st_dev)) return std::nullopt;
        // The mapping may start at an offset into the file; the file ends at fileBytes.
        if (offset >= fileBytes) return std::nullopt;
        const uint64_t fileLeft = fileBytes - offset;
        return MappedRange{begin, end - begin > fileLeft ? begin + uintptr_t(fileLeft) : end};
    }
    return std::nullopt;
}

}  // namespace ds::lmdb
