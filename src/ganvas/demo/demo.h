// The showcase job behind `make demo`, one HTML page: every shipped model (models/) on inputs the
// demo draws itself, then the engine at work: synthetic data -> a short colorizer run -> colorized
// held-out images -> evaluation against the baselines.
#pragma once
#include "ganvas/nn/placement.h"

#include <cstdint>
#include <filesystem>
#include <vector>

namespace ganvas {

struct DemoOptions {
    std::filesystem::path out = "demo-out";
    int64_t steps = 600;         // at most
    double time_budget = 150.0;  // seconds of training
    int64_t count = 2000;
    int64_t test_count = 200;
    int64_t batch = 16;
    // A 4x narrower generator than the default, so that the run fits the time budget, and a
    // higher learning rate than the default 1e-4, so that it converges within it.
    std::vector<int64_t> widths{16, 32, 64, 128};
    double lr = 4e-4;
};

// Runs (or resumes) the demo in options.out; returns the page's path. Prints the metric table.
std::filesystem::path run_demo(const DemoOptions& options, const Placement& placement);

}  // namespace ganvas
