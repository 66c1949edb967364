// What every training set provides to the loader: indexed examples, loaded on worker threads.
#pragma once
#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace ganvas {

// One training example; tensors follow image.h's convention ([C, H, W], float, [0, 1]).
struct Example {
    torch::Tensor input;   // what the generator sees (a gray image, a sketch, ...)
    torch::Tensor target;  // the real image it should produce
    int64_t label = -1;    // class index, -1 when the dataset has no classes
    // A second rendition of the input, when the dataset makes one (SketchyGAN: an edge map of the
    // photo, the stand-in for a human sketch early in training); same shape as `input`.
    torch::Tensor alt_input;
};

// A stack of examples: input [N, C, H, W], target [N, 3, H, W], label [N] (int64), alt_input as
// input when every example has one (undefined otherwise).
struct Batch {
    torch::Tensor input;
    torch::Tensor target;
    torch::Tensor label;
    torch::Tensor alt_input;
    int64_t size() const { return input.defined() ? input.size(0) : 0; }
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
