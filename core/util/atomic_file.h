// Crash-safe file replacement: write into a temporary sibling of the destination, fsync, rename
// over the destination, fsync the folder. A reader (or a resumed run) sees the old file or the
// new one, never half of one; on failure the temporary file is removed and the old file is
// untouched. Every writer of checkpoints, images, configs and logs goes through here.
#pragma once
#include <functional>
#include <string>
#include <string_view>

namespace ds {

// `writeTemporary(temporaryPath)` must write the whole file there and make it durable (fsync)
// before returning; it reports failures by throwing. Errors come out as "path: problem".
void replaceFileAtomically(const std::string& path, const std::function<void(const std::string&)>& writeTemporary);

// The same for bytes held in memory.
void writeFileAtomically(const std::string& path, std::string_view bytes);

}  // namespace ds
