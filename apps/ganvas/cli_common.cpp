#include "cli_common.h"

#include "ganvas/core/runtime.h"

#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include <cmath>
#include <cstdlib>

namespace ganvas::cli {

void add_runtime_flags(CLI::App* command, RuntimeFlags& flags) {
    command->add_option("--threads", flags.threads, "intra-op threads (default: all cores)")
        ->check(CLI::Range(0, kMaxThreads));
    command->add_option("--device", flags.device, "cpu, cuda or cuda:N")->capture_default_str();
    command->add_flag("--no-channels-last", flags.no_channels_last,
                      "keep NCHW tensors (channels-last is faster with oneDNN)");
}

CLI::Validator finite_range(double lo, double hi) {
    return CLI::Validator(
        [lo, hi](std::string& text) -> std::string {
            double value = 0;
            if (!CLI::detail::lexical_cast(text, value)) return "'" + text + "' is not a number";
            if (!std::isfinite(value) || value < lo || value > hi) {
                return "'" + text + "' is not a number in [" + CLI::detail::to_string(lo) + ", " + CLI::detail::to_string(hi) + "]";
            }
            return {};
        },
        "FINITE in [" + CLI::detail::to_string(lo) + " - " + CLI::detail::to_string(hi) + "]");
}

Placement apply_runtime_flags(const RuntimeFlags& flags) {
    Placement placement;
    placement.device = parse_device(flags.device);
    placement.channels_last = !flags.no_channels_last;
    const int threads = configure_threads(flags.threads);
    const char* coretype = std::getenv("OPENBLAS_CORETYPE");
    spdlog::debug("threads {}, device {}, BLAS {} (OPENBLAS_CORETYPE={})", threads, placement.device.str(),
                  loaded_blas_library(), coretype ? coretype : "unset");
    return placement;
}

int& exit_status() {
    static int status = 0;
    return status;
}

void report_failures(const std::vector<std::string>& failures) {
    if (failures.empty()) return;
    spdlog::error("{} image(s) failed:", failures.size());
    for (const auto& m : failures) spdlog::error("  {}", m);
    exit_status() = 1;
}

}  // namespace ganvas::cli
