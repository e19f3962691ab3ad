// SPDX-License-Identifier: GPL-3.0-or-later
// Conversions between Python values from checkpoints and JSON, for the plain (tensor-free)
// parts of a checkpoint such as our run config.
#pragma once
#include "core/io/py_value.h"

#include <nlohmann/json.hpp>

namespace ds::checkpoint {

// Dicts need string keys; tensors become {"tensor": [shape...]} summaries.
nlohmann::json toJson(const io::PyValue& value);
// Objects become plain dicts (insertion-ordered in Python too).
io::PyValuePtr fromJson(const nlohmann::json& json);

}  // namespace ds::checkpoint
