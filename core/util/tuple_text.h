// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// Python's repr of a tuple of numbers: (), (64,), (1, 2). numpy's .npy headers, the networks'
// summaries and shape mismatches in error messages are written this way. The summaries use ","
// without a space, as g4vrel/CFM and torchcfm print their configurations.

#include <sstream>
#include <string>

namespace ds {

template <typename Range>
std::string tupleText(const Range& values, const char* separator = ", ") {
    std::ostringstream os;
    os << "(";
    size_t i = 0;
    for (const auto& v : values) os << (i++ ? separator : "") << v;
    os << (i == 1 ? ",)" : ")");
    return os.str();
}

}  // namespace ds
