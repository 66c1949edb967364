// Options every compute subcommand shares, and the mapping of them onto the library.
#pragma once
#include "ganvas/nn/placement.h"

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

namespace ganvas::cli {

struct RuntimeFlags {
    int threads = 0;
    std::string device = "cpu";
    bool no_channels_last = false;
};

void add_runtime_flags(CLI::App* command, RuntimeFlags& flags);

// A number in [lo, hi] that is finite (CLI::Range lets NaN through: every comparison with it is false).
CLI::Validator finite_range(double lo, double hi);

// Sets threads, checks the device, logs what runs where; returns the placement for models.
Placement apply_runtime_flags(const RuntimeFlags& flags);

// Exit status of a subcommand that ran without throwing (set by its callback).
int& exit_status();

// Logs per-file failures of a batch command, each naming its file, and sets exit status 1.
void report_failures(const std::vector<std::string>& failures);

}  // namespace ganvas::cli
