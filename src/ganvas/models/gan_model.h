// The contract between a GAN and the trainer: a model owns its networks, optimizers and losses;
// the trainer owns the loop, schedules, logs, checkpoints, progress and signals, and knows nothing
// of any particular GAN.
#pragma once
#include "ganvas/data/dataset.h"
#include "ganvas/core/image.h"
#include "ganvas/data/image_folder.h"
#include "ganvas/nn/placement.h"

#include <nlohmann/json.hpp>
#include <torch/serialize/input-archive.h>
#include <torch/serialize/output-archive.h>

#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace ganvas {

using NamedValues = std::vector<std::pair<std::string, double>>;

struct Visual {
    std::string name;
    torch::Tensor images;  // [N, 3, H, W] in [0, 1], on CPU
};

class GanModel {
public:
    virtual ~GanModel() = default;

    virtual std::string name() const = 0;
    virtual nlohmann::json options_json() const = 0;

    // Called once with the data folder before it is listed. Models whose networks depend on the data
    // (SketchyGAN's class count) set themselves up here on a fresh run and check, on a resumed
    // one, that the data still fits; Error naming the folder otherwise.
    virtual void bind_data(const std::filesystem::path& root) {}
    // The files of `split` under `root`, one per example, as make_dataset reads them. Default: every
    // image, split by hash (image_folder.h).
    virtual std::vector<std::filesystem::path> data_files(const std::filesystem::path& root, Split split,
                                                          const SplitOptions& options) const {
        return select_split(list_images(root), root, split, options);
    }
    // The model's data recipe on a list of files: augmentation only when `train`.
    virtual std::shared_ptr<Dataset> make_dataset(std::vector<std::filesystem::path> files,
                                                  bool train) const = 0;
    // Statistics the model keeps from its training set; called once, before the first step.
    virtual void prepare(const Dataset& train_set) {}

    virtual void place(const Placement& placement) = 0;
    virtual const Placement& placement() const = 0;

    // Called before every step with the run's progress (schedules live in the model).
    virtual void begin_step(int64_t step, int64_t total_steps) {}
    // One optimization step of every network; `batch` is already placed. Returns named losses.
    virtual NamedValues train_step(const Batch& batch) = 0;
    // Images to look at side by side (no gradients, inference mode).
    virtual std::vector<Visual> visuals(const Batch& batch) = 0;
    // Scales every optimizer's base learning rate (for schedules).
    virtual void set_lr_scale(double scale) = 0;

    // Inference, the one entry point of `ganvas translate`: input images [N, 3, H, W] in [0, 1]
    // (any device) -> output images [N, 3, H', W'] in [0, 1] on CPU.
    virtual torch::Tensor translate(const torch::Tensor& input) = 0;
    // The side inputs are resized to before translate() (0: any size is fine).
    virtual int64_t translate_size() const { return 0; }
    // Class-conditional models: their classes (index = label), and translation for given labels
    // ([N] int64). Others have no classes and ignore labels.
    virtual std::vector<std::string> class_names() const { return {}; }
    virtual torch::Tensor translate_labeled(const torch::Tensor& input, const torch::Tensor& labels) {
        return translate(input);
    }
    // Models with an auxiliary classifier: class logits [N, classes] of images in [0, 1]
    // (undefined tensor when the model has none).
    virtual torch::Tensor classify(const torch::Tensor& images) { return {}; }

    virtual void save(torch::serialize::OutputArchive& archive) const = 0;
    virtual void load(torch::serialize::InputArchive& archive) = 0;
    virtual int64_t parameter_count() const = 0;
};

}  // namespace ganvas
