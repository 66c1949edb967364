// `ganvas demo`: the showcase job (demo/demo.h) with its knobs as flags.
#include "cli_common.h"
#include "commands.h"
#include "ganvas/demo/demo.h"

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
    auto* cmd = app.add_subcommand("demo", "train the colorizer on synthetic data and write an HTML page");
    cmd->add_option("--out", d.out, "demo folder")->capture_default_str();
    cmd->add_option("--steps", d.steps, "training steps at most")->capture_default_str();
    cmd->add_option("--time-budget", d.time_budget, "seconds of training at most")->capture_default_str();
    cmd->add_option("--count", d.count, "synthetic training images")->capture_default_str();
    cmd->add_option("--widths", d.widths, "generator widths")->expected(4)->capture_default_str();
    cmd->add_option("--lr", d.lr, "Adam learning rate")->capture_default_str();
    cmd->add_option("--test-count", d.test_count, "synthetic held-out images")->capture_default_str();
    add_runtime_flags(cmd, flags->runtime);
    cmd->callback([flags] {
        const auto page = run_demo(flags->demo, apply_runtime_flags(flags->runtime));
        std::cout << "demo page: " << page.string() << "\n";
    });
}

}  // namespace ganvas::cli
