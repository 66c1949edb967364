// The contract between a GAN and everything that drives it. A model owns its networks, optimizers
// and losses; the trainer owns the loop, schedules, logs, checkpoints, progress and signals; the
// front ends (CLI, server, evaluator, benchmarks) reach a model only through this interface and its
// descriptor (registry.h), and know nothing of any particular GAN.
#pragma once
#include "ganvas/core/image.h"
#include "ganvas/data/dataset.h"
#include "ganvas/data/image_folder.h"
#include "ganvas/nn/placement.h"

#include <nlohmann/json.hpp>
#include <torch/serialize/input-archive.h>
#include <torch/serialize/output-archive.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace ganvas {

using NamedValues = std::vector<std::pair<std::string, double>>;

struct Visual {
    std::string name;
    torch::Tensor images;  // [N, 3, H, W] in [0, 1], on CPU
};

// One inference call: named input images and parameters in, named output images out.
struct InferenceRequest {
    // Name -> images [N, 3, H, W] in [0, 1], on any device, the same N for every input. The names
    // and which are required are the descriptor's `inputs`; inputs[0] is the main one.
    NamedTensors inputs;
    // The descriptor's `parameters` (class, ...), checked against their schema; absent keys take
    // their defaults.
    nlohmann::json parameters = nlohmann::json::object();
    // Everything random in the call (noise, dropout) comes from a generator seeded with this: the
    // same request gives the same output, whatever runs beside it.
    uint64_t seed = 0;
    int64_t samples = 1;  // outputs per input, each with its own draw (1..kMaxSamples)
    static constexpr int64_t kMaxSamples = 64;
};

struct InferenceResult {
    // The samples first, named "output" (one sample) or "output_<k>", [N, 3, H', W'] on CPU in
    // [0, 1]; then any intermediate outputs the model shows (guides), by name.
    std::vector<Visual> outputs;
};

// The name of sample `k` of `samples` in InferenceResult::outputs.
std::string sample_output_name(int64_t k, int64_t samples);

class GanModel {
public:
    virtual ~GanModel() = default;

    virtual std::string name() const = 0;
    virtual nlohmann::json options_json() const = 0;

    // --- Training -------------------------------------------------------------------------------
    // Called once with the data folder before it is listed. Models whose networks depend on the data
    // (SketchyGAN's class count) set themselves up here on a fresh run and check, on a resumed
    // one, that the data still fits; Error naming the folder otherwise.
    virtual void bind_data(const std::filesystem::path& root) {}
    // The files of `split` under `root`, one per example, as make_dataset reads them. Default: every
    // image, split by hash (image_folder.h).
    virtual std::vector<std::filesystem::path> data_files(const std::filesystem::path& root, Split split,
                                                          const SplitOptions& options) const {
        return select_split(list_images(root), root, split, options);
    }
    // The model's data recipe on a list of files: augmentation only when `train`.
    virtual std::shared_ptr<Dataset> make_dataset(std::vector<std::filesystem::path> files,
                                                  bool train) const = 0;
    // Statistics the model keeps from its training set; called once, before the first step.
    virtual void prepare(const Dataset& train_set) {}

    virtual void place(const Placement& placement) = 0;
    virtual const Placement& placement() const = 0;

    // Called before every step with the run's progress (schedules live in the model).
    virtual void begin_step(int64_t step, int64_t total_steps) {}
    // Called on the rank that writes it, right before each checkpoint: state the checkpoint should
    // hold that training itself does not keep current (style2paints: batch-norm statistics
    // re-estimated with the weights being saved).
    virtual void before_checkpoint(const Dataset& train_set) {}
    // One optimization step of every network; `batch` is already placed. Returns named losses.
    // Networks are in training mode only inside this call.
    virtual NamedValues train_step(const Batch& batch) = 0;
    // Images to look at side by side (no gradients, inference mode).
    virtual std::vector<Visual> visuals(const Batch& batch) = 0;

    // --- Inference ------------------------------------------------------------------------------
    // Thread safety: once loaded and placed, a model serves infer(), classify() and baselines()
    // from any number of threads at once, with results byte-identical to serial calls. These calls
    // write no member and no module state (networks stay in eval mode; per-request randomness
    // lives in the request's own generator, nn/inference_context.h) and never touch the global
    // random generator. They must not overlap train_step(), place() or load().
    //
    // Checks the request against the descriptor (UsageError naming the input or parameter), then
    // runs it in inference mode.
    InferenceResult infer(const InferenceRequest& request);
    // The side the inputs are resized to before infer() (0: any size works).
    virtual int64_t input_size() const { return 0; }
    // The resolution it was trained at (what evaluation compares at by default).
    virtual int64_t training_size() const { return input_size(); }
    // An output [3, h, w] in [0, 1] at the size of the main input [3, H, W] it came from (translate
    // --keep-size, the server). Default: bicubic. Thread-safe as infer().
    virtual torch::Tensor to_input_size(const torch::Tensor& output, const torch::Tensor& full_input) const;
    // Class-conditional models: their classes (index = label, the `class` parameter by name).
    virtual std::vector<std::string> class_names() const { return {}; }
    // For AB pair images (pix2pix's layout): whether the main input is the right half.
    virtual bool ab_input_is_right() const { return false; }
    // Models with an auxiliary classifier: class logits [N, classes] of images in [0, 1]
    // (undefined when the model has none).
    virtual torch::Tensor classify(const torch::Tensor& images) { return {}; }
    // Reference outputs the evaluator scores beside the model (the colorizer's "mean chroma"):
    // name -> [N, 3, H, W] on CPU, for the main input `input`.
    virtual std::vector<Visual> baselines(const torch::Tensor& input) { return {}; }

    // --- Persistence ----------------------------------------------------------------------------
    virtual void save(torch::serialize::OutputArchive& archive) const = 0;
    virtual void load(torch::serialize::InputArchive& archive) = 0;
    virtual int64_t parameter_count() const = 0;

protected:
    // infer() after the checks, in inference mode.
    virtual InferenceResult run_inference(const InferenceRequest& request) = 0;
};

}  // namespace ganvas
