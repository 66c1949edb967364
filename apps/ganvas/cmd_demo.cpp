// `ganvas demo`: the showcase job (demo/demo.h) with its knobs as flags.
#include "cli_common.h"
#include "commands.h"
#include "ganvas/demo/demo.h"

#include <filesystem>
#include <iostream>
#include <memory>

namespace ganvas::cli {

void register_demo(CLI::App& app) {
    struct Flags {
        RuntimeFlags runtime;
        DemoOptions demo;
    };
    auto flags = std::make_shared<Flags>();
    auto& d = flags->demo;
    auto* cmd = app.add_subcommand("demo", "the shipped models on drawn inputs, then a colorizer trained on synthetic data, on one HTML page");
    cmd->add_option("--out", d.out, "demo folder")->capture_default_str();
    cmd->add_option("--steps", d.steps, "training steps at most")->check(CLI::Range(int64_t{1}, int64_t{1} << 30))->capture_default_str();
    cmd->add_option("--time-budget", d.time_budget, "seconds of training at most")->check(finite_range(0, 1e7))->capture_default_str();
    cmd->add_option("--count", d.count, "synthetic training images")->check(CLI::Range(int64_t{16}, int64_t{1000000}))->capture_default_str();
    cmd->add_option("--widths", d.widths, "generator widths")->expected(4)->check(CLI::Range(int64_t{1}, int64_t{4096}))->capture_default_str();
    cmd->add_option("--lr", d.lr, "Adam learning rate")->check(finite_range(1e-8, 1.0))->capture_default_str();
    cmd->add_option("--test-count", d.test_count, "synthetic held-out images")->check(CLI::Range(int64_t{1}, int64_t{100000}))->capture_default_str();
    add_runtime_flags(cmd, flags->runtime);
    cmd->callback([flags] {
        const auto page = run_demo(flags->demo, apply_runtime_flags(flags->runtime));
        std::cout << "demo page: " << page.string() << "\n";
        std::error_code ec;
        const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
        std::cout << "open the studio (draw, colorize, paint in a browser): "
                  << (ec ? std::string("ganvas") : exe.string()) << " serve\n";
    });
}

}  // namespace ganvas::cli
