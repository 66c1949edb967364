// The training loop shared by every model.
//
// A run directory holds: config.json (model and training options, resolved), checkpoint.pt
// (networks, optimizers, counters, RNG; written atomically), losses.csv, samples/*.png.
//
// Data-parallel: with a process group in the request, every rank runs this same loop on its shard
// of each global batch (--batch per rank times the world size); the optimizers average the
// gradients; rank 0 alone writes the run folder; the ranks agree after every step on the losses
// (averaged) and on stopping (a signal or the time budget on any rank stops all at the same step).
#pragma once
#include "ganvas/dist/process_group.h"
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
    // For a resumed run, what the command line gave explicitly, checked against the checkpoint:
    // "train" (TrainOptions keys as in to_json: data, batch, seed, val_ratio, log_every, ...),
    // "model" (a name), "model_flags" ({flag: [words]}, read with the checkpoint's model's
    // descriptor) and "set" (KEY=VALUE pairs). A setting the run is made of (batch, seed, split,
    // model, model options) that differs is a UsageError naming the flag; the logging cadences and
    // the data folder (moved data) are taken.
    nlohmann::json resume_given = nlohmann::json::object();
    // Data-parallel training: this process's group (null: one process). The run folder must be rank
    // 0's; the other ranks read only the data.
    std::shared_ptr<ProcessGroup> group;
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
    int stop_signal = 0;            // the signal that interrupted the run (any rank's), 0 if none
    int world_size = 1;
    double communication_seconds = 0.0;  // this rank's time in collectives (gradients, agreement)
    int64_t bytes_reduced_per_step = 0;  // bytes this rank all-reduced per step (gradients, agreement)
};

// Runs (or resumes) a training run. Throws UsageError / Error on bad input, Error on a
// non-finite loss (the last good checkpoint is kept).
TrainResult train(const TrainRequest& request);

}  // namespace ganvas
