#include "ganvas/train/trainer.h"

#include "ganvas/core/atomic_file.h"
#include "ganvas/core/checkpoint.h"
#include "ganvas/core/error.h"
#include "ganvas/core/image.h"
#include "ganvas/core/options.h"
#include "ganvas/core/progress.h"
#include "ganvas/data/loader.h"
#include "ganvas/models/registry.h"
#include "ganvas/train/run_log.h"
#include "ganvas/train/run_page.h"
#include "ganvas/train/signals.h"

#include <ATen/CPUGeneratorImpl.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <csignal>
#include <fstream>
#include <optional>
#include <sstream>

namespace ganvas {
namespace fs = std::filesystem;

namespace {

constexpr const char* kRngKey = "ganvas.rng";

struct RunState {
    int64_t step = 0;
    LoaderPosition position;
    double seconds = 0.0;  // wall time of earlier invocations
};

torch::Tensor cpu_rng_state() {
    auto gen = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(gen.mutex());
    return gen.get_state();
}

void set_cpu_rng_state(const torch::Tensor& state) {
    auto gen = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(gen.mutex());
    gen.set_state(state);
}

void write_checkpoint(const fs::path& path, GanModel& model, const TrainOptions& options,
                      const RunState& state, int world_size) {
    CheckpointHeader header;
    header.model = model.name();
    header.options = model.options_json();
    header.state = {{"step", state.step},
                    {"epoch", state.position.epoch},
                    {"examples_in_epoch", state.position.example},
                    {"batch_in_epoch", state.position.example / (options.batch * world_size)},
                    {"world_size", world_size},
                    {"global_batch", options.batch * world_size},
                    {"seconds", state.seconds},
                    {"train", options.to_json()}};
    save_checkpoint(path, header, [&](torch::serialize::OutputArchive& archive) {
        model.save(archive);
        archive.write(kRngKey, cpu_rng_state(), /*is_buffer=*/true);
    });
}

void write_config(const fs::path& out, const GanModel& model, const TrainOptions& options,
                  const Placement& placement, const ProcessGroup* group) {
    const int world = group ? group->size() : 1;
    nlohmann::json config = {{"model", model.name()},
                             {"model_options", model.options_json()},
                             {"train", options.to_json()},
                             {"device", placement.device.str()},
                             {"channels_last", placement.channels_last},
                             {"threads", torch::get_num_threads()},
                             {"world_size", world},
                             {"batch_per_rank", options.batch},
                             {"global_batch", options.batch * world}};
    if (group) {
        config["distributed"] = {{"backend", group->backend_name()},
                                 {"sync_batch_norm", group->options().sync_batch_norm},
                                 {"bucket_bytes", group->options().bucket_bytes},
                                 {"timeout_seconds", group->options().timeout_seconds}};
    }
    write_file_atomic(out / "config.json", config.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
}

Batch make_sample_batch(const GanModel& model, const std::vector<fs::path>& files, int64_t count) {
    std::vector<fs::path> chosen(files.begin(), files.begin() + std::min<size_t>(files.size(), count * 4));
    auto dataset = model.make_dataset(chosen, /*train=*/false);
    std::vector<Example> examples;
    for (size_t i = 0; i < dataset->size() && static_cast<int64_t>(examples.size()) < count; ++i) {
        try {
            examples.push_back(dataset->get(i, 0));
        } catch (const Error&) {
        }
    }
    if (examples.empty()) return {};
    return collate(examples);
}

void write_samples(const fs::path& out, GanModel& model, const Batch& samples, int64_t step) {
    if (samples.size() == 0) return;
    std::vector<torch::Tensor> columns;
    for (auto& v : model.visuals(samples.to(model.placement().device))) columns.push_back(v.images);
    const cv::Mat grid = make_grid(columns);
    write_image_rgb(out / "samples" / fmt::format("step_{:06d}.png", step), grid);
    write_image_rgb(out / "samples" / "latest.png", grid);
}

std::string format_losses(const std::vector<std::pair<std::string, double>>& averages) {
    std::string s;
    for (const auto& [name, value] : averages) s += fmt::format(" {} {:.4g}", name, value);
    return s;
}

uint64_t rank_seed(uint64_t seed, int rank, int64_t step) {
    uint64_t z = seed * 0x9E3779B97F4A7C15ull + static_cast<uint64_t>(rank) * 0xD1B54A32D192ED03ull +
                 static_cast<uint64_t>(step) + 0x632BE59BD9B4E019ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

std::string read_file_bytes(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error("checkpoint " + path.string() + " cannot be read");
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Rank 0's model state (networks, optimizers, statistics) on every rank.
void broadcast_model(ProcessGroup& group, GanModel& model, const Placement& placement) {
    std::string bytes;
    if (group.rank() == 0) {
        torch::serialize::OutputArchive archive;
        model.save(archive);
        std::ostringstream out;
        archive.save_to(out);
        bytes = out.str();
    }
    group.broadcast_bytes(bytes);
    if (group.rank() != 0) {
        torch::serialize::InputArchive archive;
        archive.load_from(bytes.data(), bytes.size());
        model.load(archive);
        model.place(placement);
    }
}

// Every rank learns whether any rank failed: the failing one rethrows its own error, the others
// say that a peer failed (its log names the problem), so that no rank waits for a collective that
// will never come.
void agree(ProcessGroup* group, std::exception_ptr error, const char* stage) {
    if (group == nullptr || group->size() == 1) {
        if (error) std::rethrow_exception(error);
        return;
    }
    auto flag = torch::tensor({error ? static_cast<float>(group->rank() + 1) : 0.0f});
    group->allreduce_max(flag);
    if (error) std::rethrow_exception(error);
    if (flag.item<float>() > 0) {
        throw Error(fmt::format("rank {} stopped {} (its log names the problem)",
                                static_cast<int>(flag.item<float>()) - 1, stage));
    }
}

// A resumed run against what its command line gave: see TrainRequest::resume_given.
void apply_resume_flags(const TrainRequest& request, const CheckpointHeader& header, TrainOptions& options,
                        const fs::path& checkpoint_path) {
    const nlohmann::json& given = request.resume_given;
    const auto text = [](const nlohmann::json& v) { return v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace); };
    const auto refuse = [&](const std::string& flag, const std::string& now, const std::string& stored) {
        throw UsageError(flag + " " + now + ": the run in " + checkpoint_path.parent_path().string() +
                         " was started with " + stored + "; a resumed run keeps what it is made of (start a new --out to change it)");
    };
    if (auto it = given.find("model"); it != given.end() && it->get<std::string>() != header.model) {
        refuse("--model", it->get<std::string>(), header.model);
    }
    nlohmann::json model_options = nlohmann::json::object();
    const ModelDescriptor& d = model_descriptor(header.model);
    const nlohmann::json model_flags = given.value("model_flags", nlohmann::json::object());
    for (const auto& item : model_flags.items()) {
        const std::string& flag = item.key();
        const nlohmann::json& words = item.value();
        const auto spec = std::find_if(d.options.begin(), d.options.end(), [&](const OptionSpec& s) { return s.flag == flag; });
        if (spec == d.options.end()) throw UsageError(flag + " is not an option of the " + d.name + " model this run trains");
        model_options[spec->key] = parse_option_words(*spec, words.get<std::vector<std::string>>(), flag);
    }
    for (const auto& pair : given.value("set", nlohmann::json::array())) {
        apply_key_value(pair.get<std::string>(), model_options, "--set");
    }
    for (const auto& item : model_options.items()) {
        const auto stored = header.options.find(item.key());
        if (stored == header.options.end() || *stored != item.value()) {
            refuse("option " + item.key(), text(item.value()),
                   stored == header.options.end() ? "no such option" : text(*stored));
        }
    }
    if (auto it = given.find("train"); it != given.end()) {
        const nlohmann::json stored = options.to_json();
        static const std::pair<const char*, const char*> fixed[] = {
            {"batch", "--batch"}, {"seed", "--seed"}, {"val_ratio", "--val-ratio"}};
        for (const auto& [key, flag] : fixed) {
            if (it->contains(key) && stored.contains(key) && (*it)[key] != stored[key]) {
                refuse(flag, text((*it)[key]), text(stored[key]));
            }
        }
        // Cadences of logs, samples and checkpoints, and where the data now is, may change.
        const nlohmann::json& now = *it;
        options.log_every = now.value("log_every", options.log_every);
        options.sample_every = now.value("sample_every", options.sample_every);
        options.checkpoint_every = now.value("checkpoint_every", options.checkpoint_every);
        options.sample_count = now.value("sample_count", options.sample_count);
        if (now.contains("data") && fs::path(now.at("data").get<std::string>()) != options.data) {
            const fs::path data = now.at("data").get<std::string>();
            spdlog::info("--data: {} now (the run started on {})", data.string(), options.data.string());
            options.data = data;
        }
    }
}

// The model, options and counters of a run: from the checkpoint in `out` when resuming, fresh
// otherwise. Refuses to resume nothing and to start over an existing run. In a group, rank 0 checks
// the folder and reads the checkpoint; the others get its bytes.
std::shared_ptr<GanModel> open_run(const TrainRequest& request, TrainOptions& options, RunState& state,
                                   int& stored_world) {
    ProcessGroup* group = request.group.get();
    const bool leader = group == nullptr || group->rank() == 0;
    const fs::path out = request.train.out;
    const fs::path checkpoint_path = out / kCheckpointFile;
    std::error_code ec;
    if (!request.resume) {
        std::exception_ptr error;
        try {
            options.validate();
            if (leader) {
                if (fs::exists(checkpoint_path, ec)) {
                    throw UsageError("--out " + out.string() +
                                     " already holds a run; pass --resume to continue it or choose another folder");
                }
                ensure_writable_dir(out);
            }
        } catch (...) {
            error = std::current_exception();
        }
        agree(group, error, "while checking --out");
        torch::manual_seed(options.seed);
        auto model = request.prebuilt ? request.prebuilt : make_model(request.model, request.model_options);
        model->place(request.placement);
        return model;
    }
    std::string bytes;
    std::exception_ptr error;
    try {
        if (leader) {
            if (!fs::exists(checkpoint_path, ec)) {
                throw UsageError("--resume: " + out.string() + " holds no checkpoint to resume from");
            }
            bytes = read_file_bytes(checkpoint_path);
        }
    } catch (...) {
        error = std::current_exception();
    }
    agree(group, error, "while reading the checkpoint");
    if (group) group->broadcast_bytes(bytes);
    auto loaded = load_checkpoint_bytes(bytes, checkpoint_path);
    bytes.clear();
    const TrainingState stored = read_training_state(loaded.header, checkpoint_path);
    options = TrainOptions::from_json(stored.train);
    state.step = stored.step;
    stored_world = stored.world_size;
    state.position = {stored.epoch, stored.examples_in_epoch};
    state.seconds = stored.seconds;
    try {
        options.validate();
    } catch (const UsageError& e) {
        throw Error("checkpoint " + checkpoint_path.string() + " has invalid training options: " + e.what());
    }
    apply_resume_flags(request, loaded.header, options, checkpoint_path);
    options.out = out;
    options.workers = request.train.workers;
    // A budget given now is this invocation's (a resumed run's stored budget was the last one's).
    if (request.train.time_budget > 0) options.time_budget = request.train.time_budget;
    if (request.resume_steps > 0) options.steps = request.resume_steps, options.epochs = 0;
    if (request.resume_epochs > 0) options.epochs = request.resume_epochs, options.steps = 0;
    options.validate();
    auto model = load_model(loaded, request.placement);
    torch::Tensor rng;
    if (loaded.archive->try_read(kRngKey, rng, true)) set_cpu_rng_state(rng);
    if (leader) spdlog::info("resuming {} from step {} ({})", model->name(), state.step, checkpoint_path.string());
    return model;
}

}  // namespace

TrainResult train(const TrainRequest& request) {
    if (request.train.out.empty()) throw UsageError("--out is required");
    ProcessGroup* group = request.group.get();
    const ScopedProcessGroup scoped_group(group);
    const int rank = group ? group->rank() : 0;
    const int world = group ? group->size() : 1;
    const bool leader = rank == 0;
    TrainOptions options = request.train;
    RunState state;
    int stored_world = world;
    const std::shared_ptr<GanModel> model = open_run(request, options, state, stored_world);
    const fs::path out = options.out;
    const fs::path checkpoint_path = out / kCheckpointFile;
    std::error_code ec;

    std::shared_ptr<Dataset> dataset;
    std::unique_ptr<BatchLoader> loader_holder;
    Batch samples;
    std::exception_ptr setup_error;
    try {
        model->bind_data(options.data);
        auto train_files = model->data_files(options.data, Split::Train, options.split);
        if (train_files.empty()) {
            throw Error(std::string(list_images(options.data).empty() ? "no images" : "no training images") +
                        " found under " + options.data.string());
        }
        auto val_files = model->data_files(options.data, Split::Val, options.split);
        dataset = model->make_dataset(train_files, /*train=*/true);
        if (leader) {
            samples = make_sample_batch(*model, val_files.empty() ? train_files : val_files, options.sample_count);
            // Count examples, not files: a paired layout lists both sides of every pair.
            const size_t held_aside =
                val_files.empty() ? 0 : model->make_dataset(val_files, /*train=*/false)->size();
            spdlog::info("{}: {} training examples, {} held aside under {}", model->name(), dataset->size(),
                         held_aside, options.data.string());
        }
        LoaderOptions lo{options.batch, options.seed, true, options.workers, 2};
        lo.rank = rank;
        lo.world_size = world;
        loader_holder = std::make_unique<BatchLoader>(dataset, lo, state.position);
    } catch (...) {
        setup_error = std::current_exception();
    }
    agree(group, setup_error, "while reading the data");
    BatchLoader& loader = *loader_holder;
    const int64_t total = options.steps > 0 ? options.steps : options.epochs * loader.batches_per_epoch();
    if (!request.resume) model->prepare(*dataset);
    if (group && world > 1) {
        // One model everywhere: rank 0's (a fresh run's statistics, a resumed run's checkpoint are
        // the same on every rank already; the broadcast makes it so whatever the seeds did).
        if (!request.resume) broadcast_model(*group, *model, request.placement);
        // Each rank its own stream of noise and dropout masks; rank 0 keeps the run's.
        if (rank > 0) torch::manual_seed(rank_seed(options.seed, rank, state.step));
    }
    if (leader && request.resume && stored_world != world) {
        spdlog::warn("resuming a run of {} rank(s) on {}: the global batch changes from {} to {}", stored_world, world,
                     options.batch * stored_world, options.batch * world);
    }
    if (leader) {
        write_config(out, *model, options, request.placement, group);
        spdlog::info("{}: {} parameters, {} threads, device {}, {} steps of batch {}{}", model->name(),
                     model->parameter_count(), torch::get_num_threads(), request.placement.device.str(), total,
                     options.batch * world,
                     world > 1 ? fmt::format(" ({} ranks of {}, {} all-reduce)", world, options.batch,
                                             group->backend_name())
                               : std::string());
    }
    if (group) group->reset_counters();

    TrainResult result;
    result.total_steps = total;
    result.checkpoint = checkpoint_path;
    result.world_size = world;
    std::optional<LossLog> log;
    if (leader) log.emplace(out / "losses.csv", state.step);
    ScopedStopHandler stop_handler;
    std::optional<Progress> progress;
    if (leader) progress.emplace("train", total, state.step);
    const auto t0 = std::chrono::steady_clock::now();
    const int64_t first_step = state.step;
    std::vector<std::pair<std::string, double>> averages;
    const auto elapsed = [&] {
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    };

    while (state.step < total) {
        if (group) group->set_step(state.step);
        // One move to the device and memory format the model uses.
        Batch placed = loader.next();
        placed.input = request.placement.apply(placed.input);
        placed.target = request.placement.apply(placed.target);
        placed.label = placed.label.to(request.placement.device);
        for (auto& [name, t] : placed.extra) t = request.placement.apply(t);
        model->begin_step(state.step, total);
        NamedValues losses = model->train_step(placed);
        const double seconds = elapsed();
        int stop_signal = ScopedStopHandler::signal_number();
        bool out_of_time = options.time_budget > 0 && seconds >= options.time_budget;
        if (group && world > 1) {
            // The step's agreement: mean losses, and whether any rank was asked to stop.
            std::vector<float> values;
            for (const auto& [name, value] : losses) values.push_back(static_cast<float>(value));
            values.push_back(stop_signal != 0 ? 1.0f : 0.0f);
            values.push_back(stop_signal == SIGTERM ? 1.0f : 0.0f);
            values.push_back(out_of_time ? 1.0f : 0.0f);
            std::vector<torch::Tensor> agreed{torch::tensor(values)};
            group->allreduce_sum(agreed);
            const auto a = agreed[0].accessor<float, 1>();
            for (size_t i = 0; i < losses.size(); ++i) losses[i].second = a[static_cast<int64_t>(i)] / world;
            // A signal on any rank stops every rank at this step (SIGTERM when any rank got one).
            const auto k = static_cast<int64_t>(losses.size());
            if (stop_signal == 0 && a[k] > 0) stop_signal = a[k + 1] > 0 ? SIGTERM : SIGINT;
            out_of_time = a[k + 2] > 0;
        }
        for (const auto& [name, value] : losses) {
            if (!std::isfinite(value)) {
                throw Error(fmt::format(
                    "loss {} became {} at step {}{}; training stopped. The last good checkpoint is {}{}", name, value,
                    state.step + 1, world > 1 ? " (mean over the ranks)" : "", checkpoint_path.string(),
                    fs::exists(checkpoint_path, ec) ? "" : " (none written yet)"));
            }
        }
        state.step += 1;
        state.position = loader.position();
        if (averages.empty()) {
            for (const auto& [n, v] : losses) averages.emplace_back(n, v);
        } else {
            for (size_t i = 0; i < losses.size(); ++i) averages[i].second = 0.9 * averages[i].second + 0.1 * losses[i].second;
        }
        const double ips = static_cast<double>((state.step - first_step) * options.batch * world) / std::max(seconds, 1e-9);
        if (leader) {
            if (state.step % options.log_every == 0 || state.step == total) {
                log->append({state.step, state.position.epoch, state.seconds + seconds, ips, {}}, losses);
            }
            progress->update(state.step, fmt::format("ep {} {:.1f} img/s |{}", state.position.epoch + 1, ips,
                                                     format_losses(averages)));
            if (state.step % options.sample_every == 0 || state.step == total) {
                write_samples(out, *model, samples, state.step);
                write_run_page(out, model->name(), state.step, total);
            }
        }
        const bool interrupted = stop_signal != 0;
        if (leader && (state.step % options.checkpoint_every == 0 || state.step == total || interrupted || out_of_time)) {
            RunState saved = state;
            saved.seconds = state.seconds + seconds;
            model->before_checkpoint(*dataset);
            write_checkpoint(checkpoint_path, *model, options, saved, world);
        }
        if (interrupted || out_of_time) {
            result.status = interrupted ? TrainResult::Status::Interrupted : TrainResult::Status::OutOfTime;
            result.stop_signal = stop_signal;
            break;
        }
    }
    if (progress) progress->finish();
    // Rank 0's last checkpoint is on disk before any rank reports success.
    if (group) group->barrier();
    result.step = state.step;
    result.seconds = elapsed();
    result.run_seconds = state.seconds + (state.step > first_step ? result.seconds : 0.0);
    result.images_per_second =
        static_cast<double>((state.step - first_step) * options.batch * world) / std::max(result.seconds, 1e-9);
    result.failed_files = loader.failed_files();
    result.data_wait_seconds = loader.wait_seconds();
    if (group) {
        result.communication_seconds = group->communication_seconds();
        result.bytes_reduced_per_step = group->bytes_reduced() / std::max<int64_t>(1, state.step - first_step);
    }
    if (leader && first_step >= total) spdlog::info("the run at {} is already complete ({} steps)", out.string(), total);
    return result;
}

}  // namespace ganvas
