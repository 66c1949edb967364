// conv2d for any module of the project: LibTorch's dispatch, except where that dispatch is known
// to be slow on CPU. LibTorch 1.13 sends a batch-1 convolution of a small map (N*C*H*W <= 20480)
// with a 3x3 or smaller kernel to its unblocked im2col path, several times slower than oneDNN on
// channels-last maps (a SketchyGAN generator's 8x8 and 4x4 levels when it translates one sketch).
// Without autograd, oneDNN is called directly there. In training, a 3x3 stride-1 convolution of a
// channels-last map wide and large enough for it to pay runs by Winograd F(4x4, 3x3)
// (winograd_conv.h: winograd3x3_fits and winograd3x3_pays); the rest
// keeps LibTorch's dispatch.
#pragma once
#include <torch/types.h>

#include <utility>

namespace ganvas {

torch::Tensor conv2d(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias, int64_t stride,
                     int64_t padding);

// {conv2d(x, weight1, bias1, 1, padding), conv2d(x, weight2, bias2, 1, padding)}: two stride-1
// convolutions of one input (an MRU's mask and mix). Where both would take the Winograd path they
// run as one (winograd3x3_conv2d_pair: the input transformed once per pass, one input gradient);
// otherwise each as conv2d, so inference gives exactly conv2d's bits.
std::pair<torch::Tensor, torch::Tensor> conv2d_pair(const torch::Tensor& x, const torch::Tensor& weight1,
                                                    const torch::Tensor& bias1, const torch::Tensor& weight2,
                                                    const torch::Tensor& bias2, int64_t padding);

// Within its scope (on this thread), conv2d takes the training paths even where autograd records
// nothing: for a frozen network evaluated inside a training step (style2paints' style encoder),
// whose output feeds the step and never a served result. Never used around inference: a served
// model must give the same bits to concurrent and serial requests.
class TrainingConvolutions {
public:
    TrainingConvolutions();
    ~TrainingConvolutions();
    TrainingConvolutions(const TrainingConvolutions&) = delete;
    TrainingConvolutions& operator=(const TrainingConvolutions&) = delete;

private:
    bool previous_;
};

}  // namespace ganvas
