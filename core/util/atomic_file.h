// SPDX-License-Identifier: GPL-3.0-or-later
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

// How durable a written file is when writeFileAtomically returns. Either way the rename is
// atomic: a killed process leaves the old file or the new one, never half of one.
enum class FileSync {
    // The file and its folder are fsync'ed: it survives a power cut from then on.
    Immediate,
    // No fsync (one costs about 1.7 ms here, more than writing a small image): for jobs that
    // write thousands of files and then call syncFileSystemOf once at the end. Until then a
    // power cut may lose or truncate recent files.
    Deferred,
};

// The same for bytes held in memory.
void writeFileAtomically(const std::string& path, std::string_view bytes, FileSync sync = FileSync::Immediate);

// Flushes everything written to the file system holding `path` (syncfs). Throws ds::Error
// naming the path when the flush reports a write error (a full disk found late, an I/O error).
void syncFileSystemOf(const std::string& path);

}  // namespace ds
