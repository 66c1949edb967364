#include "ganvas/demo/demo.h"

#include "ganvas/core/checkpoint.h"
#include "ganvas/core/error.h"
#include "ganvas/core/image.h"
#include "ganvas/core/progress.h"
#include "ganvas/data/synth.h"
#include "ganvas/demo/drawings.h"
#include "ganvas/infer/export.h"
#include "ganvas/infer/predictor.h"
#include "ganvas/eval/evaluate.h"
#include "ganvas/eval/html_report.h"
#include "ganvas/models/registry.h"
#include "ganvas/train/run_page.h"
#include "ganvas/train/trainer.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <iostream>
#include <map>

namespace ganvas {
namespace fs = std::filesystem;
namespace {

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
                       row("mean chroma", e.baseline("mean chroma")),
                       {"truth", "-", "-", fmt::format("{:.1f}", e.truth_colorfulness)}});
}

// What a shipped model is shown on: inputs drawn by demo/drawings.h, by models.json's "example".
struct Example {
    std::string label;
    std::map<std::string, cv::Mat> inputs;
};

std::vector<Example> examples_for(const std::string& kind, const ModelDescriptor& d) {
    std::vector<Example> out;
    const std::string main = d.main_input().name;
    for (uint64_t i = 0; i < 4; ++i) {
        if (kind == "shoe-sketch") out.push_back({"drawn shoe " + std::to_string(i + 1), {{main, draw_shoe_sketch(i)}}});
        if (kind == "gray-face") out.push_back({"drawn face " + std::to_string(i + 1), {{main, draw_gray_face(i)}}});
        if (kind == "line-art") {
            Example e{"line art " + std::to_string(i + 1), {{main, draw_line_art(i)}}};
            for (const auto& input : d.inputs) {
                if (input.name != main) e.inputs[input.name] = draw_style_image(i);
            }
            out.push_back(std::move(e));
        }
    }
    return out;
}

// Every shipped model (models/) at work on drawn inputs: each input, then three seeds' outputs.
std::string shipped_section(const fs::path& out, const Placement& placement) {
    const auto dir = shipped_models_dir();
    if (!dir) return "<p>No shipped models found (models/ or $GANVAS_MODELS).</p>";
    const nlohmann::json manifest = read_models_manifest(*dir);
    std::string html = fmt::format("<p>The models shipped in <code>{}</code> (trained on real data; "
                                   "models/README.md says how), on inputs this demo draws itself.</p>",
                                   html_escape(dir->string()));
    fs::create_directories(out / "shipped");
    for (const auto& [name, about] : manifest.items()) {
        const fs::path file = *dir / (name + ".pt");
        std::error_code ec;
        if (!fs::exists(file, ec)) continue;
        Predictor predictor(load_model(load_checkpoint(file), placement));
        const auto examples = examples_for(about.value("example", ""), predictor.descriptor());
        if (examples.empty()) continue;
        std::vector<std::string> headers;
        for (const auto& [input, image] : examples.front().inputs) headers.push_back(input);
        for (int seed = 1; seed <= 3; ++seed) headers.push_back("seed " + std::to_string(seed));
        std::vector<std::vector<std::string>> rows;
        for (size_t i = 0; i < examples.size(); ++i) {
            std::vector<std::string> row;
            for (const auto& [input, image] : examples[i].inputs) {
                const std::string rel = fmt::format("shipped/{}_{}_{}.png", name, i, input);
                write_image_rgb(out / rel, image);
                row.push_back(rel);
            }
            for (int seed = 1; seed <= 3; ++seed) {
                ImageRequest request;
                request.inputs = examples[i].inputs;
                request.seed = static_cast<uint64_t>(seed);
                const ImageResult result = predictor.run(request);
                const std::string rel = fmt::format("shipped/{}_{}_seed{}.png", name, i, seed);
                write_image_rgb(out / rel, result.outputs.front().second);
                row.push_back(rel);
            }
            rows.push_back(std::move(row));
        }
        html += fmt::format("<h3>{} <small>(<code>{}</code>, {})</small></h3><p>{}</p>", html_escape(about.value("title", name)),
                            html_escape(name), html_escape(predictor.descriptor().name), html_escape(about.value("summary", "")));
        html += html_image_table(headers, rows);
        spdlog::info("demo: shipped model {} on {} drawn inputs", name, examples.size());
    }
    return html;
}

}  // namespace

fs::path run_demo(const DemoOptions& f, const Placement& placement) {
    const fs::path out = f.out;
    const fs::path train_dir = out / "data" / "train", test_dir = out / "data" / "test";
    const fs::path run_dir = out / "run", examples = out / "examples";
    synth(train_dir, f.count, 1);
    synth(test_dir, f.test_count, 2);

    TrainRequest request;
    request.model = "colorizer";
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

    auto model = load_model(load_checkpoint(run_dir, "colorizer"), placement);
    EvalOptions eval_options;
    eval_options.examples_dir = examples;
    eval_options.examples = 12;
    const auto evaluation =
        evaluate_colorization(*model, list_images(test_dir), eval_options);
    std::cout << evaluation.table();

    std::vector<std::vector<std::string>> rows;
    for (int i = 0; i < eval_options.examples; ++i) {
        const std::string stem = fmt::format("examples/{:03d}", i);
        rows.push_back({stem + "_gray.png", stem + "_output.png", stem + "_truth.png"});
    }
    std::string body = "<h2>The shipped models</h2>" + shipped_section(out, placement);
    body += "<h2>The engine: a colorizer trained here, now</h2>";
    body += fmt::format(
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
    write_html_page(page, "ganvas demo", body);
    return fs::absolute(page);
}


}  // namespace ganvas
