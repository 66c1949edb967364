#include "ganvas/train/train_options.h"

#include "ganvas/core/error.h"
#include "ganvas/core/options.h"
#include "ganvas/core/runtime.h"

namespace ganvas {

void TrainOptions::validate() const {
    if (data.empty()) throw UsageError("--data is required");
    if (out.empty()) throw UsageError("--out is required");
    // The checkpoint header and config.json record both paths as JSON text, which is UTF-8 only.
    if (!valid_utf8(data.string())) throw UsageError("--data: the path is not valid UTF-8; rename or link it");
    if (!valid_utf8(out.string())) throw UsageError("--out: the path is not valid UTF-8; choose another");
    if ((steps > 0) == (epochs > 0)) throw UsageError("give exactly one of --steps and --epochs (positive)");
    if (batch < 1) throw UsageError("--batch must be at least 1");
    check_count("--batch", batch, 1, int64_t{1} << 16);
    check_count("--workers", workers, 1, kMaxWorkers);
    if (log_every < 1) throw UsageError("--log-every must be at least 1");
    if (sample_every < 1) throw UsageError("--sample-every must be at least 1");
    if (checkpoint_every < 1) throw UsageError("--checkpoint-every must be at least 1");
    check_count("--samples", sample_count, 1, 256);
    check_finite("--time-budget", time_budget);
    if (time_budget < 0) throw UsageError("--time-budget must not be negative");
    check_finite("--val-ratio", split.val_ratio);
    if (split.val_ratio < 0 || split.val_ratio >= 1) throw UsageError("--val-ratio must be in [0, 1)");
}

nlohmann::json TrainOptions::to_json() const {
    return {{"data", data.string()},      {"out", out.string()},
            {"steps", steps},             {"epochs", epochs},
            {"batch", batch},             {"seed", seed},
            {"val_ratio", split.val_ratio}, {"split_seed", split.seed},
            {"workers", workers},         {"log_every", log_every},
            {"sample_every", sample_every}, {"checkpoint_every", checkpoint_every},
            {"sample_count", sample_count}, {"time_budget", time_budget}};
}

TrainOptions TrainOptions::from_json(const nlohmann::json& j) {
    TrainOptions o;
    try {
        o.data = j.at("data").get<std::string>();
        o.out = j.at("out").get<std::string>();
        o.steps = j.value("steps", o.steps);
        o.epochs = j.value("epochs", o.epochs);
        o.batch = j.value("batch", o.batch);
        o.seed = j.value("seed", o.seed);
        o.split.val_ratio = j.value("val_ratio", o.split.val_ratio);
        o.split.seed = j.value("split_seed", o.split.seed);
        o.workers = j.value("workers", o.workers);
        o.log_every = j.value("log_every", o.log_every);
        o.sample_every = j.value("sample_every", o.sample_every);
        o.checkpoint_every = j.value("checkpoint_every", o.checkpoint_every);
        o.sample_count = j.value("sample_count", o.sample_count);
        o.time_budget = j.value("time_budget", o.time_budget);
    } catch (const nlohmann::json::exception& e) {
        throw Error(std::string("training options: ") + e.what());
    }
    return o;
}

}  // namespace ganvas
