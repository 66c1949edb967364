#include "cli_common.h"
#include "commands.h"
#include "ganvas/core/checkpoint.h"
#include "ganvas/core/error.h"
#include "ganvas/infer/colorize.h"
#include "ganvas/models/factory.h"

#include <spdlog/spdlog.h>

#include <memory>

namespace ganvas::cli {
namespace {

struct ColorizeFlags {
    RuntimeFlags runtime;
    std::string checkpoint;
    std::vector<std::string> inputs;
    std::string out;
    ColorizeOptions options;
};

void run(const ColorizeFlags& f) {
    const Placement placement = apply_runtime_flags(f.runtime);
    auto loaded = load_checkpoint(f.checkpoint, ColorizerModel::kName);
    auto model = load_model(loaded, placement);
    auto& colorizer = static_cast<ColorizerModel&>(*model);
    std::vector<std::filesystem::path> inputs(f.inputs.begin(), f.inputs.end());
    const auto jobs = plan_outputs(inputs, f.out);
    if (jobs.empty()) throw Error("no images found in the given inputs");
    const BatchSummary summary = colorize_files(colorizer, jobs, f.options);
    spdlog::info("colorized {} of {} image(s) into {}", summary.written, jobs.size(), f.out);
    report_failures(summary.failures);
}

}  // namespace

void register_colorize(CLI::App& app) {
    auto flags = std::make_shared<ColorizeFlags>();
    auto* cmd = app.add_subcommand("colorize", "colorize gray photos with a trained colorizer");
    cmd->add_option("--checkpoint", flags->checkpoint, "checkpoint file or run folder")->required();
    cmd->add_option("inputs", flags->inputs, "image files or folders (recursive)")->required();
    cmd->add_option("--out", flags->out, "output folder (relative paths kept, PNG)")->required();
    cmd->add_flag("--at-train-size", flags->options.at_train_size,
                  "predict chroma at the training resolution and put it on the full-resolution lightness");
    add_runtime_flags(cmd, flags->runtime);
    cmd->callback([flags] { run(*flags); });
}

}  // namespace ganvas::cli
