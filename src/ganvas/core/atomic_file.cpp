#include "ganvas/core/atomic_file.h"

#include "ganvas/core/error.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

namespace ganvas {
namespace fs = std::filesystem;

namespace {

std::string errno_text() { return std::strerror(errno); }

void write_all(int fd, std::string_view bytes, const fs::path& path) {
    const char* data = bytes.data();
    size_t left = bytes.size();
    while (left > 0) {
        const ssize_t n = ::write(fd, data, left);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw Error("cannot write " + path.string() + ": " + errno_text());
        }
        data += n;
        left -= static_cast<size_t>(n);
    }
}

void fsync_dir(const fs::path& dir) {
    const int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        ::fsync(fd);
        ::close(fd);
    }
}

}  // namespace

void ensure_writable_dir(const fs::path& dir) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec || !fs::is_directory(dir)) {
        throw Error("cannot create output folder " + dir.string() + ": " +
                    (ec ? ec.message() : "a file of that name exists"));
    }
    if (::access(dir.c_str(), W_OK | X_OK) != 0) {
        throw Error("output folder " + dir.string() + " is not writable: " + errno_text());
    }
}

void write_file_atomic(const fs::path& path, std::string_view bytes) {
    const fs::path parent = path.parent_path();
    if (!parent.empty()) ensure_writable_dir(parent);
    // One temporary name per target, `<path>.tmp`, held under an exclusive lock while written: a
    // writer killed half-way leaves it behind, and the next write of the target takes it over
    // (truncates and reuses it), so nothing stale accumulates. Another process writing the same
    // target at the same moment holds the lock; this one then writes `<path>.tmp.<pid>`.
    fs::path tmp = path.string() + ".tmp";
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd >= 0 && ::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        ::close(fd);
        fd = -1;
        tmp = path.string() + ".tmp." + std::to_string(::getpid());
        fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
    }
    if (fd < 0) throw Error("cannot create " + tmp.string() + ": " + errno_text());
    try {
        if (::ftruncate(fd, 0) != 0) throw Error("cannot truncate " + tmp.string() + ": " + errno_text());
        write_all(fd, bytes, tmp);
        if (::fsync(fd) != 0) throw Error("cannot flush " + tmp.string() + ": " + errno_text());
    } catch (...) {
        ::close(fd);
        ::unlink(tmp.c_str());
        throw;
    }
    ::close(fd);
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        const std::string why = errno_text();
        ::unlink(tmp.c_str());
        throw Error("cannot replace " + path.string() + ": " + why);
    }
    fsync_dir(parent);
}

}  // namespace ganvas
