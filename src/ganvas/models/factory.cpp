#include "ganvas/models/factory.h"

#include "ganvas/core/error.h"
#include "ganvas/models/colorizer/colorizer_model.h"
#include "ganvas/models/pix2pix/pix2pix_model.h"
#include "ganvas/models/sketchygan/sketchygan_model.h"

namespace ganvas {

ModelKind parse_model_kind(const std::string& name) {
    if (name == ColorizerModel::kName) return ModelKind::Colorizer;
    if (name == Pix2PixModel::kName) return ModelKind::Pix2Pix;
    if (name == SketchyGanModel::kName) return ModelKind::SketchyGan;
    std::string known;
    for (const auto& n : model_names()) known += (known.empty() ? "" : ", ") + n;
    throw UsageError("--model: '" + name + "' is not a model (known: " + known + ")");
}

std::vector<std::string> model_names() { return {ColorizerModel::kName, Pix2PixModel::kName, SketchyGanModel::kName}; }

std::unique_ptr<GanModel> make_model(const std::string& name, const nlohmann::json& options) {
    switch (parse_model_kind(name)) {
        case ModelKind::Colorizer:
            return std::make_unique<ColorizerModel>(ColorizerOptions::from_json(options));
        case ModelKind::Pix2Pix:
            return std::make_unique<Pix2PixModel>(Pix2PixOptions::from_json(options));
        case ModelKind::SketchyGan:
            return std::make_unique<SketchyGanModel>(SketchyGanOptions::from_json(options));
    }
    throw UsageError("--model: unhandled model " + name);
}

std::unique_ptr<GanModel> load_model(const LoadedCheckpoint& checkpoint, const Placement& placement) {
    std::unique_ptr<GanModel> model;
    try {
        model = make_model(checkpoint.header.model, checkpoint.header.options);
    } catch (const UsageError& e) {
        throw Error("checkpoint " + checkpoint.path.string() + " has invalid options: " + e.what());
    }
    try {
        model->load(*checkpoint.archive);
    } catch (const c10::Error& e) {
        throw Error("checkpoint " + checkpoint.path.string() + " does not fit a " +
                    checkpoint.header.model + " model: " + e.what_without_backtrace());
    }
    model->place(placement);
    return model;
}

}  // namespace ganvas
