#include "cli_common.h"
#include "commands.h"
#include "ganvas/core/error.h"
#include "ganvas/models/factory.h"
#include "ganvas/train/trainer.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <csignal>
#include <memory>

namespace ganvas::cli {
namespace {

struct TrainFlags {
    RuntimeFlags runtime;
    TrainOptions train;
    std::string model = "colorizer";
    bool resume = false;
    // Model options: only those given override the preset.
    std::string preset = "default";
    int64_t size = 0;
    std::vector<int64_t> widths;
    int64_t d_width = 0;
    std::string output_mode, reconstruction;
    double lr = 0, rec_weight = -1, adv_weight = -1, d_weight = -1;
};

nlohmann::json model_options(const TrainFlags& f) {
    nlohmann::json j = {{"preset", f.preset}};
    if (f.size > 0) j["image_size"] = f.size;
    if (!f.widths.empty()) j["widths"] = f.widths;
    if (f.d_width > 0) j["d_width"] = f.d_width;
    if (!f.output_mode.empty()) j["output"] = f.output_mode;
    if (!f.reconstruction.empty()) j["reconstruction"] = f.reconstruction;
    if (f.lr > 0) j["lr"] = f.lr;
    if (f.rec_weight >= 0) j["rec_weight"] = f.rec_weight;
    if (f.adv_weight >= 0) j["adv_weight"] = f.adv_weight;
    if (f.d_weight >= 0) j["d_weight"] = f.d_weight;
    return j;
}

void run(TrainFlags& f) {
    TrainRequest request;
    request.placement = apply_runtime_flags(f.runtime);
    request.model = f.model;
    parse_model_kind(f.model);
    request.model_options = model_options(f);
    request.train = f.train;
    request.resume = f.resume;
    if (f.resume) {
        request.resume_steps = f.train.steps;
        request.resume_epochs = f.train.epochs;
        if (request.train.data.empty()) request.train.data = ".";  // taken from the checkpoint
    } else if (f.train.steps == 0 && f.train.epochs == 0) {
        request.train.steps = 1500;
    }
    const TrainResult r = train(request);
    if (r.failed_files > 0) spdlog::warn("{} unreadable image(s) were skipped", r.failed_files);
    const char* how = r.status == TrainResult::Status::Finished      ? "finished"
                      : r.status == TrainResult::Status::Interrupted ? "interrupted"
                                                                     : "stopped at its time budget";
    spdlog::info("{} at step {}/{}: {:.1f} s, {:.1f} images/s, {:.1f} s waiting for data; checkpoint {}", how,
                 r.step, r.total_steps, r.seconds, r.images_per_second, r.data_wait_seconds,
                 r.checkpoint.string());
    if (r.status == TrainResult::Status::Interrupted) {
        spdlog::info("continue with: ganvas train --out {} --resume", f.train.out.string());
        exit_status() = 128 + SIGINT;
    }
}

}  // namespace

void register_train(CLI::App& app) {
    auto flags = std::make_shared<TrainFlags>();
    auto* cmd = app.add_subcommand("train", "train a model on a folder of images");
    auto& f = *flags;
    cmd->add_option("--model", f.model, "model to train: " + fmt::format("{}", fmt::join(model_names(), ", ")))
        ->capture_default_str();
    cmd->add_option("--data", f.train.data, "folder of training images (searched recursively)");
    cmd->add_option("--out", f.train.out, "run folder: config, checkpoint, losses, samples")->required();
    cmd->add_flag("--resume", f.resume, "continue the run in --out from its checkpoint");
    auto* steps = cmd->add_option("--steps", f.train.steps, "optimization steps (default 1500)");
    cmd->add_option("--epochs", f.train.epochs, "passes over the training set")->excludes(steps);
    cmd->add_option("--batch", f.train.batch, "batch size")->capture_default_str();
    cmd->add_option("--seed", f.train.seed, "seed of initialisation and data order")->capture_default_str();
    cmd->add_option("--val-ratio", f.train.split.val_ratio,
                    "share held aside for validation when no partition file exists")
        ->capture_default_str();
    cmd->add_option("--workers", f.train.workers, "data-loading threads")->capture_default_str();
    cmd->add_option("--log-every", f.train.log_every, "steps between loss-log rows")->capture_default_str();
    cmd->add_option("--sample-every", f.train.sample_every, "steps between sample grids")->capture_default_str();
    cmd->add_option("--checkpoint-every", f.train.checkpoint_every, "steps between checkpoints")
        ->capture_default_str();
    cmd->add_option("--samples", f.train.sample_count, "rows in a sample grid")->capture_default_str();
    cmd->add_option("--time-budget", f.train.time_budget, "stop (with a checkpoint) after this many seconds");
    cmd->add_option("--preset", f.preset, "colorizer recipe: default or paper")->capture_default_str();
    cmd->add_option("--size", f.size, "training resolution (default 64)");
    cmd->add_option("--widths", f.widths, "generator widths of blocks 1-4 (default 32 64 128 256)")->expected(4);
    cmd->add_option("--d-width", f.d_width, "discriminator base width (default 32)");
    cmd->add_option("--output-mode", f.output_mode, "rgb or chroma (keep the input's lightness)");
    cmd->add_option("--reconstruction", f.reconstruction, "l1 or l2");
    cmd->add_option("--lr", f.lr, "Adam learning rate (default 1e-4)");
    cmd->add_option("--rec-weight", f.rec_weight, "weight of the reconstruction loss in G's objective");
    cmd->add_option("--adv-weight", f.adv_weight, "weight of the adversarial loss in G's objective");
    cmd->add_option("--d-weight", f.d_weight, "scale of D's objective");
    add_runtime_flags(cmd, f.runtime);
    cmd->callback([flags] { run(*flags); });
}

}  // namespace ganvas::cli
