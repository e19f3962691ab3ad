// SPDX-License-Identifier: GPL-3.0-or-later
// Precompiled header of core: the heavy, stable third-party headers.
#pragma once
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>
