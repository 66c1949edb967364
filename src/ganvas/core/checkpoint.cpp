#include "ganvas/core/checkpoint.h"

#include "ganvas/core/atomic_file.h"
#include "ganvas/core/error.h"

#include <cmath>
#include <optional>
#include <sstream>

namespace ganvas {
namespace fs = std::filesystem;

namespace {
constexpr const char* kFormatKey = "ganvas.format";
constexpr const char* kModelKey = "ganvas.model";
constexpr const char* kOptionsKey = "ganvas.options";
constexpr const char* kStateKey = "ganvas.state";

std::string read_string(torch::serialize::InputArchive& archive, const char* key,
                        const fs::path& path) {
    c10::IValue value;
    if (!archive.try_read(key, value) || !value.isString()) {
        throw Error("checkpoint " + path.string() + " is not a ganvas checkpoint (no '" + key +
                    "')");
    }
    return value.toStringRef();
}
}  // namespace

fs::path resolve_checkpoint_path(const fs::path& path) {
    std::error_code ec;
    return fs::is_directory(path, ec) ? path / kCheckpointFile : path;
}

void save_checkpoint(const fs::path& path, const CheckpointHeader& header,
                     const std::function<void(torch::serialize::OutputArchive&)>& write_payload) {
    torch::serialize::OutputArchive archive;
    archive.write(kFormatKey, c10::IValue(CheckpointHeader::kFormatVersion));
    archive.write(kModelKey, c10::IValue(header.model));
    archive.write(kOptionsKey, c10::IValue(header.options.dump()));
    archive.write(kStateKey, c10::IValue(header.state.dump()));
    write_payload(archive);
    std::ostringstream bytes;
    archive.save_to(bytes);
    write_file_atomic(path, bytes.str());
}

namespace {
LoadedCheckpoint read_header(LoadedCheckpoint loaded, const std::string& expected_model);
}  // namespace

LoadedCheckpoint load_checkpoint(const fs::path& given, const std::string& expected_model) {
    LoadedCheckpoint loaded;
    loaded.path = resolve_checkpoint_path(given);
    const fs::path& path = loaded.path;
    std::error_code ec;
    if (!fs::is_regular_file(path, ec)) throw Error("checkpoint " + path.string() + " not found");
    loaded.archive = std::make_shared<torch::serialize::InputArchive>();
    try {
        loaded.archive->load_from(path.string());
    } catch (const c10::Error& e) {
        throw Error("checkpoint " + path.string() + " is truncated, corrupt or not a checkpoint");
    }
    return read_header(std::move(loaded), expected_model);
}

LoadedCheckpoint load_checkpoint_bytes(const std::string& bytes, const fs::path& path,
                                       const std::string& expected_model) {
    LoadedCheckpoint loaded;
    loaded.path = path;
    loaded.archive = std::make_shared<torch::serialize::InputArchive>();
    try {
        loaded.archive->load_from(bytes.data(), bytes.size());
    } catch (const c10::Error& e) {
        throw Error("checkpoint " + path.string() + " is truncated, corrupt or not a checkpoint");
    }
    return read_header(std::move(loaded), expected_model);
}

namespace {
LoadedCheckpoint read_header(LoadedCheckpoint loaded, const std::string& expected_model) {
    const fs::path& path = loaded.path;
    c10::IValue format;
    if (!loaded.archive->try_read(kFormatKey, format) || !format.isInt()) {
        throw Error("checkpoint " + path.string() + " is not a ganvas checkpoint");
    }
    if (format.toInt() > CheckpointHeader::kFormatVersion) {
        throw Error("checkpoint " + path.string() + " has format " +
                    std::to_string(format.toInt()) + ", newer than this ganvas reads (" +
                    std::to_string(CheckpointHeader::kFormatVersion) + ")");
    }
    loaded.header.model = read_string(*loaded.archive, kModelKey, path);
    try {
        loaded.header.options = nlohmann::json::parse(read_string(*loaded.archive, kOptionsKey, path));
        loaded.header.state = nlohmann::json::parse(read_string(*loaded.archive, kStateKey, path));
    } catch (const nlohmann::json::exception& e) {
        throw Error("checkpoint " + path.string() + " has a corrupt header: " + e.what());
    }
    if (!expected_model.empty() && loaded.header.model != expected_model) {
        throw Error("checkpoint " + path.string() + " holds a '" + loaded.header.model +
                    "' model, not a '" + expected_model + "' model");
    }
    return loaded;
}
}  // namespace

namespace {
// An integer field of a header, or `fallback` when absent. A JSON number written as a float is
// refused: converting 3.8e49 to int64_t is undefined behaviour, not an error nlohmann reports.
int64_t integer_field(const nlohmann::json& j, const char* key, std::optional<int64_t> fallback = std::nullopt) {
    const auto it = j.find(key);
    if (it == j.end()) {
        if (fallback) return *fallback;
        throw Error(std::string("no ") + key);
    }
    if (!it->is_number_integer()) throw Error(std::string(key) + " is not an integer");
    return it->get<int64_t>();
}
}  // namespace

TrainingState read_training_state(const CheckpointHeader& header, const fs::path& path) {
    TrainingState t;
    const auto& s = header.state;
    if (s.is_object() && s.contains("exported")) {  // infer/export.h's kExportedKey
        throw Error("checkpoint " + path.string() + " is an exported model (`ganvas export`: the networks inference "
                    "needs, no discriminator or optimizer state): it cannot resume training; resume from the run's "
                    "own checkpoint");
    }
    try {
        t.train = s.at("train");
        if (!t.train.is_object()) throw Error("its training options are not an object");
        t.step = integer_field(s, "step");
        t.epoch = integer_field(s, "epoch");
        if (s.contains("examples_in_epoch")) {
            t.examples_in_epoch = integer_field(s, "examples_in_epoch");
        } else {  // written before positions were counted in examples
            const int64_t batch = integer_field(t.train, "batch", 0), in_epoch = integer_field(s, "batch_in_epoch");
            if (batch < 1 || batch > (int64_t{1} << 16) || in_epoch < 0 || in_epoch > (int64_t{1} << 40)) {
                throw Error("impossible batch_in_epoch");
            }
            t.examples_in_epoch = in_epoch * batch;
        }
        const int64_t world_size = integer_field(s, "world_size", 1);
        if (world_size < 1 || world_size > (int64_t{1} << 20)) throw Error("impossible world_size");
        t.world_size = static_cast<int>(world_size);
        t.seconds = s.value("seconds", 0.0);
    } catch (const nlohmann::json::exception& e) {
        throw Error("checkpoint " + path.string() + " has no valid training state: " + e.what());
    } catch (const Error& e) {
        throw Error("checkpoint " + path.string() + " has no valid training state: " + e.what());
    }
    if (t.step < 0 || t.epoch < 0 || t.examples_in_epoch < 0 || t.world_size < 1 || !std::isfinite(t.seconds) ||
        t.seconds < 0) {
        throw Error("checkpoint " + path.string() + " has an impossible training state (negative counters)");
    }
    constexpr int64_t kMaxCounter = int64_t{1} << 40;  // far past any run; small enough for arithmetic
    if (t.step > kMaxCounter || t.epoch > kMaxCounter || t.examples_in_epoch > kMaxCounter || t.world_size > 65536 ||
        t.seconds > 1e12) {
        throw Error("checkpoint " + path.string() + " has an impossible training state (counters out of range)");
    }
    return t;
}

}  // namespace ganvas
