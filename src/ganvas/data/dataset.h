// What every training set provides to the loader: indexed examples, loaded on worker threads.
#pragma once
#include <torch/types.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace ganvas {

using NamedTensors = std::map<std::string, torch::Tensor>;

// One training example; tensors follow image.h's convention ([C, H, W], float, [0, 1]).
struct Example {
    torch::Tensor input;   // what the generator sees (a gray image, a sketch, ...)
    torch::Tensor target;  // the real image it should produce
    int64_t label = -1;    // class index, -1 when the dataset has no classes
    // Further images a model's recipe makes, by name, each [C, H, W]: "edges" (SketchyGAN: the
    // photo's edge map, the stand-in for a human sketch early in training), "style", ...
    NamedTensors extra;
};

// A stack of examples: input [N, C, H, W], target [N, 3, H, W], label [N] (int64), and each
// `extra` image that every example has, stacked under its name.
struct Batch {
    torch::Tensor input;
    torch::Tensor target;
    torch::Tensor label;
    NamedTensors extra;
    int64_t size() const { return input.defined() ? input.size(0) : 0; }
    // The extra tensor `name`, undefined when the batch has none.
    torch::Tensor get(const std::string& name) const {
        auto it = extra.find(name);
        return it == extra.end() ? torch::Tensor() : it->second;
    }
    Batch to(const torch::Device& device) const;
};

Batch collate(const std::vector<Example>& examples);

class Dataset {
public:
    virtual ~Dataset() = default;
    virtual size_t size() const = 0;
    // Loads example `index`. `seed` drives its random augmentation, so an example is the same
    // whichever thread loads it. Throws Error naming the file when it cannot be read.
    virtual Example get(size_t index, uint64_t seed) const = 0;
    // The file (or other source) behind `index`, for messages.
    virtual std::string describe(size_t index) const = 0;
};

}  // namespace ganvas
