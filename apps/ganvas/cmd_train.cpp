// `ganvas train`: the run's flags, plus each model's option flags as its descriptor declares them
// (registered once for all models; a flag the chosen model lacks is a usage error naming it).
#include "cli_common.h"
#include "commands.h"
#include "ganvas/core/error.h"
#include "ganvas/core/options.h"
#include "ganvas/models/registry.h"
#include "ganvas/train/trainer.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <csignal>
#include <map>
#include <memory>

namespace ganvas::cli {
namespace {

struct TrainFlags {
    RuntimeFlags runtime;
    TrainOptions train;
    std::string model = kDefaultModel;
    bool resume = false;
    // Model option flags as given (words per flag), mapped through the chosen model's descriptor.
    std::map<std::string, std::vector<std::string>> model_flags;
    // Any model option: KEY=VALUE (VALUE read as JSON when it parses, else a string).
    std::vector<std::string> set;
    CLI::App* command = nullptr;
};

nlohmann::json model_options(const TrainFlags& f, const ModelDescriptor& d) {
    nlohmann::json j = nlohmann::json::object();
    for (const auto& [flag, words] : f.model_flags) {
        if (f.command->count(flag) == 0) continue;
        const auto spec = std::find_if(d.options.begin(), d.options.end(), [&](const OptionSpec& s) { return s.flag == flag; });
        if (spec == d.options.end()) {
            throw UsageError(flag + " is not an option of " + d.name + " (its options: ganvas train --model " + d.name +
                             " --help)");
        }
        j[spec->key] = parse_option_words(*spec, words, flag);
    }
    for (const auto& pair : f.set) apply_key_value(pair, j, "--set");
    return j;
}

void run(TrainFlags& f) {
    TrainRequest request;
    request.placement = apply_runtime_flags(f.runtime);
    request.model = f.model;
    const ModelDescriptor& descriptor = model_descriptor(f.model);
    request.model_options = model_options(f, descriptor);
    request.train = f.train;
    request.resume = f.resume;
    if (f.resume) {
        request.resume_steps = f.train.steps;
        request.resume_epochs = f.train.epochs;
        if (request.train.data.empty()) request.train.data = ".";  // taken from the checkpoint
    } else {
        check_options(descriptor.name, descriptor.options, request.model_options, descriptor.legacy_options);
        const TrainDefaults defaults = descriptor.train_defaults ? descriptor.train_defaults(request.model_options)
                                                                 : TrainDefaults{};
        if (f.train.steps == 0 && f.train.epochs == 0) {
            request.train.steps = defaults.steps;
            request.train.epochs = defaults.epochs;
        }
        if (f.command->count("--batch") == 0) request.train.batch = defaults.batch;
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

// Every model's option flags, once each, with the models that have them.
void add_model_flags(CLI::App* cmd, TrainFlags& f) {
    struct Flag {
        const OptionSpec* spec;
        std::vector<std::string> models;
    };
    std::map<std::string, Flag> flags;
    for (const auto& name : model_names()) {
        for (const auto& spec : model_descriptor(name).options) {
            if (spec.flag.empty()) continue;
            auto& flag = flags.try_emplace(spec.flag, Flag{&spec, {}}).first->second;
            flag.models.push_back(name);
        }
    }
    for (const auto& [flag, info] : flags) {
        const bool list = info.spec->type == OptionType::IntList || info.spec->type == OptionType::FloatList ||
                          info.spec->type == OptionType::StringList;
        auto* option = cmd->add_option(flag, f.model_flags[flag],
                                       fmt::format("{} [{}]", info.spec->help, fmt::join(info.models, ", ")));
        if (!list) option->expected(1);
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
    auto* steps = cmd->add_option("--steps", f.train.steps, "optimization steps (default: the model's; see ganvas models)");
    cmd->add_option("--epochs", f.train.epochs, "passes over the training set")->excludes(steps);
    cmd->add_option("--batch", f.train.batch, "batch size (default: the model's)");
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
    add_model_flags(cmd, f);
    cmd->add_option("--set", f.set, "any model option as KEY=VALUE (repeatable; ganvas train --model X --help lists them)");
    add_runtime_flags(cmd, f.runtime);
    f.command = cmd;
    // `ganvas train --model X --help`: X's own options, from its descriptor.
    cmd->footer([flags] {
        try {
            return "\n" + model_descriptor(flags->model).help();
        } catch (const UsageError& e) {
            return std::string("\n") + e.what();
        }
    });
    cmd->callback([flags] { run(*flags); });
}

}  // namespace ganvas::cli
