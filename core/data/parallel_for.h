// SPDX-License-Identifier: GPL-3.0-or-later
// A plain pool of std::threads for one-off batches of independent work (scanning a folder):
// no Qt, no LibTorch intra-op pool (which the training step itself uses).
#pragma once
#include "core/util/stop_token.h"

#include <cstddef>
#include <functional>

namespace ds::data {

// `requested` when > 0, else the hardware threads clamped to [minimum, maximum].
int chooseThreadCount(int requested, int minimum, int maximum);

// Calls body(i) for every i in [0, count) on up to `threads` threads (the caller's included),
// each index exactly once, in no particular order. The first exception a body throws is
// rethrown after all threads have finished; the remaining indices are then not started.
// A stop request likewise ends the work early and throws ds::Cancelled.
void parallelFor(size_t count, int threads, const std::function<void(size_t)>& body, const StopToken* stop = nullptr);

}  // namespace ds::data
