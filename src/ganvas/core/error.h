// Error types thrown by the library. The library never exits; programs map these to exit codes.
#pragma once
#include <set>
#include <stdexcept>
#include <string>

namespace ganvas {

// A failure the user can act on: a missing file, a corrupt checkpoint, an unwritable folder.
// The message names the file or flag involved.
class Error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// An invalid option value or combination; programs exit with status 2 on it.
class UsageError : public Error {
public:
    using Error::Error;
};

// The message of any exception, for a report: LibTorch's without its backtrace, "out of memory"
// for std::bad_alloc.
std::string exception_text(const std::exception& e);

// UsageError "<name>: '<value>' is not one of a, b, c" unless `value` is in `allowed`.
inline void check_one_of(const std::string& name, const std::string& value, const std::set<std::string>& allowed) {
    if (allowed.count(value)) return;
    std::string list;
    for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
    throw UsageError(name + ": '" + value + "' is not one of " + list);
}

}  // namespace ganvas
