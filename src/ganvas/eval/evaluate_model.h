// `ganvas eval` for any model: the metric set its descriptor names (registry.h), run on the
// held-aside files, as a table for people and JSON for programs.
#pragma once
#include "ganvas/eval/evaluate.h"
#include "ganvas/eval/paired_eval.h"
#include "ganvas/models/registry.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace ganvas {

struct ModelEvalOptions {
    int64_t size = 0;   // evaluation size; 0: the metric set's default (the training size)
    int64_t limit = 0;  // at most this many images; 0 = all
    int64_t batch = 16; // colorization: images per forward pass
    // Example outputs to look at: paired models write input | output | target rows and the metrics
    // as DIR/index.html (images/ beside it); colorization models the first `examples` images as
    // DIR/<n>_{gray,output,truth}.png.
    std::filesystem::path html_dir;
    int64_t examples = 8;
    uint64_t seed = 0;                   // paired: the generator's dropout / noise
    int64_t diversity = 0;               // paired: samples per input for the diversity score
    // KID and FID on VGG-19 features (realism.h) from these weights; empty: not computed.
    std::filesystem::path realism_vgg;
    // The standard FID, KID and Inception Score from pytorch-fid's Inception weights (nn/inception.h).
    std::filesystem::path realism_inception;
    // Request parameters (the descriptor's `parameters`) for every inference call.
    nlohmann::json parameters = nlohmann::json::object();
};

struct ModelEvaluation {
    MetricSet metrics = MetricSet::Paired;
    nlohmann::json json;  // what --json writes
    std::string table;    // what a person reads
};

// `files` as model.data_files() lists them. UsageError naming the option when the model's metric
// set has no use for it (--diversity on a colorization model).
ModelEvaluation evaluate_model(GanModel& model, const std::vector<std::filesystem::path>& files,
                               const ModelEvalOptions& options);

}  // namespace ganvas
