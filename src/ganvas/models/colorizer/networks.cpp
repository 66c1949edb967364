#include "ganvas/models/colorizer/networks.h"

#include "ganvas/core/color.h"
#include "ganvas/nn/inference_context.h"

#include <torch/torch.h>

namespace ganvas {
namespace nn = torch::nn;

namespace {
nn::Sequential conv_bn_relu(int64_t in, int64_t out) {
    return nn::Sequential(nn::Conv2d(nn::Conv2dOptions(in, out, 3).padding(1).bias(false)),
                          ContextBatchNorm2d(out), nn::ReLU(nn::ReLUOptions(true)));
}
}  // namespace

ColorizerGeneratorImpl::ColorizerGeneratorImpl(std::vector<int64_t> widths, ColorOutput output)
    : output_(output) {
    TORCH_CHECK(widths.size() == 4, "the colorizer generator needs 4 widths");
    block1 = register_module("block1", conv_bn_relu(3, widths[0]));
    block2 = register_module("block2", conv_bn_relu(widths[0], widths[1]));
    block3 = register_module("block3", conv_bn_relu(widths[1], widths[2]));
    block4 = register_module("block4", conv_bn_relu(widths[2], widths[3]));
    block5 = register_module("block5", nn::Sequential(nn::Conv2d(nn::Conv2dOptions(widths[3], 3, 3).padding(1)),
                                                      nn::Sigmoid()));
}

torch::Tensor ColorizerGeneratorImpl::raw_rgb(const torch::Tensor& gray) {
    TORCH_CHECK(gray.dim() == 4 && gray.size(1) == 3, "generator input must be [N, 3, H, W], got ",
                gray.sizes());
    return block5->forward(block4->forward(block3->forward(block2->forward(block1->forward(gray)))));
}

torch::Tensor ColorizerGeneratorImpl::forward(const torch::Tensor& gray) {
    auto rgb = raw_rgb(gray);
    return output_ == ColorOutput::Chroma ? combine_luminance_chroma(gray, rgb) : rgb;
}

DcganDiscriminatorImpl::DcganDiscriminatorImpl(int64_t image_size, int64_t base_width)
    : image_size_(image_size) {
    TORCH_CHECK(image_size >= 16 && (image_size & (image_size - 1)) == 0,
                "the DCGAN discriminator needs a power-of-two size >= 16");
    main = nn::Sequential();
    int64_t channels = 3, width = base_width;
    for (int64_t size = image_size; size > 4; size /= 2) {
        main->push_back(nn::Conv2d(nn::Conv2dOptions(channels, width, 4).stride(2).padding(1).bias(false)));
        if (channels != 3) main->push_back(ContextBatchNorm2d(width));
        main->push_back(nn::LeakyReLU(nn::LeakyReLUOptions().negative_slope(0.2).inplace(true)));
        channels = width;
        width *= 2;
    }
    main->push_back(nn::Conv2d(nn::Conv2dOptions(channels, 1, 4).bias(false)));
    register_module("main", main);
}

torch::Tensor DcganDiscriminatorImpl::forward(const torch::Tensor& image) {
    TORCH_CHECK(image.dim() == 4 && image.size(1) == 3 && image.size(2) == image_size_ &&
                    image.size(3) == image_size_,
                "discriminator input must be [N, 3, ", image_size_, ", ", image_size_, "], got ",
                image.sizes());
    return main->forward(image).flatten();
}

}  // namespace ganvas
