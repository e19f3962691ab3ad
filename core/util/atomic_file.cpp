#include "core/util/atomic_file.h"

#include "core/util/error.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <random>
#include <unistd.h>

namespace ds {

namespace {

std::string temporaryNameFor(const std::string& path) {
    std::random_device rd;
    char suffix[32];
    std::snprintf(suffix, sizeof suffix, ".tmp-%08x", rd());
    return path + suffix;
}

void writeAll(int fd, std::string_view bytes, const std::string& path) {
    size_t done = 0;
    while (done < bytes.size()) {
        const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) throw fileError(path, std::string("write failed: ") + std::strerror(errno));
        done += static_cast<size_t>(n);
    }
}

void syncFolderOf(const std::string& path) {
    auto folder = std::filesystem::path(path).parent_path();
    if (folder.empty()) folder = ".";
    const int fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        ::fsync(fd);  // best effort: some file systems refuse to sync folders
        ::close(fd);
    }
}

}  // namespace

void writeFileAtomically(const std::string& path, std::string_view bytes) {
    const std::string tmp = temporaryNameFor(path);
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) throw fileError(path, std::string("cannot create a temporary file: ") + std::strerror(errno));
    try {
        writeAll(fd, bytes, path);
        if (::fsync(fd) != 0) throw fileError(path, std::string("fsync failed: ") + std::strerror(errno));
    } catch (...) {
        ::close(fd);
        ::unlink(tmp.c_str());
        throw;
    }
    if (::close(fd) != 0) {
        const int err = errno;
        ::unlink(tmp.c_str());
        throw fileError(path, std::string("close failed: ") + std::strerror(err));
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        const int err = errno;
        ::unlink(tmp.c_str());
        throw fileError(path, std::string("rename failed: ") + std::strerror(err));
    }
    syncFolderOf(path);
}

}  // namespace ds
