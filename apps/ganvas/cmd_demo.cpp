// `ganvas demo`: synthetic data -> a short training run -> colorized held-out images -> evaluation
// -> one HTML page.
#include "cli_common.h"
#include "commands.h"
#include "ganvas/core/checkpoint.h"
#include "ganvas/core/error.h"
#include "ganvas/core/image.h"
#include "ganvas/core/progress.h"
#include "ganvas/data/synth.h"
#include "ganvas/eval/evaluate.h"
#include "ganvas/eval/html_report.h"
#include "ganvas/models/factory.h"
#include "ganvas/train/run_page.h"
#include "ganvas/train/trainer.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <iostream>
#include <memory>

namespace ganvas::cli {
namespace fs = std::filesystem;
namespace {

struct DemoFlags {
    RuntimeFlags runtime;
    std::string out = "demo-out";
    int64_t steps = 600;         // at most
    double time_budget = 150.0;  // seconds of training
    int64_t count = 2000;
    int64_t test_count = 200;
    int64_t batch = 16;
    std::vector<int64_t> widths{16, 32, 64, 128};
    double lr = 4e-4;
};

void synth(const fs::path& dir, int64_t count, uint64_t seed) {
    std::error_code ec;
    if (fs::exists(dir / fmt::format("synth_{:06d}.png", count - 1), ec)) return;  // already there
    Progress progress("synth " + dir.filename().string(), count);
    write_synth_dataset(dir, count, 64, seed, [&](int64_t done) { progress.update(done); });
    progress.finish();
}

std::string metrics_html(const ColorizerEvaluation& e) {
    const auto row = [](const char* name, const MetricMeans& m) {
        return std::vector<std::string>{name, fmt::format("{:.2f}", m.psnr), fmt::format("{:.4f}", m.ssim),
                                        fmt::format("{:.1f}", m.colorfulness)};
    };
    return html_table({{"", "PSNR dB", "SSIM", "colorfulness"},
                       row("model", e.model),
                       row("gray input", e.gray),
                       row("mean chroma", e.mean_chroma),
                       {"truth", "-", "-", fmt::format("{:.1f}", e.truth_colorfulness)}});
}

void run(const DemoFlags& f) {
    const Placement placement = apply_runtime_flags(f.runtime);
    const fs::path out = f.out;
    const fs::path train_dir = out / "data" / "train", test_dir = out / "data" / "test";
    const fs::path run_dir = out / "run", examples = out / "examples";
    synth(train_dir, f.count, 1);
    synth(test_dir, f.test_count, 2);

    TrainRequest request;
    request.model = ColorizerModel::kName;
    // A 4x narrower generator than the default, so that the run fits the demo's time budget.
    // and a higher learning rate than the default 1e-4, so that it converges within it.
    request.model_options = {{"preset", "default"}, {"widths", f.widths}, {"lr", f.lr}};
    request.placement = placement;
    request.train.data = train_dir;
    request.train.out = run_dir;
    request.train.steps = f.steps;
    request.train.time_budget = f.time_budget;
    request.train.batch = f.batch;
    request.train.log_every = 5;
    request.train.sample_every = 50;
    request.train.checkpoint_every = 100;
    std::error_code ec;
    request.resume = fs::exists(run_dir / kCheckpointFile, ec);
    const TrainResult trained = train(request);
    spdlog::info("trained {} steps in {:.0f} s", trained.step, trained.run_seconds);

    auto model = load_model(load_checkpoint(run_dir, ColorizerModel::kName), placement);
    EvalOptions eval_options;
    eval_options.examples_dir = examples;
    eval_options.examples = 12;
    const auto evaluation =
        evaluate_colorizer(static_cast<ColorizerModel&>(*model), list_images(test_dir), eval_options);
    std::cout << evaluation.table();

    std::vector<std::vector<std::string>> rows;
    for (int i = 0; i < eval_options.examples; ++i) {
        const std::string stem = fmt::format("examples/{:03d}", i);
        rows.push_back({stem + "_gray.png", stem + "_output.png", stem + "_truth.png"});
    }
    std::string body = fmt::format(
        "<p>The face-colorization GAN (Li Ju 2018, ganvas default recipe with generator widths {} and learning rate {:g}) trained for {} steps of batch {} "
        "({:.0f} s, {:.1f} images/s) on {} synthetic images, shown on held-out images it never saw. "
        "Shapes and textures carry their color class; brightness does not.</p>",
        fmt::join(f.widths, "-"), f.lr, trained.step, f.batch, trained.run_seconds,
        static_cast<double>(trained.step * f.batch) / std::max(trained.run_seconds, 1e-9), f.count);
    body += "<h2>Held-out images: gray input, output, truth</h2>" +
            html_image_table({"gray input", "ganvas output", "truth"}, rows);
    body += fmt::format("<h2>Metrics on {} held-out images</h2>", evaluation.images) + metrics_html(evaluation);
    body += "<p>SSIM: 7&times;7 uniform window, K1 0.01, K2 0.03, mean of R, G, B (skimage defaults); "
            "colorfulness: Hasler &amp; S&uuml;sstrunk 2003.</p>";
    body += "<h2>Losses</h2>" + loss_plots_html(run_dir / "losses.csv");
    body += "<h2>Training samples (validation images: gray, output, truth)</h2>"
            "<img src=\"run/samples/latest.png\" style=\"image-rendering:pixelated;width:384px\">";
    const fs::path page = out / "index.html";
    write_html_page(page, "ganvas demo: colorization", body);
    std::cout << "demo page: " << fs::absolute(page).string() << "\n";
}

}  // namespace

void register_demo(CLI::App& app) {
    auto flags = std::make_shared<DemoFlags>();
    auto* cmd = app.add_subcommand("demo", "train the colorizer on synthetic data and write an HTML page");
    cmd->add_option("--out", flags->out, "demo folder")->capture_default_str();
    cmd->add_option("--steps", flags->steps, "training steps at most")->capture_default_str();
    cmd->add_option("--time-budget", flags->time_budget, "seconds of training at most")->capture_default_str();
    cmd->add_option("--count", flags->count, "synthetic training images")->capture_default_str();
    cmd->add_option("--widths", flags->widths, "generator widths")->expected(4)->capture_default_str();
    cmd->add_option("--lr", flags->lr, "Adam learning rate")->capture_default_str();
    cmd->add_option("--test-count", flags->test_count, "synthetic held-out images")->capture_default_str();
    add_runtime_flags(cmd, flags->runtime);
    cmd->callback([flags] { run(*flags); });
}

}  // namespace ganvas::cli
