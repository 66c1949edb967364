// Checkpoint files: one torch::serialize archive holding a header (format version, model name,
// the model's options and the trainer's state as JSON) and the model's own payload (networks,
// optimizers, statistics). Written atomically; a corrupt, truncated or foreign file is an Error
// that names it.
#pragma once
#include <nlohmann/json.hpp>
#include <torch/serialize/input-archive.h>
#include <torch/serialize/output-archive.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <string>

namespace ganvas {

struct CheckpointHeader {
    static constexpr int64_t kFormatVersion = 1;
    std::string model;        // "colorizer", "pix2pix", ...
    nlohmann::json options;   // the model's resolved options
    nlohmann::json state;     // trainer counters: step, epoch, position, seed, ...
};

struct LoadedCheckpoint {
    std::filesystem::path path;
    CheckpointHeader header;
    std::shared_ptr<torch::serialize::InputArchive> archive;  // payload, read by the model
};

// The file name inside a run directory.
inline constexpr const char* kCheckpointFile = "checkpoint.pt";

// A run directory stands for its checkpoint file; anything else is taken as the file itself.
std::filesystem::path resolve_checkpoint_path(const std::filesystem::path& path);

void save_checkpoint(const std::filesystem::path& path, const CheckpointHeader& header,
                     const std::function<void(torch::serialize::OutputArchive&)>& write_payload);

// Throws Error naming the file when it is missing, truncated, corrupt or not a ganvas checkpoint,
// and, when `expected_model` is non-empty, when it holds another model.
LoadedCheckpoint load_checkpoint(const std::filesystem::path& path,
                                 const std::string& expected_model = "");
// The same from a checkpoint file's bytes (a data-parallel run's rank 0 reads the file and sends
// it to the others); `path` names it in messages.
LoadedCheckpoint load_checkpoint_bytes(const std::string& bytes, const std::filesystem::path& path,
                                       const std::string& expected_model = "");

// The trainer's counters in a checkpoint's header state, range-checked before any use.
struct TrainingState {
    int64_t step = 0;
    int64_t epoch = 0;
    int64_t examples_in_epoch = 0;
    int world_size = 1;
    double seconds = 0.0;
    nlohmann::json train;  // the training options (TrainOptions::from_json)
};

// Throws Error naming the file when the state is missing, of the wrong types, negative or beyond
// any real run (2^40 steps, epochs or examples; 65536 ranks; 10^12 seconds).
TrainingState read_training_state(const CheckpointHeader& header, const std::filesystem::path& path);

}  // namespace ganvas
