// Model descriptors: what every front end needs to know about a model, declared once in the
// model's own folder and registered in one place (builtin_models.cpp). The CLI, the trainer, the
// evaluator, the server and the benchmarks read these instead of naming models.
//
// Adding a model: a folder under models/ with its networks, options, GanModel and a
// `ModelDescriptor <name>_descriptor()`, plus one line in builtin_models.cpp. Programs and tests
// may also register their own models at run time with register_model().
#pragma once
#include "ganvas/core/checkpoint.h"
#include "ganvas/core/options.h"
#include "ganvas/models/gan_model.h"

#include <nlohmann/json.hpp>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace ganvas {

struct InputSpec {
    std::string name;  // "image", "gray", "sketch", "style", ...
    std::string help;
    bool required = true;
    // A folder given for this input means "each image in it, for every main input" (one output
    // per file, style images), not "the image of the same name" (the default).
    bool each_file = false;
};

// Which metrics `ganvas eval` computes (eval/evaluate_model.h).
enum class MetricSet {
    Colorization,  // PSNR, SSIM, colorfulness of output and baselines against the color truth
    Paired,        // L1, PSNR, SSIM against the pair's target; diversity, classifier accuracy
};
const char* to_string(MetricSet metrics);

// A variant `ganvas eval` scores beside the model: the same checkpoint with some request
// parameters set (style2paints with its hint zeroed: is the hint used at all?).
struct EvalVariant {
    std::string name;
    nlohmann::json parameters;
    std::string help;
};

// A training run's length and batch when the user gives none.
struct TrainDefaults {
    int64_t steps = 0;   // exactly one of steps and epochs is positive
    int64_t epochs = 0;
    int64_t batch = 16;
};

struct ModelDescriptor {
    std::string name;
    std::string summary;  // one line
    std::string reference;  // the paper (and released code) it follows
    // Options: the schema every options JSON of this model is checked against (unknown keys and
    // wrong types are UsageErrors naming the key). Retired keys still read from old checkpoints go
    // in legacy_options.
    std::vector<OptionSpec> options;
    std::vector<std::string> legacy_options;
    // Options that only change how trained weights are decoded at inference (the colorizer's
    // decode_temperature): `ganvas export --set` may change them after training.
    std::vector<std::string> decode_options;
    int64_t image_size = 64;  // default training resolution
    // From the resolved options (pix2pix counts epochs; the others steps).
    std::function<TrainDefaults(const nlohmann::json& options)> train_defaults;
    // Inference: named inputs (inputs[0] is the main input) and per-request parameters.
    std::vector<InputSpec> inputs;
    std::vector<OptionSpec> parameters;
    // Intermediate outputs beside the samples ("guide", ...).
    std::vector<std::string> guide_outputs;
    MetricSet metrics = MetricSet::Paired;
    std::vector<EvalVariant> eval_variants;
    // Builds a fresh model from options already checked against `options`.
    std::function<std::unique_ptr<GanModel>(const nlohmann::json& options)> create;

    const InputSpec& main_input() const { return inputs.front(); }
    const OptionSpec* find_option(const std::string& key) const;
    const OptionSpec* find_parameter(const std::string& key) const;
    // Name, summary, options, inputs, parameters, outputs, metrics and defaults, for programs.
    nlohmann::json to_json() const;
    // For people: `ganvas models` and `ganvas train --model X --help`.
    std::string help() const;
};

// Adds a model; UsageError when the name is taken, std::logic_error when the descriptor is
// incomplete (no create, no inputs).
void register_model(ModelDescriptor descriptor);
// The descriptor of `name`; UsageError naming --model and listing the known models otherwise.
const ModelDescriptor& model_descriptor(const std::string& name);
std::vector<std::string> model_names();
// The model `ganvas train` trains when --model is not given.
inline constexpr const char* kDefaultModel = "colorizer";

// A fresh model: options checked against the descriptor's schema, then built.
std::unique_ptr<GanModel> make_model(const std::string& name, const nlohmann::json& options);
// The model a checkpoint holds, loaded and placed; Error naming the file when it does not fit.
std::unique_ptr<GanModel> load_model(const LoadedCheckpoint& checkpoint, const Placement& placement);

// UsageError naming the input or parameter when `request` does not fit `descriptor`.
void check_request(const ModelDescriptor& descriptor, const InferenceRequest& request);

}  // namespace ganvas
