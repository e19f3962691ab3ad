// SPDX-License-Identifier: GPL-3.0-or-later
// A small mutation fuzz for the readers of foreign files: every truncation (in steps) and many
// random byte flips of a real file. Each corrupted copy goes to `attempt`, which must load it or
// throw ds::Error; anything else (another exception, a crash, or under the sanitizers an
// out-of-bounds access or undefined behaviour) fails the test.
#pragma once
#include "core/util/error.h"

#include <QtTest>

#include <functional>
#include <random>
#include <string>

namespace ds::test {

struct CorruptionPlan {
    size_t truncationStep = 7;  // every prefix of a multiple of this length
    int flippedCopies = 1500;   // copies with 1-3 random bytes replaced
    size_t flipWithin = 0;      // flip only within the first N bytes (0: anywhere), e.g. a header
    unsigned seed = 1234;
};

// Returns an empty string when every attempt loaded or threw ds::Error, else what went wrong.
inline std::string survivesCorruption(const std::string& original,
                                      const std::function<void(const std::string&)>& attempt,
                                      const CorruptionPlan& plan = {}) {
    const auto tryOne = [&](const std::string& bytes) {
        try {
            attempt(bytes);
        } catch (const ds::Error&) {
        }
    };
    try {
        for (size_t size = 0; size < original.size(); size += plan.truncationStep) tryOne(original.substr(0, size));
        std::mt19937 random(plan.seed);
        const size_t span = plan.flipWithin > 0 ? std::min(plan.flipWithin, original.size()) : original.size();
        for (int i = 0; i < plan.flippedCopies; ++i) {
            std::string bytes = original;
            const int flips = 1 + static_cast<int>(random() % 3);
            for (int f = 0; f < flips; ++f) bytes[random() % span] = static_cast<char>(random() & 0xFF);
            tryOne(bytes);
        }
    } catch (const std::exception& e) {
        return std::string("not a ds::Error: ") + e.what();
    }
    return {};
}

}  // namespace ds::test
