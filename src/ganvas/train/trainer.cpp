#include "ganvas/train/trainer.h"

#include "ganvas/core/atomic_file.h"
#include "ganvas/core/checkpoint.h"
#include "ganvas/core/error.h"
#include "ganvas/core/image.h"
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
#include <fstream>

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
                      const RunState& state) {
    CheckpointHeader header;
    header.model = model.name();
    header.options = model.options_json();
    header.state = {{"step", state.step},
                    {"epoch", state.position.epoch},
                    {"batch_in_epoch", state.position.batch},
                    {"seconds", state.seconds},
                    {"train", options.to_json()}};
    save_checkpoint(path, header, [&](torch::serialize::OutputArchive& archive) {
        model.save(archive);
        archive.write(kRngKey, cpu_rng_state(), /*is_buffer=*/true);
    });
}

void write_config(const fs::path& out, const GanModel& model, const TrainOptions& options,
                  const Placement& placement) {
    nlohmann::json config = {{"model", model.name()},
                             {"model_options", model.options_json()},
                             {"train", options.to_json()},
                             {"device", placement.device.str()},
                             {"channels_last", placement.channels_last},
                             {"threads", torch::get_num_threads()}};
    write_file_atomic(out / "config.json", config.dump(2) + "\n");
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

// The model, options and counters of a run: from the checkpoint in `out` when resuming, fresh
// otherwise. Refuses to resume nothing and to start over an existing run.
std::shared_ptr<GanModel> open_run(const TrainRequest& request, TrainOptions& options, RunState& state) {
    const fs::path out = request.train.out;
    const fs::path checkpoint_path = out / kCheckpointFile;
    std::error_code ec;
    if (!request.resume) {
        options.validate();
        if (fs::exists(checkpoint_path, ec)) {
            throw UsageError("--out " + out.string() +
                             " already holds a run; pass --resume to continue it or choose another folder");
        }
        ensure_writable_dir(out);
        torch::manual_seed(options.seed);
        auto model = request.prebuilt ? request.prebuilt : make_model(request.model, request.model_options);
        model->place(request.placement);
        return model;
    }
    if (!fs::exists(checkpoint_path, ec)) {
        throw UsageError("--resume: " + out.string() + " holds no checkpoint to resume from");
    }
    auto loaded = load_checkpoint(checkpoint_path);
    try {
        const auto& s = loaded.header.state;
        options = TrainOptions::from_json(s.at("train"));
        state.step = s.at("step").get<int64_t>();
        state.position = {s.at("epoch").get<int64_t>(), s.at("batch_in_epoch").get<int64_t>()};
        state.seconds = s.value("seconds", 0.0);
    } catch (const nlohmann::json::exception& e) {
        throw Error("checkpoint " + checkpoint_path.string() + " has no training state: " + e.what());
    }
    options.out = out;
    options.workers = request.train.workers;
    if (request.resume_steps > 0) options.steps = request.resume_steps, options.epochs = 0;
    if (request.resume_epochs > 0) options.epochs = request.resume_epochs, options.steps = 0;
    options.validate();
    auto model = load_model(loaded, request.placement);
    torch::Tensor rng;
    if (loaded.archive->try_read(kRngKey, rng, true)) set_cpu_rng_state(rng);
    spdlog::info("resuming {} from step {} ({})", model->name(), state.step, checkpoint_path.string());
    return model;
}

}  // namespace

TrainResult train(const TrainRequest& request) {
    if (request.train.out.empty()) throw UsageError("--out is required");
    TrainOptions options = request.train;
    RunState state;
    const std::shared_ptr<GanModel> model = open_run(request, options, state);
    const fs::path out = options.out;
    const fs::path checkpoint_path = out / kCheckpointFile;
    std::error_code ec;

    model->bind_data(options.data);
    auto train_files = model->data_files(options.data, Split::Train, options.split);
    if (train_files.empty()) {
        throw Error(std::string(list_images(options.data).empty() ? "no images" : "no training images") +
                    " found under " + options.data.string());
    }
    auto val_files = model->data_files(options.data, Split::Val, options.split);
    auto dataset = model->make_dataset(train_files, /*train=*/true);
    const Batch samples = make_sample_batch(*model, val_files.empty() ? train_files : val_files,
                                            options.sample_count);
    // Count examples, not files: a paired layout lists both sides of every pair.
    const size_t held_aside = val_files.empty() ? 0 : model->make_dataset(val_files, /*train=*/false)->size();
    spdlog::info("{}: {} training examples, {} held aside under {}", model->name(), dataset->size(), held_aside,
                 options.data.string());

    BatchLoader loader(dataset, {options.batch, options.seed, true, options.workers, 2}, state.position);
    const int64_t total = options.steps > 0 ? options.steps : options.epochs * loader.batches_per_epoch();
    if (!request.resume) model->prepare(*dataset);
    write_config(out, *model, options, request.placement);
    spdlog::info("{}: {} parameters, {} threads, device {}, {} steps of batch {}", model->name(),
                 model->parameter_count(), torch::get_num_threads(), request.placement.device.str(),
                 total, options.batch);

    TrainResult result;
    result.total_steps = total;
    result.checkpoint = checkpoint_path;
    LossLog log(out / "losses.csv", state.step);
    ScopedStopHandler stop_handler;
    Progress progress("train", total, state.step);
    const auto t0 = std::chrono::steady_clock::now();
    const int64_t first_step = state.step;
    std::vector<std::pair<std::string, double>> averages;
    const auto elapsed = [&] {
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    };

    while (state.step < total) {
        // One move to the device and memory format the model uses.
        Batch placed = loader.next();
        placed.input = request.placement.apply(placed.input);
        placed.target = request.placement.apply(placed.target);
        placed.label = placed.label.to(request.placement.device);
        for (auto& [name, t] : placed.extra) t = request.placement.apply(t);
        model->begin_step(state.step, total);
        const NamedValues losses = model->train_step(placed);
        for (const auto& [name, value] : losses) {
            if (!std::isfinite(value)) {
                throw Error(fmt::format(
                    "loss {} became {} at step {}; training stopped. The last good checkpoint is {}{}",
                    name, value, state.step + 1, checkpoint_path.string(),
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
        const double seconds = elapsed();
        const double ips = static_cast<double>((state.step - first_step) * options.batch) / std::max(seconds, 1e-9);
        if (state.step % options.log_every == 0 || state.step == total) {
            log.append({state.step, state.position.epoch, state.seconds + seconds, ips, {}}, losses);
        }
        progress.update(state.step, fmt::format("ep {} {:.1f} img/s |{}", state.position.epoch + 1, ips,
                                                format_losses(averages)));
        if (state.step % options.sample_every == 0 || state.step == total) {
            write_samples(out, *model, samples, state.step);
            write_run_page(out, model->name(), state.step, total);
        }
        const bool interrupted = ScopedStopHandler::stop_requested();
        const bool out_of_time = options.time_budget > 0 && seconds >= options.time_budget;
        if (state.step % options.checkpoint_every == 0 || state.step == total || interrupted || out_of_time) {
            RunState saved = state;
            saved.seconds = state.seconds + seconds;
            write_checkpoint(checkpoint_path, *model, options, saved);
        }
        if (interrupted || out_of_time) {
            result.status = interrupted ? TrainResult::Status::Interrupted : TrainResult::Status::OutOfTime;
            break;
        }
    }
    progress.finish();
    result.step = state.step;
    result.seconds = elapsed();
    result.run_seconds = state.seconds + (state.step > first_step ? result.seconds : 0.0);
    result.images_per_second =
        static_cast<double>((state.step - first_step) * options.batch) / std::max(result.seconds, 1e-9);
    result.failed_files = loader.failed_files();
    result.data_wait_seconds = loader.wait_seconds();
    if (first_step >= total) spdlog::info("the run at {} is already complete ({} steps)", out.string(), total);
    return result;
}

}  // namespace ganvas
