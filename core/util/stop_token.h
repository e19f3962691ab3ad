// SPDX-License-Identifier: GPL-3.0-or-later
// Cooperative cancellation: a job polls its StopToken between steps and, when asked to stop,
// throws Cancelled (or returns) without writing anything half-done.
#pragma once
#include <atomic>
#include <exception>

namespace ds {

class StopToken {
public:
    void requestStop() { stop_.store(true, std::memory_order_relaxed); }
    bool stopRequested() const { return stop_.load(std::memory_order_relaxed); }
    void reset() { stop_.store(false, std::memory_order_relaxed); }

private:
    std::atomic<bool> stop_{false};
};

// Thrown by long operations that noticed a stop request; not an error.
class Cancelled : public std::exception {
public:
    const char* what() const noexcept override { return "cancelled"; }
};

inline void throwIfStopped(const StopToken* token) {
    if (token && token->stopRequested()) throw Cancelled();
}

}  // namespace ds
