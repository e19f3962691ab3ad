// SPDX-License-Identifier: GPL-3.0-or-later
// Pausing a long job between its steps: the UI holds the gate closed, the job waits at its next
// step boundary (keeping all its state in memory) and continues when the gate opens. A stop
// request also ends the wait, so a paused job can always be stopped.
#pragma once
#include "core/util/elapsed.h"
#include "core/util/stop_token.h"

#include <chrono>
#include <condition_variable>
#include <mutex>

namespace ds {

class PauseGate {
public:
    void pause() {
        std::lock_guard<std::mutex> lock(mutex_);
        paused_ = true;
    }
    void resume() {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            paused_ = false;
        }
        changed_.notify_all();
    }
    bool paused() const {
        std::lock_guard<std::mutex> lock(mutex_);
        return paused_;
    }
    // A job is waiting at the gate now: pause() took effect, the job is between two steps and
    // reported everything of the steps before. (paused() alone says only that it was asked.)
    bool holding() const {
        std::lock_guard<std::mutex> lock(mutex_);
        return holding_ > 0;
    }

    // Blocks while paused and not stopped; returns the seconds spent waiting.
    double waitWhilePaused(const StopToken& stop) const {
        const auto start = std::chrono::steady_clock::now();
        std::unique_lock<std::mutex> lock(mutex_);
        if (paused_ && !stop.stopRequested()) {
            ++holding_;
            // The stop token has no way to wake us: poll it, often enough that Stop feels immediate.
            while (paused_ && !stop.stopRequested()) changed_.wait_for(lock, std::chrono::milliseconds(50));
            --holding_;
        }
        return secondsSince(start);
    }

private:
    mutable std::mutex mutex_;
    mutable std::condition_variable changed_;
    bool paused_ = false;
    mutable int holding_ = 0;  // jobs waiting in waitWhilePaused
};

}  // namespace ds
