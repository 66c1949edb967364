#include "cli_common.h"
#include "commands.h"
#include "ganvas/core/checkpoint.h"
#include "ganvas/core/error.h"
#include "ganvas/infer/translate.h"
#include "ganvas/models/factory.h"

#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include <memory>

namespace ganvas::cli {
namespace {

struct TranslateFlags {
    RuntimeFlags runtime;
    std::string checkpoint;
    std::vector<std::string> inputs;
    std::string out;
    std::string ab;  // "", auto, left, right
    bool keep_size = false;
    uint64_t seed = 0;
    std::string class_name;
    int64_t samples = 1;
};

void run(const TranslateFlags& f) {
    const Placement placement = apply_runtime_flags(f.runtime);
    auto loaded = load_checkpoint(f.checkpoint);
    auto model = load_model(loaded, placement);
    TranslateOptions options;
    options.keep_size = f.keep_size;
    if (f.ab == "left") {
        options.ab_half = AbHalf::Left;
    } else if (f.ab == "right") {
        options.ab_half = AbHalf::Right;
    } else if (f.ab == "auto") {
        // The generator's input side: A (left) unless the model was trained BtoA.
        const bool b_to_a = model->options_json().value("direction", std::string("AtoB")) == "BtoA";
        options.ab_half = b_to_a ? AbHalf::Right : AbHalf::Left;
    } else if (!f.ab.empty()) {
        throw UsageError("--ab: '" + f.ab + "' is not one of auto, left, right");
    }
    if (!f.class_name.empty()) options.label = class_index(*model, f.class_name);
    torch::manual_seed(f.seed);
    std::vector<std::filesystem::path> inputs(f.inputs.begin(), f.inputs.end());
    const auto jobs = sample_jobs(plan_outputs(inputs, f.out), f.samples);
    if (jobs.empty()) throw Error("no images found in the given inputs");
    const BatchSummary summary = translate_files(*model, jobs, options);
    spdlog::info("{}: wrote {} of {} image(s) into {}", model->name(), summary.written, jobs.size(), f.out);
    report_failures(summary.failures);
}

}  // namespace

void register_translate(CLI::App& app) {
    auto flags = std::make_shared<TranslateFlags>();
    auto* cmd = app.add_subcommand("translate", "run any trained model on images (the checkpoint names the model)");
    cmd->add_option("--checkpoint", flags->checkpoint, "checkpoint file or run folder")->required();
    cmd->add_option("inputs", flags->inputs, "image files or folders (recursive)")->required();
    cmd->add_option("--out", flags->out, "output folder (relative paths kept, PNG)")->required();
    cmd->add_option("--ab", flags->ab,
                    "inputs are AB pairs: translate the left or right half, or 'auto' (the model's input side)");
    cmd->add_flag("--keep-size", flags->keep_size, "resize outputs back to the input size");
    cmd->add_option("--seed", flags->seed, "seed of the generator's dropout / noise")->capture_default_str();
    cmd->add_option("--class", flags->class_name, "class-conditional models (sketchygan): the class to draw");
    cmd->add_option("--samples", flags->samples, "outputs per input, each with its own noise (<name>_<k>.png)")
        ->capture_default_str();
    add_runtime_flags(cmd, flags->runtime);
    cmd->callback([flags] { run(*flags); });
}

}  // namespace ganvas::cli
