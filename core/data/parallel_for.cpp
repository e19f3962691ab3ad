// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/data/parallel_for.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <system_error>
#include <thread>
#include <vector>

namespace ds::data {

int chooseThreadCount(int requested, int minimum, int maximum) {
    if (requested > 0) return requested;
    const int hardware = int(std::thread::hardware_concurrency());
    return std::clamp(hardware, minimum, maximum);
}

void parallelFor(size_t count, int threads, const std::function<void(size_t)>& body, const StopToken* stop) {
    std::atomic<size_t> next{0};
    std::atomic<bool> failed{false};
    std::exception_ptr firstError;
    std::mutex errorMutex;

    const auto work = [&] {
        for (;;) {
            if (failed.load() || (stop && stop->stopRequested())) return;
            const size_t i = next.fetch_add(1);
            if (i >= count) return;
            try {
                body(i);
            } catch (...) {
                std::lock_guard<std::mutex> lock(errorMutex);
                if (!firstError) firstError = std::current_exception();
                failed.store(true);
            }
        }
    };

    const size_t helpers = std::min<size_t>(size_t(std::max(threads, 1)) - 1, count);
    std::vector<std::thread> pool;
    pool.reserve(helpers);
    for (size_t t = 0; t < helpers; ++t) {
        try {
            pool.emplace_back(work);
        } catch (const std::system_error&) {
            break;  // out of threads: the ones started (and the caller) finish the work
        }
    }
    work();
    for (std::thread& thread : pool) thread.join();

    if (firstError) std::rethrow_exception(firstError);
    throwIfStopped(stop);
}

}  // namespace ds::data
