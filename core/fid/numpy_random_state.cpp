// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/fid/numpy_random_state.h"

#include "core/util/error.h"

#include <utility>

namespace ds::fid {

NumpyRandomState::NumpyRandomState(uint32_t seed) : engine_(seed) {}

uint64_t NumpyRandomState::randomInterval(uint64_t max) {
    if (max == 0) return 0;
    uint64_t mask = max;
    for (int shift = 1; shift <= 32; shift *= 2) mask |= mask >> shift;  // smallest 2^k - 1 >= max
    uint64_t value;
    if (max <= 0xFFFFFFFFull) {
        do value = engine_() & mask;
        while (value > max);
    } else {
        do value = ((uint64_t(engine_()) << 32) | engine_()) & mask;
        while (value > max);
    }
    return value;
}

std::vector<int64_t> NumpyRandomState::permutation(int64_t n) {
    std::vector<int64_t> values(size_t(std::max<int64_t>(n, 0)));
    for (int64_t i = 0; i < n; ++i) values[size_t(i)] = i;
    for (int64_t i = n - 1; i >= 1; --i) std::swap(values[size_t(i)], values[randomInterval(uint64_t(i))]);
    return values;
}

std::vector<int64_t> NumpyRandomState::choiceWithoutReplacement(int64_t n, int64_t size) {
    if (size > n) throw Error("cannot take a sample larger than the population without replacement");
    auto values = permutation(n);
    values.resize(size_t(size));
    return values;
}

}  // namespace ds::fid
