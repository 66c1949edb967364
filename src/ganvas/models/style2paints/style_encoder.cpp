#include "ganvas/models/style2paints/style_encoder.h"

#include "ganvas/core/error.h"
#include "ganvas/io/pth_reader.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include <algorithm>

namespace ganvas {
namespace nn = torch::nn;

namespace {

torch::Tensor mean_std(const torch::Tensor& f) {
    const auto flat = f.flatten(2);
    const auto mean = flat.mean(2);
    const auto var = (flat - mean.unsqueeze(2)).pow(2).mean(2);
    return torch::cat({mean, torch::sqrt(var + 1e-5)}, 1);
}

void freeze(nn::Module& m) {
    m.eval();
    for (auto& p : m.parameters()) p.set_requires_grad(false);
}

}  // namespace

VggStatsEncoderImpl::VggStatsEncoderImpl() {
    vgg = register_module("vgg", Vgg19Relu31());
    freeze(*this);
}

torch::Tensor VggStatsEncoderImpl::forward(const torch::Tensor& rgb) {
    const VggFeatures f = vgg->forward(rgb);
    return torch::cat({mean_std(f.relu1_1), mean_std(f.relu2_1), mean_std(f.relu3_1)}, 1);
}

void VggStatsEncoderImpl::load_weights(const std::filesystem::path& path) {
    vgg->load_state(PthCheckpoint::read(path).state_dict(), path.string());
    freeze(*this);
}

VggFc1EncoderImpl::VggFc1EncoderImpl(const std::map<std::string, torch::Tensor>& state, const std::string& source) {
    // torchvision's make_layers: conv, ReLU per conv ("features.<i>"), one index per max-pool.
    std::vector<int64_t> indices;
    for (const auto& [key, tensor] : state) {
        int64_t index = -1;
        char rest[16] = {0};
        if (std::sscanf(key.c_str(), "features.%ld.%15s", &index, rest) == 2 && std::string(rest) == "weight") {
            if (tensor.dim() != 4) throw Error(fmt::format("{}: {} is not a convolution weight", source, key));
            indices.push_back(index);
        }
    }
    std::sort(indices.begin(), indices.end());
    if (indices.empty()) {
        throw Error(source + ": no features.<i>.weight convolutions: not a torchvision VGG checkpoint");
    }
    convs = register_module("convs", nn::ModuleList());
    int64_t channels = 3;
    for (size_t i = 0; i < indices.size(); ++i) {
        const std::string key = fmt::format("features.{}", indices[i]);
        const auto weight = state.at(key + ".weight");
        if (weight.size(1) != channels || weight.size(2) != 3 || weight.size(3) != 3) {
            throw Error(fmt::format("{}: {}.weight has shape {}, expected [*, {}, 3, 3]", source, key,
                                    fmt::join(weight.sizes(), "x"), channels));
        }
        const auto bias = require_tensor(state, key + ".bias", source, {weight.size(0)});
        nn::Conv2d conv(nn::Conv2dOptions(channels, weight.size(0), 3).padding(1));
        {
            torch::NoGradGuard no_grad;
            conv->weight.copy_(weight.to(torch::kFloat));
            conv->bias.copy_(bias.to(torch::kFloat));
        }
        convs->push_back(conv);
        // Two indices to the next conv: its ReLU between; three: ReLU and a max-pool; the last conv
        // is followed by a pool.
        pool_after.push_back(i + 1 == indices.size() || indices[i + 1] - indices[i] == 3);
        if (i + 1 < indices.size() && indices[i + 1] - indices[i] != 2 && indices[i + 1] - indices[i] != 3) {
            throw Error(fmt::format("{}: features.{} follows features.{}: not a torchvision VGG layout", source,
                                    indices[i + 1], indices[i]));
        }
        channels = weight.size(0);
    }
    const auto it = state.find("classifier.0.weight");
    if (it == state.end()) throw Error(source + ": no classifier.0.weight (fc1)");
    const auto& w = it->second;
    if (w.dim() != 2 || w.size(1) != channels * 49) {
        throw Error(fmt::format("{}: classifier.0.weight has shape {}, expected [*, {}]", source,
                                fmt::join(w.sizes(), "x"), channels * 49));
    }
    const auto b = require_tensor(state, "classifier.0.bias", source, {w.size(0)});
    fc1 = register_module("fc1", nn::Linear(w.size(1), w.size(0)));
    {
        torch::NoGradGuard no_grad;
        fc1->weight.copy_(w.to(torch::kFloat));
        fc1->bias.copy_(b.to(torch::kFloat));
    }
    freeze(*this);
}

torch::Tensor VggFc1EncoderImpl::forward(const torch::Tensor& rgb) {
    const auto mean = torch::tensor({0.485f, 0.456f, 0.406f}, rgb.options()).view({1, 3, 1, 1});
    const auto std = torch::tensor({0.229f, 0.224f, 0.225f}, rgb.options()).view({1, 3, 1, 1});
    auto x = (rgb - mean) / std;
    for (size_t i = 0; i < convs->size(); ++i) {
        x = torch::relu(convs[i]->as<nn::Conv2d>()->forward(x));
        if (pool_after[i]) x = torch::max_pool2d(x, 2);
    }
    x = torch::adaptive_avg_pool2d(x, {7, 7}).flatten(1);
    return torch::relu(fc1->forward(x));
}

VggFc1Encoder load_vgg_fc1(const std::filesystem::path& path) {
    return VggFc1Encoder(PthCheckpoint::read(path).state_dict(), path.string());
}

}  // namespace ganvas
