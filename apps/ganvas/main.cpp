// ganvas: one binary, subcommands. Maps library errors to exit codes: 2 for usage errors,
// 1 for failures, 128 + signal for an interrupted run.
#include "cli_common.h"
#include "commands.h"
#include "ganvas/core/error.h"
#include "ganvas/core/runtime.h"

#include <spdlog/cfg/env.h>
#include <spdlog/spdlog.h>
#include <torch/torch.h>
#include <unistd.h>

#include <cstdlib>
#include <optional>
#include <string>

namespace {

// OpenBLAS picks its kernel when the library loads, before main; the only way to correct it from
// inside the program is to set OPENBLAS_CORETYPE and start again. The CPU's features decide, even
// over an inherited OPENBLAS_CORETYPE (machines are seen with a slower "Haswell" preset on
// AVX-512 CPUs); GANVAS_OPENBLAS_CORETYPE forces a choice.
//
// The same restart sets glibc's malloc to keep freed memory instead of unmapping every large
// block: LibTorch allocates each activation with malloc, and by default every tensor above the
// (dynamic) mmap threshold is mapped on allocation and unmapped on free, so every step pays page
// faults on fresh pages (3x on PiDiNet edge maps, docs/RESULTS.md). Settings already in the
// environment are kept.
void ensure_process_settings(char** argv) {
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
    const auto wanted = forced ? std::optional<std::string>(forced) : ganvas::preferred_openblas_coretype();
    const char* current = std::getenv("OPENBLAS_CORETYPE");
    if (wanted && (current == nullptr || *wanted != current)) {
        ::setenv("OPENBLAS_CORETYPE", wanted->c_str(), 1);
        restart = true;
    }
    if (restart) ::execv("/proc/self/exe", argv);  // returns only on failure: carry on as we are
}

}  // namespace

int main(int argc, char** argv) {
    ensure_process_settings(argv);
    spdlog::set_pattern("%^[%l]%$ %v");
    spdlog::cfg::load_env_levels();  // SPDLOG_LEVEL=debug

    CLI::App app{"ganvas: GAN image-to-image synthesis (face colorization, ...)", "ganvas"};
    app.set_version_flag("--version", "ganvas 0.1.0");
    app.set_config("--config", "", "read options from a TOML or INI file ([train] section etc.)");
    app.require_subcommand(1);
    std::string log_level = "info";
    app.add_option("--log-level", log_level, "trace, debug, info, warn, error")
        ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}))
        ->each([](const std::string& level) { spdlog::set_level(spdlog::level::from_str(level)); });

    ganvas::cli::register_train(app);
    ganvas::cli::register_colorize(app);
    ganvas::cli::register_translate(app);
    ganvas::cli::register_edges(app);
    ganvas::cli::register_eval(app);
    ganvas::cli::register_data(app);
    ganvas::cli::register_demo(app);

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int code = app.exit(e);
        return code == 0 ? 0 : 2;
    } catch (const ganvas::UsageError& e) {
        spdlog::error("{}", e.what());
        return 2;
    } catch (const ganvas::Error& e) {
        spdlog::error("{}", e.what());
        return 1;
    } catch (const c10::Error& e) {
        spdlog::error("{}", e.what_without_backtrace());
        return 1;
    } catch (const std::exception& e) {
        spdlog::error("{}", e.what());
        return 1;
    }
    return ganvas::cli::exit_status();
}
