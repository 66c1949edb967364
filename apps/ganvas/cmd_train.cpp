// `ganvas train`: the run's flags, plus each model's option flags as its descriptor declares them
// (registered once for all models; a flag the chosen model lacks is a usage error naming it).
#include "cli_common.h"
#include "commands.h"
#include "local_launch.h"
#include "ganvas/core/runtime.h"
#include "ganvas/dist/process_group.h"
#include "ganvas/core/error.h"
#include "ganvas/core/checkpoint.h"
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
    bool auto_resume = false;
    // Data-parallel training (the group itself comes from the launcher's environment).
    int nproc = 1;
    DistributedOptions dist;
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

// Joins the group the launcher's environment describes (nullptr when there is none).
std::shared_ptr<ProcessGroup> join_group(const TrainFlags& f, Placement& placement) {
    auto env = distributed_from_env();
    if (!env) return nullptr;
    env->timeout_seconds = f.dist.timeout_seconds;
    env->sync_batch_norm = f.dist.sync_batch_norm;
    env->backend = f.dist.backend;
    env->bucket_bytes = f.dist.bucket_bytes;
    env->validate();
    // One GPU per rank: cuda:LOCAL_RANK.
    if (placement.device.is_cuda()) placement.device = torch::Device(torch::kCUDA, env->local_rank);
    // Rank 0 speaks for the group; the others say only what goes wrong.
    if (env->rank > 0) spdlog::set_level(spdlog::level::warn);
    return ProcessGroup::join(*env, placement.device);
}

void run(TrainFlags& f) {
    if (f.nproc > 1) {
        f.dist.validate();
        if (std::getenv("WORLD_SIZE") != nullptr) {
            throw UsageError("--nproc starts its own group of processes; under a launcher (WORLD_SIZE is set) leave it out");
        }
        const int threads = f.runtime.threads > 0 ? f.runtime.threads : available_cores();
        const auto args = without_flags(program_arguments(), {"--nproc", "--threads"});
        exit_status() = launch_local(args, f.nproc, std::max(1, threads / f.nproc), f.dist.timeout_seconds);
        return;
    }
    TrainRequest request;
    request.placement = apply_runtime_flags(f.runtime);
    request.group = join_group(f, request.placement);
    request.model = f.model;
    const ModelDescriptor& descriptor = model_descriptor(f.model);
    request.train = f.train;
    if (f.auto_resume) {
        if (f.resume) throw UsageError("--auto-resume and --resume: choose one");
        // Rank 0 looks at the run folder; every rank follows its answer.
        std::string exists;
        if (!request.group || request.group->rank() == 0) {
            std::error_code ec;
            exists = std::filesystem::exists(f.train.out / kCheckpointFile, ec) ? "1" : "0";
        }
        if (request.group) request.group->broadcast_bytes(exists);
        f.resume = exists == "1";
        if (f.resume) spdlog::info("--auto-resume: {} holds a checkpoint; resuming it", f.train.out.string());
    }
    request.resume = f.resume;
    if (f.resume) {
        request.resume_steps = f.train.steps;
        request.resume_epochs = f.train.epochs;
        // What else was given is checked against the checkpoint (a changed batch or seed is refused).
        const nlohmann::json train = f.train.to_json();
        static const std::pair<const char*, const char*> flags[] = {
            {"--data", "data"},           {"--batch", "batch"},
            {"--seed", "seed"},           {"--val-ratio", "val_ratio"},
            {"--log-every", "log_every"}, {"--sample-every", "sample_every"},
            {"--checkpoint-every", "checkpoint_every"}, {"--samples", "sample_count"}};
        request.resume_given["train"] = nlohmann::json::object();
        for (const auto& [flag, key] : flags) {
            if (f.command->count(flag) > 0) request.resume_given["train"][key] = train.at(key);
        }
        if (f.command->count("--model") > 0) request.resume_given["model"] = f.model;
        request.resume_given["model_flags"] = nlohmann::json::object();
        for (const auto& [flag, words] : f.model_flags) {
            if (f.command->count(flag) > 0) request.resume_given["model_flags"][flag] = words;
        }
        request.resume_given["set"] = f.set;
        if (request.train.data.empty()) request.train.data = ".";  // taken from the checkpoint
    } else {
        request.model_options = model_options(f, descriptor);
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
    if (r.world_size > 1) {
        spdlog::info("{} ranks: {:.1f} s in collectives on rank 0 ({:.1f}% of the run), {:.1f} MB of gradients all-reduced per step",
                     r.world_size, r.communication_seconds, 100.0 * r.communication_seconds / std::max(r.seconds, 1e-9),
                     static_cast<double>(r.bytes_reduced_per_step) / 1e6);
    }
    if (r.status == TrainResult::Status::Interrupted) {
        spdlog::info("continue with: ganvas train --out {} --resume", f.train.out.string());
        // 128 + the signal, as a shell reports it (130 for Ctrl-C, 143 for SIGTERM).
        exit_status() = 128 + (r.stop_signal != 0 ? r.stop_signal : SIGINT);
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
    cmd->add_flag("--auto-resume", f.auto_resume,
                  "resume when --out holds a checkpoint, start fresh otherwise (for launchers that restart a command)");
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
    cmd->add_option("--time-budget", f.train.time_budget, "stop (with a checkpoint) after this many seconds of this invocation (also when resuming)");
    add_model_flags(cmd, f);
    cmd->add_option("--set", f.set, "any model option as KEY=VALUE (repeatable; ganvas train --model X --help lists them)");
    add_runtime_flags(cmd, f.runtime);
    cmd->add_option("--nproc", f.nproc,
                    "data-parallel processes to start on this host (threads split between them; "
                    "under torchrun, Slurm or Kubernetes leave it out: their WORLD_SIZE, RANK, ... are read)")
        ->check(CLI::Range(1, 256))
        ->capture_default_str();
    cmd->add_option("--dist-timeout", f.dist.timeout_seconds,
                    "seconds a rank may be silent before the others stop, naming it (data-parallel runs)")
        ->capture_default_str();
    cmd->add_flag("--sync-bn", f.dist.sync_batch_norm,
                  "batch norm on the statistics of every rank's batch (default: each rank's own, as DDP)");
    cmd->add_option("--dist-backend", f.dist.backend, "auto (NCCL on CUDA where built, else Gloo), gloo or nccl")
        ->capture_default_str();
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
