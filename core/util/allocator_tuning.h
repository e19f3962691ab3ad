// SPDX-License-Identifier: GPL-3.0-or-later
// glibc's allocator, tuned for tensors. By default glibc serves every block over 128 KiB to
// 32 MiB (its threshold adapts) with mmap and gives it back with munmap when freed, so each
// large activation of every layer costs fresh pages that the kernel must fault in and zero:
// profiling DDIM sampling showed a quarter of the time in page faults, clearing and unmapping.
// Keeping freed blocks in the heap for the next layer made DDIM 1.5x faster on this machine.
// (PyTorch's own advice is jemalloc or tcmalloc; this gets most of it without a dependency.)
#pragma once

namespace ds {

// Serves large blocks from the heap (no per-block mmap) and trims the heap only above 1 GiB of
// free memory at its top. Leaves glibc alone when the user set its MALLOC_* tunables in the
// environment. Returns whether it changed anything. Call once, before tensor work.
bool keepTensorMemoryInHeap();

}  // namespace ds
