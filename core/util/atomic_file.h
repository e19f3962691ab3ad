// Crash-safe file replacement: write into a temporary file in the destination's folder, fsync,
// rename over the destination, fsync the folder. A reader sees the old file or the new one,
// never half of one; on failure the temporary file is removed and the old file is untouched.
#pragma once
#include <string>
#include <string_view>

namespace ds {

void writeFileAtomically(const std::string& path, std::string_view bytes);

}  // namespace ds
