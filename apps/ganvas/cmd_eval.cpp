// `ganvas eval`: a trained model on held-aside data, with the metric set its descriptor names.
#include "cli_common.h"
#include "commands.h"
#include "ganvas/core/atomic_file.h"
#include "ganvas/core/checkpoint.h"
#include "ganvas/core/error.h"
#include "ganvas/data/image_folder.h"
#include "ganvas/eval/evaluate_model.h"
#include "ganvas/models/registry.h"

#include <iostream>
#include <memory>

namespace ganvas::cli {
namespace {

struct EvalFlags {
    RuntimeFlags runtime;
    std::string checkpoint, data, split = "all", json;
    std::vector<std::string> params;  // KEY=VALUE
    SplitOptions split_options;
    ModelEvalOptions options;
};

void run(const EvalFlags& f) {
    const Placement placement = apply_runtime_flags(f.runtime);
    const Split split = parse_split(f.split);
    auto loaded = load_checkpoint(f.checkpoint);
    auto model = load_model(loaded, placement);
    ModelEvalOptions options = f.options;
    const ModelDescriptor& d = model_descriptor(model->name());
    for (const auto& pair : f.params) apply_key_value(pair, options.parameters, "--param");
    check_options(d.name + " --param", d.parameters, options.parameters);
    auto files = model->data_files(f.data, split, f.split_options);
    if (files.empty()) throw Error("no images of split '" + f.split + "' under " + f.data);
    const ModelEvaluation result = evaluate_model(*model, files, options);
    if (f.json == "-") {
        std::cout << result.json.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
        return;
    }
    std::cout << result.table;
    if (!f.json.empty()) write_file_atomic(f.json, result.json.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
}

}  // namespace

void register_eval(CLI::App& app) {
    auto flags = std::make_shared<EvalFlags>();
    auto* cmd = app.add_subcommand("eval", "a model on held-aside data with its metric set: colorization (PSNR, SSIM, colorfulness against baselines) or paired (L1, PSNR, SSIM, diversity)");
    cmd->add_option("--checkpoint", flags->checkpoint, "checkpoint file or run folder")->required();
    cmd->add_option("--data", flags->data, "folder of color images (searched recursively)")->required();
    cmd->add_option("--split", flags->split, "train, val, test or all")->capture_default_str();
    cmd->add_option("--val-ratio", flags->split_options.val_ratio, "as in training")->check(finite_range(0, 0.999))->capture_default_str();
    cmd->add_option("--size", flags->options.size, "evaluation size (default: the training size)")->check(CLI::Range(0, 8192));
    cmd->add_option("--limit", flags->options.limit, "evaluate at most this many images")->check(CLI::NonNegativeNumber);
    cmd->add_option("--batch", flags->options.batch, "images per forward pass")->check(CLI::Range(1, 4096))->capture_default_str();
    cmd->add_option("--html", flags->options.html_dir,
                    "example outputs: paired models write input | output | target rows and the metrics as "
                    "DIR/index.html; colorization models the first images as DIR/<n>_{gray,output,truth}.png");
    cmd->add_option("--seed", flags->options.seed, "paired models: seed of the generator's dropout / noise");
    cmd->add_option("--diversity", flags->options.diversity,
                    "paired models: translate each input K times and report the mean pairwise L1 (K >= 2)")
        ->check(CLI::Range(0, 64));
    cmd->add_option("--realism-vgg", flags->options.realism_vgg,
                    "also KID and FID against the true images on VGG-19 features from this vgg19_to_relu3_1.pth "
                    "(comparable between ganvas runs only: not the standard Inception numbers)");
    cmd->add_option("--realism-inception", flags->options.realism_inception,
                    "also the standard FID, KID and Inception Score from pytorch-fid's Inception weights "
                    "(pt_inception-2015-12-05-6726825d.pth, which you provide; ganvas downloads nothing)");
    cmd->add_option("--param", flags->params,
                    "a request parameter as KEY=VALUE for every inference (see ganvas models; e.g. a bins-head "
                    "colorizer's temperature=0.2)");
    cmd->add_option("--json", flags->json, "also write the results as JSON to this file ('-': stdout only)");
    add_runtime_flags(cmd, flags->runtime);
    cmd->callback([flags] { run(*flags); });
}

}  // namespace ganvas::cli
