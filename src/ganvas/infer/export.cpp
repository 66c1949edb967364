#include "ganvas/infer/export.h"

#include "ganvas/core/checkpoint.h"
#include "ganvas/core/error.h"
#include "ganvas/core/sha256.h"
#include "ganvas/infer/predictor.h"
#include "ganvas/models/network_set.h"
#include "ganvas/models/registry.h"

#include <opencv2/core.hpp>

#include <algorithm>
#include <cstdlib>
#include <fstream>

namespace ganvas {
namespace fs = std::filesystem;
namespace {

// Every input the model takes, as the same generated images for both models: smooth color
// fields with strokes, so that no layer sees only constants.
ImageRequest probe_request(const ModelDescriptor& descriptor, int size) {
    ImageRequest request;
    cv::RNG rng(12345);
    for (const auto& input : descriptor.inputs) {
        cv::Mat image(size, size, CV_8UC3);
        rng.fill(image, cv::RNG::UNIFORM, 0, 256);
        request.inputs[input.name] = image;
    }
    request.seed = 7;
    return request;
}

double max_difference(const ImageResult& a, const ImageResult& b) {
    if (a.outputs.size() != b.outputs.size()) throw Error("the exported model returned other outputs than its source");
    double worst = 0;
    for (size_t i = 0; i < a.outputs.size(); ++i) {
        const cv::Mat& x = a.outputs[i].second;
        const cv::Mat& y = b.outputs[i].second;
        if (x.size() != y.size() || x.type() != y.type()) throw Error("the exported model's outputs differ in shape");
        double m = 0;
        cv::Mat diff;
        cv::absdiff(x, y, diff);
        cv::minMaxLoc(diff.reshape(1), nullptr, &m);
        worst = std::max(worst, m);
    }
    return worst;
}

}  // namespace

ExportSummary export_model(const fs::path& source, const fs::path& out, bool half, const nlohmann::json& decode) {
    const fs::path source_file = resolve_checkpoint_path(source);
    std::error_code ec;
    if (fs::exists(out, ec) && fs::equivalent(out, source_file, ec)) {
        throw UsageError("export: " + out.string() + " is the source checkpoint itself; choose another --out");
    }
    LoadedCheckpoint loaded = load_checkpoint(source_file);
    const ModelDescriptor& descriptor = model_descriptor(loaded.header.model);
    for (const auto& [key, value] : decode.items()) {
        const auto& allowed = descriptor.decode_options;
        if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
            std::string list;
            for (const auto& k : allowed) list += (list.empty() ? "" : ", ") + k;
            throw UsageError("export --set " + key + ": only how the weights are decoded may change after training (" +
                             descriptor.name + ": " + (list.empty() ? std::string("none") : list) + ")");
        }
        loaded.header.options[key] = value;
    }
    const Placement cpu{torch::kCPU, true};
    std::shared_ptr<GanModel> model = load_model(loaded, cpu);

    ExportSummary summary;
    summary.model = loaded.header.model;
    summary.step = loaded.header.state.is_object() ? loaded.header.state.value("step", int64_t{-1}) : -1;
    summary.source_bytes = fs::file_size(source_file, ec);

    CheckpointHeader header;
    header.model = loaded.header.model;
    header.options = loaded.header.options;
    header.state = {{kExportedKey,
                     {{"from", source_file.filename().string()},
                      {"from_sha256", sha256_file(source_file)},
                      {"step", summary.step},
                      {"storage", half ? "float16" : "float32"}}}};
    {
        ExportPayloadGuard guard(half ? PayloadKind::InferenceHalf : PayloadKind::Inference);
        save_checkpoint(out, header, [&](torch::serialize::OutputArchive& archive) { model->save(archive); });
    }
    summary.bytes = fs::file_size(out, ec);

    // Load the file back the way every front end will, and compare.
    std::shared_ptr<GanModel> exported = load_model(load_checkpoint(out), cpu);
    Predictor before(model), after(exported);
    const int64_t native = model->input_size();
    const int size = static_cast<int>(native > 0 ? native : before.descriptor().image_size);
    const ImageRequest probe = probe_request(before.descriptor(), size);
    summary.max_difference = max_difference(before.run(probe), after.run(probe));
    return summary;
}

std::optional<fs::path> shipped_models_dir() {
    const auto has_models = [](const fs::path& dir) {
        std::error_code ec;
        if (!fs::is_directory(dir, ec)) return false;
        for (const auto& entry : fs::directory_iterator(dir, ec)) {
            if (entry.path().extension() == ".pt") return true;
        }
        return false;
    };
    if (const char* env = std::getenv("GANVAS_MODELS"); env && *env) {
        if (!has_models(env)) throw UsageError(std::string("GANVAS_MODELS=") + env + ": no .pt model in that folder");
        return fs::path(env);
    }
    std::error_code ec;
    const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    std::vector<fs::path> candidates;
    if (!ec) {
        candidates = {exe.parent_path().parent_path() / "models", exe.parent_path() / "models",
                      exe.parent_path().parent_path() / "share" / "ganvas" / "models"};
    }
#ifdef GANVAS_SOURCE_DIR
    candidates.push_back(fs::path(GANVAS_SOURCE_DIR) / "models");
#endif
    for (const auto& dir : candidates) {
        if (has_models(dir)) return dir.lexically_normal();
    }
    return std::nullopt;
}

nlohmann::json read_models_manifest(const fs::path& dir) {
    const fs::path file = dir / "models.json";
    std::error_code ec;
    if (!fs::exists(file, ec)) return nlohmann::json::object();
    std::ifstream in(file);
    nlohmann::json manifest = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
    if (!manifest.is_object()) throw Error(file.string() + ": not a JSON object of model name -> description");
    for (const auto& [name, about] : manifest.items()) {
        if (!about.is_object()) throw Error(file.string() + ": the entry of '" + name + "' is not an object");
    }
    return manifest;
}

}  // namespace ganvas
