// SPDX-License-Identifier: GPL-3.0-or-later
// Seconds of wall time since a point on the steady clock: the one way the engine times its
// work (jobs report it, benches print it).
#pragma once
#include <chrono>

namespace ds {

inline double secondsSince(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace ds
