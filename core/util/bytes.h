// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// The bytes of a string as unsigned bytes: LMDB values and file contents come as std::string(_view),
// the image decoders and sniffers read uint8_t.

#include <cstdint>
#include <string_view>

namespace ds {

inline const uint8_t* bytesOf(std::string_view value) { return reinterpret_cast<const uint8_t*>(value.data()); }

}  // namespace ds
