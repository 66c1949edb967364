// `ganvas translate` (any model) and `ganvas colorize` (models whose metric set is colorization):
// one predictor over files and folders, the checkpoint naming the model.
#include "cli_common.h"
#include "commands.h"
#include "ganvas/core/checkpoint.h"
#include "ganvas/core/error.h"
#include "ganvas/core/options.h"
#include "ganvas/infer/predictor.h"
#include "ganvas/models/registry.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <memory>

namespace ganvas::cli {
namespace {

struct PredictFlags {
    RuntimeFlags runtime;
    std::string checkpoint;
    std::vector<std::string> inputs;
    std::string out;
    std::vector<std::string> extra_inputs;  // NAME=PATH
    std::vector<std::string> params;        // KEY=VALUE
    std::string ab;                         // "", auto, left, right
    bool keep_size = false;
    uint64_t seed = 0;
    std::string class_name;
    int64_t samples = 1;
    bool at_train_size = false;  // colorize
};

// NAME=PATH pairs of the inputs beside the main one, each a name the model takes.
std::map<std::string, std::filesystem::path> extra_inputs(const std::vector<std::string>& pairs,
                                                          const ModelDescriptor& d) {
    std::map<std::string, std::filesystem::path> out;
    for (const auto& pair : pairs) {
        const auto eq = pair.find('=');
        if (eq == std::string::npos || eq == 0) throw UsageError("--input: expected NAME=PATH, got '" + pair + "'");
        const std::string name = pair.substr(0, eq);
        if (name == d.main_input().name) {
            throw UsageError("--input " + name + ": the main input comes from the positional arguments");
        }
        if (std::none_of(d.inputs.begin(), d.inputs.end(), [&](const InputSpec& i) { return i.name == name; })) {
            std::string known;
            for (const auto& i : d.inputs) known += (known.empty() ? "" : ", ") + i.name;
            throw UsageError("--input " + name + ": a " + d.name + " model takes " + known);
        }
        out[name] = pair.substr(eq + 1);
    }
    for (const auto& i : d.inputs) {
        if (i.required && i.name != d.main_input().name && !out.count(i.name)) {
            throw UsageError("a " + d.name + " model needs --input " + i.name + "=PATH (" + i.help + ")");
        }
    }
    return out;
}

void run(const PredictFlags& f, const std::string& command) {
    const Placement placement = apply_runtime_flags(f.runtime);
    auto loaded = load_checkpoint(f.checkpoint);
    Predictor predictor(load_model(loaded, placement));
    const ModelDescriptor& d = predictor.descriptor();
    if (command == "colorize" && d.metrics != MetricSet::Colorization) {
        throw UsageError("colorize: " + loaded.path.string() + " holds a " + d.name +
                         " model, which does not colorize; use ganvas translate");
    }
    FileRequest request;
    request.image.seed = f.seed;
    request.image.samples = f.samples;
    request.image.keep_size = f.keep_size;
    request.image.ab_half = parse_ab_half(f.ab, predictor.model());
    for (const auto& pair : f.params) apply_key_value(pair, request.image.parameters, "--param");
    if (!f.class_name.empty()) {
        if (!d.find_parameter("class")) throw UsageError("--class: a " + d.name + " model has no classes");
        request.image.parameters["class"] = f.class_name;
    }
    if (f.at_train_size) request.image.parameters["at_train_size"] = true;
    check_options(d.name + " --param", d.parameters, request.image.parameters);
    if (f.samples < 1 || f.samples > InferenceRequest::kMaxSamples) {
        throw UsageError("--samples: 1 to " + std::to_string(InferenceRequest::kMaxSamples));
    }
    request.extra_inputs = extra_inputs(f.extra_inputs, d);
    request.contact_sheet = std::filesystem::path(f.out) / "contact_sheet.png";
    request.out_dir = f.out;
    std::vector<std::filesystem::path> inputs(f.inputs.begin(), f.inputs.end());
    const auto jobs = plan_outputs(inputs, f.out, ".png", /*check=*/false);  // predict_files checks every sample's name
    if (jobs.empty()) throw Error("no images found in the given inputs");
    const BatchSummary summary = predict_files(predictor, jobs, request, command);
    spdlog::info("{}: wrote {} of {} image(s) into {}", d.name, summary.written,
                 static_cast<int64_t>(jobs.size()) * f.samples, f.out);
    report_failures(summary.failures);
}

CLI::App* add_predict_command(CLI::App& app, const std::string& name, const std::string& help,
                              const std::shared_ptr<PredictFlags>& flags) {
    auto* cmd = app.add_subcommand(name, help);
    cmd->add_option("--checkpoint", flags->checkpoint, "checkpoint file or run folder")->required();
    cmd->add_option("inputs", flags->inputs, "image files or folders (recursive): the model's main input")->required();
    cmd->add_option("--out", flags->out, "output folder (relative paths kept, PNG)")->required();
    cmd->add_option("--param", flags->params,
                    "a request parameter as KEY=VALUE (see ganvas models; e.g. a bins-head colorizer's temperature=0.2)");
    add_runtime_flags(cmd, flags->runtime);
    cmd->callback([flags, name] { run(*flags, name); });
    return cmd;
}

}  // namespace

void register_translate(CLI::App& app) {
    auto flags = std::make_shared<PredictFlags>();
    auto* cmd = add_predict_command(app, "translate", "run any trained model on images (the checkpoint names the model)", flags);
    cmd->add_option("--input", flags->extra_inputs,
                    "another named input as NAME=PATH: one image for all, or a folder with an image of the same "
                    "relative name per input; for a style, a folder gives one output per style and a contact sheet "
                    "(see ganvas models)");
    cmd->add_option("--ab", flags->ab,
                    "inputs are AB pairs: translate the left or right half, or 'auto' (the model's input side)");
    cmd->add_flag("--keep-size", flags->keep_size, "resize outputs back to the input size");
    cmd->add_option("--seed", flags->seed, "seed of the generator's dropout / noise")->capture_default_str();
    cmd->add_option("--class", flags->class_name, "class-conditional models (sketchygan): the class to draw");
    cmd->add_option("--samples", flags->samples, "outputs per input, each with its own noise (<name>_<k>.png)")
        ->capture_default_str();
}

void register_colorize(CLI::App& app) {
    auto flags = std::make_shared<PredictFlags>();
    auto* cmd = add_predict_command(app, "colorize", "colorize gray photos with a trained colorization model", flags);
    cmd->add_flag("--at-train-size", flags->at_train_size,
                  "predict chroma at the training resolution and put it on the full-resolution lightness");
}

}  // namespace ganvas::cli
