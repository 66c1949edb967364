#include "cli_common.h"
#include "commands.h"
#include "ganvas/core/error.h"
#include "ganvas/models/factory.h"
#include "ganvas/models/pix2pix/options.h"
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
    // pix2pix
    std::string direction, netG, netD, norm, gan_mode, dataset_mode;
    int64_t load_size = 0;
    double lambda_l1 = -1;
    // Any model: KEY=VALUE pairs of its options (VALUE read as JSON when it parses, else a string).
    std::vector<std::string> set;
    CLI::App* command = nullptr;
};

void apply_set(const std::vector<std::string>& pairs, nlohmann::json& j) {
    for (const auto& kv : pairs) {
        const auto eq = kv.find('=');
        if (eq == std::string::npos || eq == 0) throw UsageError("--set: expected KEY=VALUE, got '" + kv + "'");
        const std::string key = kv.substr(0, eq), value = kv.substr(eq + 1);
        auto parsed = nlohmann::json::parse(value, nullptr, /*allow_exceptions=*/false);
        j[key] = parsed.is_discarded() ? nlohmann::json(value) : parsed;
    }
}

nlohmann::json pix2pix_options(const TrainFlags& f) {
    for (const char* flag : {"--preset", "--widths", "--d-width", "--output-mode", "--reconstruction",
                             "--rec-weight", "--adv-weight", "--d-weight"}) {
        if (f.command->count(flag) > 0) throw UsageError(std::string(flag) + " is a colorizer option, not pix2pix's");
    }
    nlohmann::json j = nlohmann::json::object();
    for (auto [key, value] : {std::pair{"direction", &f.direction}, {"netG", &f.netG}, {"netD", &f.netD},
                              {"norm", &f.norm}, {"gan_mode", &f.gan_mode}, {"dataset_mode", &f.dataset_mode}}) {
        if (!value->empty()) j[key] = *value;
    }
    if (f.size > 0) j["crop_size"] = f.size;
    if (f.load_size > 0) j["load_size"] = f.load_size;
    if (f.lr > 0) j["lr"] = f.lr;
    if (f.lambda_l1 >= 0) j["lambda_L1"] = f.lambda_l1;
    apply_set(f.set, j);
    return j;
}

nlohmann::json sketchygan_options(const TrainFlags& f) {
    for (const char* flag : {"--preset", "--widths", "--d-width", "--output-mode", "--reconstruction", "--rec-weight",
                             "--adv-weight", "--d-weight", "--direction", "--netG", "--netD", "--norm", "--gan-mode",
                             "--dataset-mode", "--lambda-L1"}) {
        if (f.command->count(flag) > 0) {
            throw UsageError(std::string(flag) + " is not a sketchygan option (see --set and docs/SKETCHYGAN.md)");
        }
    }
    nlohmann::json j = nlohmann::json::object();
    if (f.size > 0) j["image_size"] = f.size;
    if (f.load_size > 0) j["load_size"] = f.load_size;
    if (f.lr > 0) j["lr_g"] = f.lr, j["lr_d"] = 2 * f.lr;
    apply_set(f.set, j);
    return j;
}

nlohmann::json model_options(const TrainFlags& f) {
    if (f.model == "pix2pix") return pix2pix_options(f);
    if (f.model == "sketchygan") return sketchygan_options(f);
    for (const char* flag : {"--direction", "--netG", "--netD", "--norm", "--gan-mode", "--dataset-mode",
                             "--load-size", "--lambda-L1"}) {
        if (f.command->count(flag) > 0) throw UsageError(std::string(flag) + " is a pix2pix option, not the " + f.model + "'s");
    }
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
    apply_set(f.set, j);
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
        // pix2pix: the reference's 100 + 100 epochs; the colorizer: 1,500 steps.
        if (f.model == "pix2pix") {
            const auto o = Pix2PixOptions::from_json(request.model_options);
            request.train.epochs = o.n_epochs + o.n_epochs_decay;
        } else if (f.model == "sketchygan") {
            request.train.steps = 20000;
        } else {
            request.train.steps = 1500;
        }
    }
    if (f.model == "pix2pix" && !f.resume && f.command->count("--batch") == 0) request.train.batch = 1;
    if (f.model == "sketchygan" && !f.resume && f.command->count("--batch") == 0) request.train.batch = 16;
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
    auto* steps = cmd->add_option("--steps", f.train.steps, "optimization steps (default: colorizer 1500, sketchygan 20000; pix2pix 200 epochs)");
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
    cmd->add_option("--size", f.size, "training resolution (colorizer and sketchygan default 64; pix2pix: the crop, default 256)");
    cmd->add_option("--widths", f.widths, "generator widths of blocks 1-4 (default 32 64 128 256)")->expected(4);
    cmd->add_option("--d-width", f.d_width, "discriminator base width (default 32)");
    cmd->add_option("--output-mode", f.output_mode, "rgb or chroma (keep the input's lightness)");
    cmd->add_option("--reconstruction", f.reconstruction, "l1 or l2");
    cmd->add_option("--lr", f.lr, "Adam learning rate (colorizer default 1e-4, pix2pix 2e-4; sketchygan: G's, D gets twice it)");
    cmd->add_option("--rec-weight", f.rec_weight, "weight of the reconstruction loss in G's objective");
    cmd->add_option("--adv-weight", f.adv_weight, "weight of the adversarial loss in G's objective");
    cmd->add_option("--d-weight", f.d_weight, "scale of D's objective");
    cmd->add_option("--direction", f.direction, "pix2pix: AtoB or BtoA (which half of an AB image is the input)");
    cmd->add_option("--netG", f.netG, "pix2pix generator: unet_256, unet_128, resnet_9blocks, resnet_6blocks");
    cmd->add_option("--netD", f.netD, "pix2pix discriminator: basic (70x70 PatchGAN), n_layers, pixel");
    cmd->add_option("--norm", f.norm, "pix2pix norm: batch, instance, none");
    cmd->add_option("--gan-mode", f.gan_mode, "pix2pix GAN objective: vanilla, lsgan, hinge, wgangp");
    cmd->add_option("--dataset-mode", f.dataset_mode, "pix2pix data: aligned (AB images), folders (A/ and B/), "
                                                      "colorization (color photos, Lab)");
    cmd->add_option("--load-size", f.load_size, "pix2pix, sketchygan: resize to this before the random crop of --size");
    cmd->add_option("--lambda-L1", f.lambda_l1, "pix2pix: weight of the L1 term (default 100)");
    cmd->add_option("--set", f.set, "any model option as KEY=VALUE (repeatable; see config.json of a run)");
    add_runtime_flags(cmd, f.runtime);
    f.command = cmd;
    cmd->callback([flags] { run(*flags); });
}

}  // namespace ganvas::cli
