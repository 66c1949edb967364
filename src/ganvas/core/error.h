// Error types thrown by the library. The library never exits; programs map these to exit codes.
#pragma once
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

}  // namespace ganvas
