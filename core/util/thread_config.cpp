// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/util/thread_config.h"

#include "core/util/blas_threads.h"

#include <torch/torch.h>

#include <cstdlib>
#include <string>
#include <thread>

namespace ds {

int resolveThreadCount(int requested) {
    if (requested > 0) return requested;
    if (const char* env = std::getenv("OMP_NUM_THREADS")) {
        try {
            const int n = std::stoi(env);
            if (n > 0) return n;
        } catch (const std::exception&) {
            // Not a number: fall through to the hardware count.
        }
    }
    const unsigned hw = std::thread::hardware_concurrency();
    return hw > 0 ? static_cast<int>(hw) : 1;
}

int configureThreads(int requested) {
    const int n = resolveThreadCount(requested);
    if (torch::get_num_threads() != n) torch::set_num_threads(n);
    keepBlasOnCallingThread();
    return n;
}

}  // namespace ds
