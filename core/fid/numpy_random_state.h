// SPDX-License-Identifier: GPL-3.0-or-later
// numpy's legacy np.random.RandomState(seed), as far as KID needs it: the same MT19937 stream and
// the same permutation (Fisher-Yates with numpy's masked rejection sampling), so that KID picks
// the very subsets torch-fidelity picks with its default seed.
#pragma once
#include <cstdint>
#include <random>
#include <vector>

namespace ds::fid {

class NumpyRandomState {
public:
    explicit NumpyRandomState(uint32_t seed);

    // RandomState.permutation(n).
    std::vector<int64_t> permutation(int64_t n);
    // RandomState.choice(n, size, replace=False): the first `size` of a permutation.
    std::vector<int64_t> choiceWithoutReplacement(int64_t n, int64_t size);

private:
    uint64_t randomInterval(uint64_t max);  // uniform in [0, max], numpy's random_interval

    std::mt19937 engine_;  // same seeding (init_genrand) and output as numpy's mt19937
};

}  // namespace ds::fid
