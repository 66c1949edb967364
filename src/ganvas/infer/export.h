// Exported models: a training checkpoint reduced to what inference needs (the generator and any
// fixed encoder; no discriminator, no optimizer moments), optionally stored as float16, for
// shipping (models/) and serving. An export loads wherever a checkpoint does (translate, colorize,
// eval, serve) and refuses to resume training.
#pragma once
#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace ganvas {

// An exported model's header state holds this key (what it was exported from) instead of the
// trainer's counters (core/checkpoint.cpp refuses to resume from it).
inline constexpr const char* kExportedKey = "exported";

struct ExportSummary {
    std::string model;
    int64_t step = -1;           // the training step the source checkpoint was written at
    std::uintmax_t source_bytes = 0, bytes = 0;
    double max_difference = 0;   // largest 8-bit difference between source and export outputs
};

// Writes `out` atomically from the checkpoint (file or run folder) at `source`, then loads it back
// and runs both on the same generated inputs and seed; `max_difference` is what half precision
// changed (0 for float32). `decode` sets options of the descriptor's decode_options (how the
// weights are decoded, not what they are) in the export; the comparison then runs the source with
// them too. Throws Error naming the file when the source is no checkpoint or `out` would overwrite
// it, UsageError naming the key when `decode` holds another option.
ExportSummary export_model(const std::filesystem::path& source, const std::filesystem::path& out, bool half,
                           const nlohmann::json& decode = nlohmann::json::object());

// The folder of the shipped models (models/ in the repository): $GANVAS_MODELS when set, else
// models/ above or beside the executable (build/ganvas finds the source tree's), else the source
// tree this binary was built from; nullopt when none holds a .pt file.
std::optional<std::filesystem::path> shipped_models_dir();

// models.json in `dir`: model name -> {"title", "summary", "example"} for people and the demo;
// an empty object when the file is absent, Error naming it when it is not such an object.
nlohmann::json read_models_manifest(const std::filesystem::path& dir);

}  // namespace ganvas
