#include "ganvas/nn/inception.h"

#include "ganvas/core/error.h"
#include "ganvas/io/pth_reader.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include <array>
#include <vector>

namespace ganvas {
namespace F = torch::nn::functional;

namespace {

// One convolution of the architecture: its name, kernel, stride and whether it pads ("same"
// padding for stride 1 otherwise: (k - 1) / 2 on each axis).
struct ConvSpec {
    std::string name;
    int64_t kh, kw, stride;
    bool valid;
};

std::vector<ConvSpec> architecture() {
    std::vector<ConvSpec> s = {{"Conv2d_1a_3x3", 3, 3, 2, true}, {"Conv2d_2a_3x3", 3, 3, 1, true},
                               {"Conv2d_2b_3x3", 3, 3, 1, false}, {"Conv2d_3b_1x1", 1, 1, 1, false},
                               {"Conv2d_4a_3x3", 3, 3, 1, true}};
    const auto add = [&](const std::string& block, std::vector<ConvSpec> convs) {
        for (auto& c : convs) s.push_back({block + "." + c.name, c.kh, c.kw, c.stride, c.valid});
    };
    for (const char* a : {"Mixed_5b", "Mixed_5c", "Mixed_5d"}) {
        add(a, {{"branch1x1", 1, 1, 1, false},      {"branch5x5_1", 1, 1, 1, false},
                {"branch5x5_2", 5, 5, 1, false},    {"branch3x3dbl_1", 1, 1, 1, false},
                {"branch3x3dbl_2", 3, 3, 1, false}, {"branch3x3dbl_3", 3, 3, 1, false},
                {"branch_pool", 1, 1, 1, false}});
    }
    add("Mixed_6a", {{"branch3x3", 3, 3, 2, true}, {"branch3x3dbl_1", 1, 1, 1, false},
                     {"branch3x3dbl_2", 3, 3, 1, false}, {"branch3x3dbl_3", 3, 3, 2, true}});
    for (const char* c : {"Mixed_6b", "Mixed_6c", "Mixed_6d", "Mixed_6e"}) {
        add(c, {{"branch1x1", 1, 1, 1, false},       {"branch7x7_1", 1, 1, 1, false},
                {"branch7x7_2", 1, 7, 1, false},     {"branch7x7_3", 7, 1, 1, false},
                {"branch7x7dbl_1", 1, 1, 1, false},  {"branch7x7dbl_2", 7, 1, 1, false},
                {"branch7x7dbl_3", 1, 7, 1, false},  {"branch7x7dbl_4", 7, 1, 1, false},
                {"branch7x7dbl_5", 1, 7, 1, false},  {"branch_pool", 1, 1, 1, false}});
    }
    add("Mixed_7a", {{"branch3x3_1", 1, 1, 1, false}, {"branch3x3_2", 3, 3, 2, true},
                     {"branch7x7x3_1", 1, 1, 1, false}, {"branch7x7x3_2", 1, 7, 1, false},
                     {"branch7x7x3_3", 7, 1, 1, false}, {"branch7x7x3_4", 3, 3, 2, true}});
    for (const char* e : {"Mixed_7b", "Mixed_7c"}) {
        add(e, {{"branch1x1", 1, 1, 1, false},        {"branch3x3_1", 1, 1, 1, false},
                {"branch3x3_2a", 1, 3, 1, false},     {"branch3x3_2b", 3, 1, 1, false},
                {"branch3x3dbl_1", 1, 1, 1, false},   {"branch3x3dbl_2", 3, 3, 1, false},
                {"branch3x3dbl_3a", 1, 3, 1, false},  {"branch3x3dbl_3b", 3, 1, 1, false},
                {"branch_pool", 1, 1, 1, false}});
    }
    return s;
}

constexpr double kBatchNormEps = 1e-3;  // TensorFlow's, as the port keeps it
constexpr int64_t kInputSide = 299;

torch::Tensor avg_pool_3x3(const torch::Tensor& x) {
    // TensorFlow's SAME average pool: the padding does not count.
    return F::avg_pool2d(x, F::AvgPool2dFuncOptions(3).stride(1).padding(1).count_include_pad(false));
}

torch::Tensor max_pool_3x3_s2(const torch::Tensor& x) { return F::max_pool2d(x, F::MaxPool2dFuncOptions(3).stride(2)); }

}  // namespace

FidInception::FidInception(std::map<std::string, torch::Tensor> state, const std::string& source) {
    const auto take = [&](const std::string& key) -> torch::Tensor {
        const auto it = state.find(key);
        if (it == state.end()) throw Error(source + " has no tensor '" + key + "' (not pytorch-fid's Inception weights?)");
        if (!it->second.is_floating_point()) throw Error(source + ": tensor '" + key + "' is not floating point");
        return it->second.to(torch::kFloat).contiguous();
    };
    for (const auto& spec : architecture()) {
        const auto weight = take(spec.name + ".conv.weight");
        if (weight.dim() != 4 || weight.size(2) != spec.kh || weight.size(3) != spec.kw || weight.size(0) < 1) {
            throw Error(fmt::format("{}: tensor '{}.conv.weight' has shape {}, expected [out, in, {}, {}]", source,
                                    spec.name, c10::str(weight.sizes()), spec.kh, spec.kw));
        }
        const int64_t out = weight.size(0);
        std::array<torch::Tensor, 4> bn;
        const char* parts[] = {"weight", "bias", "running_mean", "running_var"};
        for (int i = 0; i < 4; ++i) {
            bn[i] = take(spec.name + ".bn." + parts[i]);
            if (bn[i].dim() != 1 || bn[i].size(0) != out) {
                throw Error(fmt::format("{}: tensor '{}.bn.{}' has shape {}, expected [{}]", source, spec.name, parts[i],
                                        c10::str(bn[i].sizes()), out));
            }
        }
        if ((bn[3] < 0).any().item<bool>()) throw Error(source + ": '" + spec.name + ".bn.running_var' is negative");
        Conv c;
        c.weight = weight;
        c.scale = bn[0] / torch::sqrt(bn[3] + kBatchNormEps);
        c.shift = bn[1] - bn[2] * c.scale;
        c.scale = c.scale.view({1, out, 1, 1});
        c.shift = c.shift.view({1, out, 1, 1});
        c.stride = spec.stride;
        c.padding = spec.valid ? std::vector<int64_t>{0, 0} : std::vector<int64_t>{(spec.kh - 1) / 2, (spec.kw - 1) / 2};
        convs_.emplace(spec.name, std::move(c));
    }
    fc_weight_ = take("fc.weight");
    fc_bias_ = take("fc.bias");
    if (fc_weight_.dim() != 2 || fc_bias_.dim() != 1 || fc_bias_.size(0) != fc_weight_.size(0) || fc_weight_.size(0) < 2) {
        throw Error(fmt::format("{}: 'fc.weight' {} and 'fc.bias' {} are not a classifier", source,
                                c10::str(fc_weight_.sizes()), c10::str(fc_bias_.sizes())));
    }
    feature_size_ = fc_weight_.size(1);
    classes_ = fc_weight_.size(0);
    // The channel counts of consecutive tensors must fit together: one pass at the smallest input
    // the architecture takes (75 x 75) says so now rather than on the first real image.
    try {
        torch::InferenceMode guard;
        run(torch::zeros({1, 3, 75, 75}));
    } catch (const c10::Error& e) {
        throw Error(source + ": the tensors do not fit together as Inception-v3: " + e.what_without_backtrace());
    }
}

torch::Tensor FidInception::conv(const torch::Tensor& x, const std::string& name) const {
    const Conv& c = convs_.at(name);
    const auto y = F::conv2d(x, c.weight, F::Conv2dFuncOptions().stride(c.stride).padding(c.padding));
    return torch::relu(y * c.scale + c.shift);
}

torch::Tensor FidInception::block_a(const torch::Tensor& x, const std::string& n) const {
    const auto b1 = conv(x, n + ".branch1x1");
    const auto b5 = conv(conv(x, n + ".branch5x5_1"), n + ".branch5x5_2");
    const auto b3 = conv(conv(conv(x, n + ".branch3x3dbl_1"), n + ".branch3x3dbl_2"), n + ".branch3x3dbl_3");
    const auto bp = conv(avg_pool_3x3(x), n + ".branch_pool");
    return torch::cat({b1, b5, b3, bp}, 1);
}

torch::Tensor FidInception::block_b(const torch::Tensor& x, const std::string& n) const {
    const auto b3 = conv(x, n + ".branch3x3");
    const auto bd = conv(conv(conv(x, n + ".branch3x3dbl_1"), n + ".branch3x3dbl_2"), n + ".branch3x3dbl_3");
    return torch::cat({b3, bd, max_pool_3x3_s2(x)}, 1);
}

torch::Tensor FidInception::block_c(const torch::Tensor& x, const std::string& n) const {
    const auto b1 = conv(x, n + ".branch1x1");
    auto b7 = conv(x, n + ".branch7x7_1");
    b7 = conv(conv(b7, n + ".branch7x7_2"), n + ".branch7x7_3");
    auto bd = conv(x, n + ".branch7x7dbl_1");
    for (const char* k : {".branch7x7dbl_2", ".branch7x7dbl_3", ".branch7x7dbl_4", ".branch7x7dbl_5"}) bd = conv(bd, n + k);
    const auto bp = conv(avg_pool_3x3(x), n + ".branch_pool");
    return torch::cat({b1, b7, bd, bp}, 1);
}

torch::Tensor FidInception::block_d(const torch::Tensor& x, const std::string& n) const {
    const auto b3 = conv(conv(x, n + ".branch3x3_1"), n + ".branch3x3_2");
    auto b7 = conv(x, n + ".branch7x7x3_1");
    for (const char* k : {".branch7x7x3_2", ".branch7x7x3_3", ".branch7x7x3_4"}) b7 = conv(b7, n + k);
    return torch::cat({b3, b7, max_pool_3x3_s2(x)}, 1);
}

torch::Tensor FidInception::block_e(const torch::Tensor& x, const std::string& n, bool max_pool) const {
    const auto b1 = conv(x, n + ".branch1x1");
    const auto t = conv(x, n + ".branch3x3_1");
    const auto b3 = torch::cat({conv(t, n + ".branch3x3_2a"), conv(t, n + ".branch3x3_2b")}, 1);
    const auto d = conv(conv(x, n + ".branch3x3dbl_1"), n + ".branch3x3dbl_2");
    const auto bd = torch::cat({conv(d, n + ".branch3x3dbl_3a"), conv(d, n + ".branch3x3dbl_3b")}, 1);
    // The port's last block pools by maximum (what the TF graph does), the others by average.
    const auto pooled = max_pool ? F::max_pool2d(x, F::MaxPool2dFuncOptions(3).stride(1).padding(1)) : avg_pool_3x3(x);
    return torch::cat({b1, b3, bd, conv(pooled, n + ".branch_pool")}, 1);
}

InceptionOutput FidInception::forward(const torch::Tensor& rgb) const {
    TORCH_CHECK(rgb.dim() == 4 && rgb.size(1) == 3, "Inception expects [N, 3, H, W], got ", rgb.sizes());
    auto x = rgb.to(torch::kFloat);
    if (x.size(2) != kInputSide || x.size(3) != kInputSide) {
        x = F::interpolate(x, F::InterpolateFuncOptions()
                                  .size(std::vector<int64_t>{kInputSide, kInputSide})
                                  .mode(torch::kBilinear)
                                  .align_corners(false));
    }
    return run(2 * x - 1);
}

InceptionOutput FidInception::run(torch::Tensor x) const {
    x = conv(x, "Conv2d_1a_3x3");
    x = conv(x, "Conv2d_2a_3x3");
    x = conv(x, "Conv2d_2b_3x3");
    x = max_pool_3x3_s2(x);
    x = conv(x, "Conv2d_3b_1x1");
    x = conv(x, "Conv2d_4a_3x3");
    x = max_pool_3x3_s2(x);
    for (const char* a : {"Mixed_5b", "Mixed_5c", "Mixed_5d"}) x = block_a(x, a);
    x = block_b(x, "Mixed_6a");
    for (const char* c : {"Mixed_6b", "Mixed_6c", "Mixed_6d", "Mixed_6e"}) x = block_c(x, c);
    x = block_d(x, "Mixed_7a");
    x = block_e(x, "Mixed_7b", /*max_pool=*/false);
    x = block_e(x, "Mixed_7c", /*max_pool=*/true);
    InceptionOutput out;
    out.pool = x.mean({2, 3});
    TORCH_CHECK(out.pool.size(1) == feature_size_, "Mixed_7c gives ", out.pool.size(1), " channels, fc.weight takes ",
                feature_size_);
    out.logits = F::linear(out.pool, fc_weight_, fc_bias_);
    return out;
}

FidInception load_fid_inception(const std::filesystem::path& path) {
    return FidInception(PthCheckpoint::read(path).state_dict(), path.string());
}

}  // namespace ganvas
