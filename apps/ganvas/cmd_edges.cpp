// `ganvas edges` (edge maps and sketches from photos) and `ganvas eval-edges` (the BSDS500
// boundary benchmark).
#include "cli_common.h"
#include "commands.h"
#include "ganvas/core/atomic_file.h"
#include "ganvas/core/error.h"
#include "ganvas/core/progress.h"
#include "ganvas/core/runtime.h"
#include "ganvas/edges/bsds_eval.h"
#include "ganvas/edges/edge_files.h"

#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include <iostream>
#include <memory>

namespace ganvas::cli {
namespace {

struct EdgesFlags {
    RuntimeFlags runtime;
    std::vector<std::string> inputs;
    std::string out, detector = "pidinet", weights, stage = "sketch";
    EdgeFileOptions options;
    float threshold = 25.0f;
    int min_component = 5;
};

void run_edges(EdgesFlags& f) {
    apply_runtime_flags(f.runtime);
    f.options.stage = parse_edge_stage(f.stage);
    if (f.options.size < 0) throw UsageError("--size must be positive");
    check_finite("--threshold", f.threshold);
    if (f.threshold < 0 || f.threshold > 255) throw UsageError("--threshold is on the 0-255 scale");
    check_count("--size", f.options.size, 0, 8192);
    check_count("--jobs", f.options.jobs, 0, kMaxThreads);
    check_count("--min-component", f.min_component, 0, 1 << 24);
    f.options.sketch.threshold = f.threshold / 255.0f;
    f.options.sketch.min_component = f.min_component;
    const int cores = available_cores();
    if (f.options.jobs <= 0) f.options.jobs = cores;
    // Images in parallel, each network call on its share of the cores.
    torch::set_num_threads(std::max(1, (f.runtime.threads > 0 ? f.runtime.threads : cores) / f.options.jobs));
    auto detector = make_edge_detector(f.detector, f.weights);
    std::vector<std::filesystem::path> inputs(f.inputs.begin(), f.inputs.end());
    const auto jobs = plan_outputs(inputs, f.out);
    if (jobs.empty()) throw Error("no images found in the given inputs");
    Progress progress("edges", static_cast<int64_t>(jobs.size()));
    const auto summary = edge_files(*detector, jobs, f.options, [&](int64_t done) { progress.update(done); });
    progress.finish();
    spdlog::info("{}: wrote {}, kept {} existing (--force recomputes), {} failed, into {}", detector->name(),
                 summary.written, summary.skipped, summary.failures.size(), f.out);
    report_failures(summary.failures);
}

struct EvalEdgesFlags {
    std::string pred, gt, json;
    BsdsOptions options;
    bool no_nms = false, no_thin = false;
};

void run_eval_edges(EvalEdgesFlags& f) {
    f.options.nms = !f.no_nms;
    f.options.thin = !f.no_thin;
    Progress progress("eval-edges", 0);
    const auto result = evaluate_bsds(f.pred, f.gt, f.options, [&](int64_t done) { progress.update(done); });
    progress.finish();
    if (f.json == "-") {
        std::cout << result.to_json().dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
        return;
    }
    std::cout << result.table();
    if (!f.json.empty()) write_file_atomic(f.json, result.to_json().dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
}

}  // namespace

void register_edges(CLI::App& app) {
    auto flags = std::make_shared<EdgesFlags>();
    auto& f = *flags;
    auto* cmd = app.add_subcommand("edges", "edge maps and sketch-like drawings from photos (SketchyGAN's pipeline)");
    cmd->add_option("inputs", f.inputs, "image files or folders (recursive, relative paths kept)")->required();
    cmd->add_option("--out", f.out, "output folder (PNG)")->required();
    cmd->add_option("--detector", f.detector, "pidinet, hed, classic (no weights) or xdog (line art, no weights)")->capture_default_str();
    cmd->add_option("--weights", f.weights, "pidinet: table5_pidinet.pth; hed: hed_pretrained_bsds.caffemodel or its folder");
    cmd->add_option("--stage", f.stage, "probability (the detector's map), sketch (strokes) or distance (distance map)")
        ->capture_default_str();
    cmd->add_option("--size", f.options.size, "resize inputs to SIZE x SIZE first (SketchyGAN: 256)");
    cmd->add_option("--jobs", f.options.jobs, "images in parallel (default: all cores)")->check(CLI::Range(0, kMaxThreads));
    cmd->add_flag("--force", f.options.force, "recompute outputs that already exist");
    cmd->add_flag("--pairs", f.options.pairs, "write photo | edges AB images for pix2pix (--direction BtoA)");
    cmd->add_option("--threshold", f.threshold, "sketch: keep suppressed edges >= this (0-255)")->capture_default_str();
    cmd->add_option("--min-component", f.min_component, "sketch: drop strokes of fewer pixels")->capture_default_str();
    add_runtime_flags(cmd, f.runtime);
    cmd->callback([flags] { run_edges(*flags); });

    auto eflags = std::make_shared<EvalEdgesFlags>();
    auto* eval = app.add_subcommand("eval-edges", "BSDS500 boundary benchmark: ODS, OIS, AP of <id>.png edge maps");
    eval->add_option("pred", eflags->pred, "folder of predictions <id>.png (8-bit)")->required();
    eval->add_option("--gt", eflags->gt, "folder of annotations <id>_<k>.png, one per annotator")->required();
    eval->add_option("--thresholds", eflags->options.thresholds, "number of thresholds")->capture_default_str();
    eval->add_option("--max-dist", eflags->options.max_dist, "match tolerance, share of the image diagonal")
        ->capture_default_str();
    eval->add_flag("--no-nms", eflags->no_nms, "threshold the maps as given (no non-maximum suppression)");
    eval->add_flag("--no-thin", eflags->no_thin, "do not thin the thresholded maps");
    eval->add_option("--jobs", eflags->options.jobs, "images in parallel (default: all cores)")->check(CLI::Range(0, kMaxThreads));
    eval->add_option("--json", eflags->json, "also write the results as JSON to this file ('-': stdout only)");
    eval->callback([eflags] { run_eval_edges(*eflags); });
}

}  // namespace ganvas::cli
