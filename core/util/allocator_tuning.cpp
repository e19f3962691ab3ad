// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/util/allocator_tuning.h"

#include <malloc.h>

#include <cstdlib>

namespace ds {

namespace {

constexpr int kTrimThreshold = 1 << 30;  // bytes of free heap top kept before giving it back

bool userTunedMalloc() {
    for (const char* name : {"MALLOC_MMAP_MAX_", "MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "GLIBC_TUNABLES"})
        if (std::getenv(name)) return true;
    return false;
}

}  // namespace

bool keepTensorMemoryInHeap() {
    if (userTunedMalloc()) return false;
    // Both calls also stop glibc's adaptive threshold from changing them back.
    return mallopt(M_MMAP_MAX, 0) == 1 && mallopt(M_TRIM_THRESHOLD, kTrimThreshold) == 1;
}

}  // namespace ds
