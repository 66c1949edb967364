// Options of a training run: data, length, batch, seeds, logging and checkpoint cadence.
#pragma once
#include "ganvas/data/image_folder.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>

namespace ganvas {

struct TrainOptions {
    std::filesystem::path data;
    std::filesystem::path out;
    int64_t steps = 0;   // exactly one of steps and epochs is positive
    int64_t epochs = 0;
    int64_t batch = 16;
    uint64_t seed = 0;
    SplitOptions split;
    int workers = 2;                 // data-loading threads
    int64_t log_every = 10;          // loss-log rows
    int64_t sample_every = 250;      // sample grids
    int64_t checkpoint_every = 500;  // checkpoints (also at the end and on a stop signal)
    int64_t sample_count = 8;        // rows in a sample grid
    double time_budget = 0.0;        // seconds; stop (with a checkpoint) when spent; 0 = none

    void validate() const;  // UsageError naming the flag
    nlohmann::json to_json() const;
    static TrainOptions from_json(const nlohmann::json& j);
};

}  // namespace ganvas
