// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/util/atomic_file.h"

#include "core/util/error.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <random>

namespace ds {

namespace fs = std::filesystem;

namespace {

// A hidden sibling, so that the rename stays within one file system.
std::string temporaryPathFor(const std::string& path) {
    std::random_device rd;
    char suffix[32];
    std::snprintf(suffix, sizeof suffix, ".tmp-%08x%08x", rd(), rd());
    const fs::path target(path);
    return (target.parent_path() / ("." + target.filename().string() + suffix)).string();
}

// Makes the rename itself durable; best effort, as some file systems refuse to sync folders.
void syncFolderOf(const std::string& path) {
    auto folder = fs::path(path).parent_path();
    if (folder.empty()) folder = ".";
    const int fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        ::fsync(fd);
        ::close(fd);
    }
}

void writeAll(int fd, std::string_view bytes, FileSync sync) {
    size_t done = 0;
    while (done < bytes.size()) {
        const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) throw Error(std::string("write failed: ") + std::strerror(errno));
        done += static_cast<size_t>(n);
    }
    if (sync == FileSync::Immediate && ::fsync(fd) != 0)
        throw Error(std::string("sync failed: ") + std::strerror(errno));
}

// Messages from writers may already name the destination or the temporary file.
std::string problemOf(const std::exception& e, const std::string& path, const std::string& tmp) {
    std::string msg = e.what();
    for (const auto& prefix : {path + ": ", tmp + ": "})
        if (msg.rfind(prefix, 0) == 0) msg = msg.substr(prefix.size());
    return msg;
}

void renameIntoPlace(const std::string& path, const std::function<void(const std::string&)>& writeTemporary) {
    const std::string tmp = temporaryPathFor(path);
    try {
        writeTemporary(tmp);
        fs::rename(tmp, path);  // atomically replaces an older file
    } catch (const std::exception& e) {
        std::error_code ignored;
        fs::remove(tmp, ignored);
        throw fileError(path, "could not save (" + problemOf(e, path, tmp) + ")");
    }
}

}  // namespace

void replaceFileAtomically(const std::string& path, const std::function<void(const std::string&)>& writeTemporary) {
    renameIntoPlace(path, writeTemporary);
    syncFolderOf(path);
}

void writeFileAtomically(const std::string& path, std::string_view bytes, FileSync sync) {
    renameIntoPlace(path, [bytes, sync](const std::string& tmp) {
        const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd < 0) throw Error(std::string("cannot create a temporary file: ") + std::strerror(errno));
        try {
            writeAll(fd, bytes, sync);
        } catch (...) {
            ::close(fd);
            throw;
        }
        if (::close(fd) != 0) throw Error(std::string("close failed: ") + std::strerror(errno));
    });
    if (sync == FileSync::Immediate) syncFolderOf(path);
}

void syncFileSystemOf(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw fileError(path, std::string("cannot open to sync: ") + std::strerror(errno));
    const int rc = ::syncfs(fd);
    const int syncErrno = errno;
    ::close(fd);
    if (rc != 0) throw fileError(path, std::string("sync failed: ") + std::strerror(syncErrno));
}

}  // namespace ds
