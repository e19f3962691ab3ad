// SPDX-License-Identifier: GPL-3.0-or-later
// The one exception type core throws for bad input and failed operations.
// Messages are complete, one line, and name the file involved when there is one.
#pragma once
#include <stdexcept>
#include <string>

namespace ds {

class Error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// "path: problem" - the house style for errors about a file.
inline Error fileError(const std::string& path, const std::string& problem) { return Error(path + ": " + problem); }

}  // namespace ds
