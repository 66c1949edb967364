// Moving networks and their optimizer state between devices and memory formats.
//
// On CPU, oneDNN runs 3x3 convolutions ~1.7x faster on channels-last (NHWC) tensors than on NCHW
// (docs/RESULTS.md); parameters, optimizer moments and inputs are therefore kept channels-last.
#pragma once
#include <torch/nn/module.h>
#include <torch/optim/adam.h>

namespace ganvas {

struct Placement {
    torch::Device device = torch::kCPU;
    bool channels_last = true;
    torch::MemoryFormat memory_format() const {
        return channels_last ? torch::MemoryFormat::ChannelsLast : torch::MemoryFormat::Contiguous;
    }
    // A 4-D tensor on this device in this memory format; other tensors only moved.
    torch::Tensor apply(const torch::Tensor& t) const;
};

// t.contiguous(format), and for a one-channel map also channels-last strides: such a map is both
// layouts at once, but LibTorch reads NCHW strides as NCHW, so concatenated with a channels-last
// map (an MRU's input, a U-Net's skip) or convolved with a one-channel weight it would turn the
// result NCHW and every convolution after it would copy. Same memory, no copy.
torch::Tensor in_memory_format(const torch::Tensor& t, torch::MemoryFormat format);

// Moves every parameter and buffer in place (identity kept, so optimizers stay valid).
void place_module(torch::nn::Module& module, const Placement& placement);

// Moves Adam's moment estimates to match their parameters.
void place_adam_state(torch::optim::Adam& optimizer, const Placement& placement);

// DCGAN initialisation: conv weights ~ N(0, 0.02), batch-norm weights ~ N(1, 0.02), biases 0.
void init_dcgan_weights(torch::nn::Module& module);

int64_t count_parameters(const torch::nn::Module& module);

}  // namespace ganvas
