// The training loop shared by every model.
//
// A run directory holds: config.json (model and training options, resolved), checkpoint.pt
// (networks, optimizers, counters, RNG; written atomically), losses.csv, samples/*.png.
#pragma once
#include "ganvas/models/gan_model.h"
#include "ganvas/train/train_options.h"

#include <filesystem>
#include <memory>
#include <string>

namespace ganvas {

struct TrainRequest {
    std::string model;             // model name (fresh runs)
    nlohmann::json model_options;  // fresh runs; a resumed run takes them from its checkpoint
    // Fresh runs from C++: a model built by the caller, used instead of `model`/`model_options`.
    std::shared_ptr<GanModel> prebuilt;
    TrainOptions train;
    Placement placement;
    bool resume = false;
    // For a resumed run, a positive value here replaces the stored length.
    int64_t resume_steps = 0;
    int64_t resume_epochs = 0;
};

struct TrainResult {
    enum class Status { Finished, Interrupted, OutOfTime };
    Status status = Status::Finished;
    int64_t step = 0;         // steps done in total
    int64_t total_steps = 0;
    int64_t failed_files = 0;
    double seconds = 0.0;     // wall time of this invocation
    double run_seconds = 0.0; // wall time of the whole run, earlier invocations included
    double images_per_second = 0.0;
    double data_wait_seconds = 0.0;
    std::filesystem::path checkpoint;
};

// Runs (or resumes) a training run. Throws UsageError / Error on bad input, Error on a
// non-finite loss (the last good checkpoint is kept).
TrainResult train(const TrainRequest& request);

}  // namespace ganvas
