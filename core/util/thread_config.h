// SPDX-License-Identifier: GPL-3.0-or-later
// How many threads LibTorch uses. Debian's LibTorch starts with one thread, so every
// entry point calls configureThreads() once before doing any tensor work.
#pragma once

namespace ds {

// Resolves the thread count: `requested` when > 0, else OMP_NUM_THREADS when set to a
// positive number, else every hardware thread. Pure: no side effects (testable).
int resolveThreadCount(int requested);

// Applies resolveThreadCount(requested) to LibTorch's intra-op pool and returns it; OpenBLAS
// stays on the calling thread (core/util/blas_threads.h).
int configureThreads(int requested);

}  // namespace ds
