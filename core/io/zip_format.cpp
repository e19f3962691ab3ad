// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/io/zip_format.h"

#include <zlib.h>

#include <algorithm>

namespace ds::io::zip {

uint32_t crc32Of(const void* data, uint64_t size) {
    uLong crc = crc32(0L, Z_NULL, 0);
    const auto* p = static_cast<const Bytef*>(data);
    while (size > 0) {
        const auto n = static_cast<uInt>(std::min(size, kZlibChunk));
        crc = crc32(crc, p, n);
        p += n;
        size -= n;
    }
    return static_cast<uint32_t>(crc);
}

}  // namespace ds::io::zip
