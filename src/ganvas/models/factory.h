// Builds models by name; the one place that knows every model. Adding a model adds one case here.
#pragma once
#include "ganvas/core/checkpoint.h"
#include "ganvas/models/gan_model.h"

#include <memory>
#include <string>
#include <vector>

namespace ganvas {

enum class ModelKind { Colorizer, Pix2Pix, SketchyGan };

ModelKind parse_model_kind(const std::string& name);  // UsageError naming --model otherwise
std::vector<std::string> model_names();

// A freshly initialised model from its options (JSON; missing keys take the preset's values).
std::unique_ptr<GanModel> make_model(const std::string& name, const nlohmann::json& options);

// The model a checkpoint holds, with its weights, optimizers and statistics, placed as asked.
// Throws Error naming the checkpoint file when its payload does not fit.
std::unique_ptr<GanModel> load_model(const LoadedCheckpoint& checkpoint, const Placement& placement);

}  // namespace ganvas
