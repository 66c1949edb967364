// The networks and optimizers of a model as one set: saved, loaded, placed and counted together,
// each under its checkpoint key, so that a model writes none of that plumbing itself.
#pragma once
#include "ganvas/nn/optimizer.h"
#include "ganvas/nn/placement.h"

#include <torch/nn/module.h>
#include <torch/serialize/input-archive.h>
#include <torch/serialize/output-archive.h>

#include <functional>
#include <string>
#include <vector>

namespace ganvas {

// What NetworkSet::save writes: everything a run resumes from (networks, optimizers), or only what
// inference needs (an exported model: no discriminator, no optimizer moments), its floating-point
// tensors stored as float32 or float16. The payload names its kind; load() reads any kind.
enum class PayloadKind { Training = 0, Inference = 1, InferenceHalf = 2 };

// While one lives, NetworkSet::save on this thread writes `kind` (ganvas export); like
// torch::NoGradGuard, it leaves every model's own save() as it is.
class ExportPayloadGuard {
public:
    explicit ExportPayloadGuard(PayloadKind kind);
    ~ExportPayloadGuard();
    ExportPayloadGuard(const ExportPayloadGuard&) = delete;
    ExportPayloadGuard& operator=(const ExportPayloadGuard&) = delete;

private:
    PayloadKind previous_;
};

// Whether a network is part of an exported model: a discriminator is only used in training.
enum class NetworkUse { Always, TrainingOnly };

class NetworkSet {
public:
    // The set keeps references: the model owns the networks and optimizers and re-adds them (after
    // clear()) whenever it rebuilds them.
    void add_network(const std::string& key, torch::nn::Module& network, bool trained = true,
                     NetworkUse use = NetworkUse::Always);
    // A fixed network that is part of the model (a style encoder): saved, loaded and placed with
    // the others, always in eval mode, not trained and not counted.
    void add_frozen(const std::string& key, torch::nn::Module& network);
    void add_optimizer(const std::string& key, Optimizer& optimizer);
    void clear();

    // Networks under their keys as sub-archives; optimizers as Optimizer::save writes them.
    void save(torch::serialize::OutputArchive& archive) const;
    // Throws Error when a network's tensor is missing or of another shape.
    void load(torch::serialize::InputArchive& archive);
    // The kind of the payload last loaded (Training for a fresh set): an exported model cannot
    // resume training.
    PayloadKind loaded_kind() const { return loaded_kind_; }
    // Networks first, then the optimizers' moments, which follow their parameters.
    void place(const Placement& placement);
    // Training mode for every network (inside a step) or eval mode (everywhere else).
    void set_training(bool training);
    // Parameters of the trained networks (helpers such as a fixed VGG are added with trained = false).
    int64_t parameter_count() const;

private:
    struct Network {
        std::string key;
        torch::nn::Module* module;
        bool trained;
        bool saved;
        NetworkUse use;
    };
    std::vector<Network> networks_;
    std::vector<std::pair<std::string, Optimizer*>> optimizers_;
    PayloadKind loaded_kind_ = PayloadKind::Training;
};

// Training mode for the set's networks for the lifetime of the guard (a train step), eval after.
class TrainingModeGuard {
public:
    explicit TrainingModeGuard(NetworkSet& set) : set_(set) { set_.set_training(true); }
    ~TrainingModeGuard() { set_.set_training(false); }
    TrainingModeGuard(const TrainingModeGuard&) = delete;
    TrainingModeGuard& operator=(const TrainingModeGuard&) = delete;

private:
    NetworkSet& set_;
};

}  // namespace ganvas
