// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/util/blas_threads.h"

#include <dlfcn.h>

#include <cstdlib>

namespace ds {

namespace {

// Looked up at run time: libblas.so.3 may be OpenBLAS, BLIS or the reference BLAS, chosen by
// Debian's alternatives on the user's machine, and only OpenBLAS has these entry points.
using GetThreads = int (*)();
using SetThreads = void (*)(int);

template <typename Function>
Function openBlasEntry(const char* name) {
    return reinterpret_cast<Function>(dlsym(RTLD_DEFAULT, name));
}

bool userChoseBlasThreads() {
    // OMP_NUM_THREADS is deliberately not counted: OpenBLAS falls back to it too, but a user who
    // sets it means LibTorch's pool, and that is exactly the pool OpenBLAS must not double.
    return std::getenv("OPENBLAS_NUM_THREADS") != nullptr || std::getenv("GOTO_NUM_THREADS") != nullptr;
}

}  // namespace

int openBlasThreads() {
    const auto get = openBlasEntry<GetThreads>("openblas_get_num_threads");
    return get ? get() : 0;
}

bool keepBlasOnCallingThread() {
    const auto set = openBlasEntry<SetThreads>("openblas_set_num_threads");
    if (!set || userChoseBlasThreads() || openBlasThreads() == 1) return false;
    set(1);
    return true;
}

}  // namespace ds
