#include "ganvas/core/process.h"

#include "ganvas/core/runtime.h"

#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <optional>
#include <string>

namespace ganvas {

void init_process(char** argv) {
    // Past a file-size limit (ulimit -f) a write then fails with EFBIG, which names the file it
    // was writing, instead of SIGXFSZ ending the process with a core dump.
    std::signal(SIGXFSZ, SIG_IGN);
    if (std::getenv("GANVAS_PROCESS_CHECKED") != nullptr) return;
    ::setenv("GANVAS_PROCESS_CHECKED", "1", 1);
    bool restart = false;
    for (const char* name : {"MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_"}) {
        if (std::getenv(name) == nullptr) {
            ::setenv(name, "1000000000", 1);
            restart = true;
        }
    }
    const char* forced = std::getenv("GANVAS_OPENBLAS_CORETYPE");
    const auto wanted = forced ? std::optional<std::string>(forced) : preferred_openblas_coretype();
    const char* current = std::getenv("OPENBLAS_CORETYPE");
    if (wanted && (current == nullptr || *wanted != current)) {
        ::setenv("OPENBLAS_CORETYPE", wanted->c_str(), 1);
        restart = true;
    }
    if (restart && argv != nullptr) ::execv("/proc/self/exe", argv);  // returns only on failure
}

}  // namespace ganvas
