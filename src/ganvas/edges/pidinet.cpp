#include "ganvas/edges/pidinet.h"

#include "ganvas/core/error.h"
#include "ganvas/core/runtime.h"
#include "ganvas/io/pth_reader.h"

#include <fmt/format.h>
#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <new>

namespace ganvas {
namespace nn = torch::nn;
namespace F = torch::nn::functional;

namespace {

constexpr int64_t kWidth = 60;  // C of table5_pidinet
constexpr int64_t kDil = 24;    // CDCM width

// Scratch floats starting on a cache line. The kernels load and store whole vectors of their
// scratch rows; from a std::vector (16-byte aligned) most of those straddle two lines, and a split
// access costs about twice an aligned one.
class LineAlignedFloats {
public:
    float* get(int64_t n) {
        if (n > size_) {
            const size_t bytes = (static_cast<size_t>(n) * sizeof(float) + 63) / 64 * 64;
            data_.reset(static_cast<float*>(std::aligned_alloc(64, bytes)));
            if (!data_) throw std::bad_alloc();
            size_ = n;
        }
        return data_.get();
    }

private:
    struct Free {
        void operator()(float* p) const { std::free(p); }
    };
    std::unique_ptr<float, Free> data_;
    int64_t size_ = 0;
};

nn::Conv2d conv(int64_t in, int64_t out, int64_t k, int64_t pad = 0, bool bias = true, int64_t groups = 1,
                int64_t dilation = 1) {
    return nn::Conv2d(nn::Conv2dOptions(in, out, k).padding(pad).bias(bias).groups(groups).dilation(dilation));
}

// Compact dilation convolution module: 1x1 to 24 channels, then four dilated 3x3 convs summed.
class CdcmImpl : public nn::Module {
public:
    explicit CdcmImpl(int64_t in) {
        conv1 = register_module("conv1", conv(in, kDil, 1));
        const int64_t d[4] = {5, 7, 9, 11};
        for (int i = 0; i < 4; ++i) {
            branches[i] = register_module("conv2_" + std::to_string(i + 1), conv(kDil, kDil, 3, d[i], false, 1, d[i]));
        }
    }
    torch::Tensor forward(const torch::Tensor& f) {
        auto z = conv1->forward(torch::relu(f));
        auto sum = branches[0]->forward(z);
        for (int i = 1; i < 4; ++i) sum.add_(branches[i]->forward(z));
        return sum;
    }
    nn::Conv2d conv1{nullptr};
    nn::Conv2d branches[4] = {nullptr, nullptr, nullptr, nullptr};
};
TORCH_MODULE(Cdcm);

// Compact spatial attention module: a one-channel gate on the CDCM output.
class CsamImpl : public nn::Module {
public:
    CsamImpl() {
        conv1 = register_module("conv1", conv(kDil, 4, 1));
        conv2 = register_module("conv2", conv(4, 1, 3, 1, false));
    }
    torch::Tensor forward(const torch::Tensor& z) {
        return z * torch::sigmoid(conv2->forward(conv1->forward(torch::relu(z))));
    }
    nn::Conv2d conv1{nullptr}, conv2{nullptr};
};
TORCH_MODULE(Csam);

class MapReduceImpl : public nn::Module {
public:
    MapReduceImpl() { conv = register_module("conv", ganvas::conv(kDil, 1, 1)); }
    torch::Tensor forward(const torch::Tensor& x) { return conv->forward(x); }
    nn::Conv2d conv{nullptr};
};
TORCH_MODULE(MapReduce);

struct BlockSpec {
    const char* name;
    int64_t in, out;
    PdcType type;
    bool downsample;
};

// carv4: [cd, ad, rd, cv] repeated; init_block is layer 0 (cd).
const std::vector<BlockSpec>& block_specs() {
    static const std::vector<BlockSpec> specs = {
        {"block1_1", 60, 60, PdcType::Ad, false},    {"block1_2", 60, 60, PdcType::Rd, false},
        {"block1_3", 60, 60, PdcType::Cv, false},    {"block2_1", 60, 120, PdcType::Cd, true},
        {"block2_2", 120, 120, PdcType::Ad, false},  {"block2_3", 120, 120, PdcType::Rd, false},
        {"block2_4", 120, 120, PdcType::Cv, false},  {"block3_1", 120, 240, PdcType::Cd, true},
        {"block3_2", 240, 240, PdcType::Ad, false},  {"block3_3", 240, 240, PdcType::Rd, false},
        {"block3_4", 240, 240, PdcType::Cv, false},  {"block4_1", 240, 240, PdcType::Cd, true},
        {"block4_2", 240, 240, PdcType::Ad, false},  {"block4_3", 240, 240, PdcType::Rd, false},
        {"block4_4", 240, 240, PdcType::Cv, false}};
    return specs;
}

}  // namespace

std::pair<torch::Tensor, int64_t> convert_pdc(const torch::Tensor& w, PdcType type) {
    if (w.dim() != 4 || w.size(2) != 3 || w.size(3) != 3) {
        throw Error("a pixel-difference kernel must be [O, I, 3, 3], got " + c10::str(w.sizes()));
    }
    const int64_t o = w.size(0), i = w.size(1);
    auto flat = w.reshape({o, i, 9}).clone();
    switch (type) {
        case PdcType::Cv: return {w.clone(), 1};
        case PdcType::Cd:  // centre minus the kernel's sum: sum_k W_k (x_{p+k} - x_p)
            flat.select(2, 4) -= w.sum({2, 3});
            return {flat.reshape({o, i, 3, 3}), 1};
        case PdcType::Ad: {  // W_k - W_prev(k), prev the counter-clockwise ring neighbour
            auto prev = torch::tensor({3, 0, 1, 6, 4, 2, 7, 8, 5}, torch::kLong);
            return {(flat - flat.index_select(2, prev)).reshape({o, i, 3, 3}), 1};
        }
        case PdcType::Rd: {  // entries 1..8 weigh (outer ring - inner ring) of a 5x5 window
            auto k = torch::zeros({o, i, 25}, w.options());
            const int64_t outer[8] = {0, 2, 4, 10, 14, 20, 22, 24}, inner[8] = {6, 7, 8, 11, 13, 16, 17, 18};
            for (int m = 0; m < 8; ++m) {
                k.select(2, outer[m]).copy_(flat.select(2, m + 1));
                k.select(2, inner[m]).copy_(-flat.select(2, m + 1));
            }
            return {k.reshape({o, i, 5, 5}), 2};
        }
    }
    throw Error("unknown PDC type");
}

PdcBlockImpl::PdcBlockImpl(int64_t in, int64_t out, PdcType t, bool down) : type(t), downsample(down) {
    const bool rd = t == PdcType::Rd;
    conv1 = register_module("conv1", conv(in, in, rd ? 5 : 3, rd ? 2 : 1, false, in));
    conv2 = register_module("conv2", conv(in, out, 1, 0, false));
    if (down) shortcut = register_module("shortcut", conv(in, out, 1));
}

namespace {

// A weight as the kernels take it: CPU float32, contiguous, denormals flushed to zero. The released
// checkpoint has thousands of denormal weights (weight decay on entries that get almost no gradient;
// 11,125 of block4_4.conv2's 57,600): every FMA on one costs a microcode assist, which made that
// block 5x slower than its neighbours. Their contribution is below 1.2e-38 times an activation.
torch::Tensor packable(const torch::Tensor& weight) {
    auto w = weight.detach().to(torch::kCPU, torch::kFloat).contiguous();
    return w.masked_fill(w.abs() < std::numeric_limits<float>::min(), 0.0f);
}

// [rows, cols] -> [rows, padded(cols)], zero-filled.
torch::Tensor pad_columns(const torch::Tensor& m) {
    auto out = torch::zeros({m.size(0), pidinet_kernels::padded(m.size(1))}, torch::kFloat);
    out.narrow(1, 0, m.size(1)).copy_(m);
    return out;
}

// GANVAS_PIDINET_WINOGRAD: "0" tap by tap, "2" F(2, 3) only, else F(4, 3) and F(2, 3)
// (PiDiNetImpl::winograd_outputs).
int winograd_outputs_from_env() {
    const char* env = std::getenv("GANVAS_PIDINET_WINOGRAD");
    if (env && std::strcmp(env, "0") == 0) return 0;
    if (env && std::strcmp(env, "2") == 0) return 2;
    return 4;
}

// Whether a fused kernel set applies to `x`: set, CPU float input, outside autograd (no backward).
bool use_fused(const pidinet_kernels::Kernels* kernels, const torch::Tensor& x) {
    return kernels && x.device().is_cpu() && x.scalar_type() == torch::kFloat && !torch::GradMode::is_enabled();
}

}  // namespace

torch::Tensor PdcBlockImpl::forward(torch::Tensor x) {
    TORCH_CHECK(x.dim() == 4 && x.size(1) == conv1->options.in_channels(), "PdcBlock: expected [N, ",
                conv1->options.in_channels(), ", H, W], got ", x.sizes());
    if (use_fused(kernels_, x)) return forward_fused(x);
    if (downsample) x = torch::max_pool2d(x, 2, 2);
    auto y = conv2->forward(conv1->forward(x).relu_());
    return y.add_(downsample ? shortcut->forward(x) : x);
}

void PdcBlockImpl::prepare_fused(const pidinet_kernels::Kernels* kernels) {
    torch::NoGradGuard no_grad;
    kernels_ = kernels;
    if (!kernels_) return;
    const int64_t in = conv1->options.in_channels(), out = conv2->options.out_channels();
    const int64_t taps = conv1->weight.size(2) * conv1->weight.size(3);
    packed_depthwise_ = pad_columns(packable(conv1->weight).reshape({in, taps}).t());  // [taps][in]
    zero_taps_ = 0;
    for (int64_t t = 0; t < taps && t < 32; ++t) {
        if (!packed_depthwise_[t].any().item<bool>()) zero_taps_ |= 1u << t;
    }
    packed_pointwise_ = pad_columns(packable(conv2->weight).reshape({out, in}).t());   // [in][out]
    if (downsample) {
        packed_shortcut_ = pad_columns(packable(shortcut->weight).reshape({out, in}).t());
        packed_bias_ = pad_columns(packable(shortcut->bias).reshape({1, out})).reshape({-1});
    }
}

pidinet_kernels::BlockArgs PdcBlockImpl::fused_args(int64_t height, int64_t width) const {
    TORCH_CHECK(kernels_, "PdcBlock::fused_args: prepare_fused has not set a kernel set");
    pidinet_kernels::BlockArgs args;
    args.height = height;
    args.width = width;
    args.in_channels = conv1->options.in_channels();
    args.out_channels = conv2->options.out_channels();
    args.depthwise = packed_depthwise_.data_ptr<float>();
    args.kernel_size = static_cast<int>(conv1->weight.size(2));
    args.zero_taps = zero_taps_;
    args.pointwise = packed_pointwise_.data_ptr<float>();
    if (downsample) {
        args.shortcut = packed_shortcut_.data_ptr<float>();
        args.bias = packed_bias_.data_ptr<float>();
    }
    return args;
}

torch::Tensor PdcBlockImpl::forward_fused(const torch::Tensor& input) {
    RECORD_FUNCTION(downsample ? "ganvas::pidinet_block_pool" : "ganvas::pidinet_block", std::vector<c10::IValue>());
    auto x = input.contiguous(torch::MemoryFormat::ChannelsLast);
    const int64_t n = x.size(0), c = x.size(1);
    if (downsample) {  // 2x2 max-pool, floor, in NHWC
        const int64_t h = x.size(2), w = x.size(3);
        auto pooled = torch::empty({n, c, h / 2, w / 2}, x.options().memory_format(torch::MemoryFormat::ChannelsLast));
        const float* src = x.data_ptr<float>();
        float* dst = pooled.data_ptr<float>();
        at::parallel_for(0, n * (h / 2), 1, [&](int64_t begin, int64_t end) {
            for (int64_t i = begin; i < end; ++i) {
                const int64_t b = i / (h / 2), row = i % (h / 2);
                kernels_->max_pool_rows(src + b * h * w * c, h, w, c, dst + b * (h / 2) * (w / 2) * c, row, row + 1);
            }
        });
        x = pooled;
    }
    const int64_t h = x.size(2), w = x.size(3), out_c = conv2->options.out_channels();
    auto out = torch::empty({n, out_c, h, w}, x.options().memory_format(torch::MemoryFormat::ChannelsLast));
    const auto args = fused_args(h, w);
    const float* src = x.data_ptr<float>();
    float* dst = out.data_ptr<float>();
    at::parallel_for(0, n * h, 1, [&](int64_t begin, int64_t end) {
        LineAlignedFloats scratch;
        float* rows = scratch.get(w * pidinet_kernels::padded(c));
        auto a = args;
        for (int64_t i = begin; i < end; ++i) {
            const int64_t b = i / h, row = i % h;
            a.x = src + b * h * w * c;
            a.out = dst + b * h * w * out_c;
            kernels_->block_rows(a, row, row + 1, rows);
        }
    });
    return out;
}

PiDiNetImpl::PiDiNetImpl()
    // GANVAS_PIDINET_STAGES=0 turns the streamed stages off (pidinet_kernels.h StageArgs).
    : stream_stages(env_switch_on("GANVAS_PIDINET_STAGES")), winograd_outputs(winograd_outputs_from_env()) {
    init_block = register_module("init_block", conv(3, kWidth, 3, 1, false));
    for (const auto& s : block_specs()) blocks.push_back(register_module(s.name, PdcBlock(s.in, s.out, s.type, s.downsample)));
    dilations = register_module("dilations", nn::ModuleList());
    attentions = register_module("attentions", nn::ModuleList());
    conv_reduces = register_module("conv_reduces", nn::ModuleList());
    for (int64_t c : {60, 120, 240, 240}) {
        dilations->push_back(Cdcm(c));
        attentions->push_back(Csam());
        conv_reduces->push_back(MapReduce());
    }
    classifier = register_module("classifier", conv(4, 1, 1));
}

std::vector<torch::Tensor> PiDiNetImpl::run(const torch::Tensor& x, bool side_maps) {
    // x: [N, 3, H, W] -> five maps [N, 1, H, W] (only the last one unless side_maps)
    TORCH_CHECK(x.dim() == 4 && x.size(1) == 3, "PiDiNet: expected [N, 3, H, W], got ", x.sizes());
    // Three 2x2 poolings: stage 4 is H/8 x W/8 and must keep at least one pixel.
    if (x.size(2) < 8 || x.size(3) < 8) {
        throw Error(fmt::format("PiDiNet needs an image of at least 8x8 pixels, got {}x{} (width x height)",
                                x.size(3), x.size(2)));
    }
    const int64_t h = x.size(2), w = x.size(3);
    std::vector<torch::Tensor> logits;
    if (use_fused(kernels_, x) && stream_stages) {
        logits = side_logits_streamed(x);
    } else {
        auto t = init_block->forward(x);
        std::vector<torch::Tensor> stages;
        for (size_t i = 0; i < blocks.size(); ++i) {
            t = blocks[i]->forward(t);
            if (i == 2 || i == 6 || i == 10 || i == 14) stages.push_back(t);  // ends of stages 1-4
        }
        for (size_t i = 0; i < 4; ++i) logits.push_back(side_logit(i, stages[i]));
    }
    if (!side_maps && use_fused(kernels_, x)) {
        return {fuse_upsampled(logits, h, w).sigmoid_()};
    }
    for (auto& e : logits) {
        if (e.size(2) != h || e.size(3) != w) {
            e = F::interpolate(e, F::InterpolateFuncOptions()
                                      .size(std::vector<int64_t>{h, w})
                                      .mode(torch::kBilinear)
                                      .align_corners(false));
        }
    }
    auto fused = classifier->forward(torch::cat(logits, 1));
    std::vector<torch::Tensor> out;
    for (auto& e : logits) out.push_back(torch::sigmoid(e));
    out.push_back(torch::sigmoid(fused));
    return out;
}

torch::Tensor PiDiNetImpl::fuse_upsampled(const std::vector<torch::Tensor>& logits, int64_t h, int64_t w) {
    RECORD_FUNCTION("ganvas::pidinet_fuse", std::vector<c10::IValue>());
    const int64_t n = logits[0].size(0), k = static_cast<int64_t>(logits.size());
    // Source index pairs and weights per output coordinate, as PyTorch's bilinear with a target size:
    // src = (dst + 0.5) * in / out - 0.5, clamped at 0.
    struct Axis {
        std::vector<int64_t> i0, i1;
        std::vector<float> l1;
    };
    auto axis = [](int64_t in, int64_t out) {
        Axis a;
        const float scale = static_cast<float>(in) / static_cast<float>(out);
        for (int64_t d = 0; d < out; ++d) {
            const float src = std::max(0.0f, scale * (static_cast<float>(d) + 0.5f) - 0.5f);
            const auto i0 = static_cast<int64_t>(src);
            a.i0.push_back(i0);
            a.i1.push_back(i0 < in - 1 ? i0 + 1 : i0);
            a.l1.push_back(src - static_cast<float>(i0));
        }
        return a;
    };
    std::vector<Axis> ys, xs;
    std::vector<torch::Tensor> maps;
    for (const auto& e : logits) {
        maps.push_back(e.contiguous());
        ys.push_back(axis(e.size(2), h));
        xs.push_back(axis(e.size(3), w));
    }
    const auto weight = classifier->weight.detach().to(torch::kCPU).contiguous();
    const float* wc = weight.data_ptr<float>();
    const float bias = classifier->bias.detach().item<float>();
    auto out = torch::empty({n, 1, h, w}, logits[0].options());
    float* dst = out.data_ptr<float>();
    at::parallel_for(0, n * h, 1, [&](int64_t begin, int64_t end) {
        for (int64_t row = begin; row < end; ++row) {
            const int64_t b = row / h, y = row % h;
            float* o = dst + row * w;
            for (int64_t x = 0; x < w; ++x) o[x] = bias;
            for (int64_t i = 0; i < k; ++i) {
                const int64_t mh = maps[i].size(2), mw = maps[i].size(3);
                const float* m = maps[i].data_ptr<float>() + b * mh * mw;
                const float* r0 = m + ys[i].i0[y] * mw;
                const float* r1 = m + ys[i].i1[y] * mw;
                const float ly = ys[i].l1[y], c = wc[i];
                const Axis& ax = xs[i];
                for (int64_t x = 0; x < w; ++x) {
                    const float lx = ax.l1[x];
                    const float top = r0[ax.i0[x]] + lx * (r0[ax.i1[x]] - r0[ax.i0[x]]);
                    const float bottom = r1[ax.i0[x]] + lx * (r1[ax.i1[x]] - r1[ax.i0[x]]);
                    o[x] += c * (top + ly * (bottom - top));
                }
            }
        }
    });
    return out;
}

std::vector<std::pair<std::string, std::vector<int64_t>>> pidinet_checkpoint_layout() {
    PiDiNet net;
    std::vector<std::pair<std::string, std::vector<int64_t>>> layout;
    for (const auto& p : net->named_parameters()) {
        auto shape = p.value().sizes().vec();
        if (shape.size() == 4 && shape[2] == 5) shape[2] = shape[3] = 3;  // rd kernels are stored 3x3
        layout.emplace_back(p.key(), shape);
    }
    return layout;
}

void PiDiNetImpl::load_state(const std::map<std::string, torch::Tensor>& state, const std::string& source) {
    torch::NoGradGuard no_grad;
    std::map<std::string, PdcType> pdc = {{"init_block.weight", PdcType::Cd}};
    for (const auto& s : block_specs()) pdc[std::string(s.name) + ".conv1.weight"] = s.type;
    const auto layout = pidinet_checkpoint_layout();
    auto params = named_parameters();
    for (const auto& [key, shape] : layout) {
        auto it = state.find(key);
        if (it == state.end()) throw Error(source + " has no tensor '" + key + "' (not a PiDiNet checkpoint?)");
        if (it->second.sizes().vec() != shape) {
            throw Error(fmt::format("{}: tensor '{}' has shape {}, PiDiNet expects {}", source, key,
                                    c10::str(it->second.sizes()), c10::str(shape)));
        }
        auto value = it->second.to(torch::kFloat);
        if (auto p = pdc.find(key); p != pdc.end()) value = convert_pdc(value, p->second).first;
        params[key].copy_(value);
    }
    prepare_fused();
}

torch::Tensor PiDiNetImpl::side_logit(size_t i, const torch::Tensor& f) {
    if (use_fused(kernels_, f)) return side_logit_fused(i, f);
    auto z = dilations[i]->as<Cdcm>()->forward(f);
    auto g = attentions[i]->as<Csam>()->forward(z);
    return conv_reduces[i]->as<MapReduce>()->forward(g);
}

PiDiNetImpl::SideBuffers PiDiNetImpl::side_buffers(size_t i, int64_t n, int64_t channels, int64_t h, int64_t w) const {
    namespace pk = pidinet_kernels;
    const SidePack& pack = side_packs_[i];
    const auto options = torch::TensorOptions().dtype(torch::kFloat);
    SideBuffers buf;
    buf.s = torch::empty({n, 1, h, w}, options);
    buf.g = torch::empty({n, 1, h, w}, options);
    const int64_t t_stride = pk::side_t_stride(w);
    buf.t = torch::zeros({4, h + 2, t_stride}, options);  // interior rewritten per image, border stays 0
    const int64_t stride = pk::side_z_stride(w);
    buf.z = torch::empty({pk::kSideWidth, h + 2 * pk::kSideBorder, stride}, options);
    buf.z.narrow(1, 0, pk::kSideBorder).zero_();
    buf.z.narrow(1, h + pk::kSideBorder, pk::kSideBorder).zero_();
    pk::SideArgs& args = buf.args;
    args.height = h;
    args.width = w;
    args.channels = channels;
    args.reduce = pack.reduce.data_ptr<float>();
    args.reduce_bias = pack.reduce_bias.data_ptr<float>();
    args.z = buf.z.data_ptr<float>();
    args.z_stride = stride;
    args.dilated = pack.dilated.data_ptr<float>();
    args.attention = pack.attention.data_ptr<float>();
    args.attention_bias = pack.attention_bias.data_ptr<float>();
    args.map = pack.map.data_ptr<float>();
    args.t = buf.t.data_ptr<float>();
    args.t_stride = t_stride;
    args.gate = pack.gate.data_ptr<float>();
    if (winograd_outputs > 0) {
        args.winograd = pack.winograd.data_ptr<float>();
        args.direct = pack.direct.data_ptr<float>();
    }
    if (winograd_outputs == 4) args.winograd4 = pack.winograd4.data_ptr<float>();
    return buf;
}

void PiDiNetImpl::side_passes(SideBuffers& buf, int64_t b) const {
    RECORD_FUNCTION("ganvas::pidinet_side_passes", std::vector<c10::IValue>());
    auto& args = buf.args;
    const int64_t h = args.height, hw = h * args.width;
    args.s = buf.s.data_ptr<float>() + b * hw;
    args.g = buf.g.data_ptr<float>() + b * hw;
    // Work handed out in small pieces rather than in one block per thread: on a shared machine one
    // core often runs slower than the other, and a static split leaves the faster one waiting. The
    // dilated convolutions go in bands of rows (Winograd pairs rows within a band) times blocks of
    // columns, so even a short map has a few pieces per thread.
    const int threads = at::get_num_threads();
    const int64_t band = args.winograd ? pidinet_kernels::kSideBand : 4, columns = kernels_->side_columns;
    const int64_t bands = (h + band - 1) / band, column_blocks = (args.width + columns - 1) / columns;
    constexpr int64_t kGateRows = 8;
#pragma omp parallel num_threads(threads)
    {
        LineAlignedFloats buffer;
        float* scratch = buffer.get(pidinet_kernels::side_dilated_scratch(band));
#pragma omp for schedule(dynamic)
        for (int64_t piece = 0; piece < bands * column_blocks; ++piece) {
            const int64_t r = piece / column_blocks * band, x = piece % column_blocks * columns;
            kernels_->side_dilated_rows(args, r, std::min(h, r + band), x, std::min(args.width, x + columns), scratch);
        }
#pragma omp for schedule(dynamic)
        for (int64_t r = 0; r < h; r += kGateRows) kernels_->side_gate_rows(args, r, std::min(h, r + kGateRows));
    }
}

torch::Tensor PiDiNetImpl::side_result(size_t i, SideBuffers& buf) {
    // e = sigmoid(g) * s + b: CSAM's gate times the map's 1x1 of z', plus the map's bias.
    return buf.g.sigmoid_().mul_(buf.s).add_(conv_reduces[i]->as<MapReduce>()->conv->bias.view({1, 1, 1, 1}));
}

torch::Tensor PiDiNetImpl::side_logit_fused(size_t i, const torch::Tensor& input) {
    RECORD_FUNCTION("ganvas::pidinet_side", std::vector<c10::IValue>());
    const auto f = input.contiguous(torch::MemoryFormat::ChannelsLast);
    const int64_t n = f.size(0), c = f.size(1), h = f.size(2), w = f.size(3);
    auto buf = side_buffers(i, n, c, h, w);
    for (int64_t b = 0; b < n; ++b) {
        buf.args.f = f.data_ptr<float>() + b * h * w * c;
        at::parallel_for(0, h, 1, [&](int64_t begin, int64_t end) {
            LineAlignedFloats scratch;
            kernels_->side_reduce_rows(buf.args, begin, end,
                                       scratch.get(pidinet_kernels::side_reduce_scratch(c)));
        });
        side_passes(buf, b);
    }
    return side_result(i, buf);
}

std::vector<torch::Tensor> PiDiNetImpl::side_logits_streamed(const torch::Tensor& x) {
    namespace pk = pidinet_kernels;
    const auto image = x.contiguous(torch::MemoryFormat::ChannelsLast);  // [N][H][W][3] in memory
    const int64_t n = image.size(0);
    // Stage s is blocks[first[s] .. first[s + 1]); stage 1 starts with init_block (a plain 3x3
    // convolution of the image), stages 2-4 with a block on the previous stage's pooled output,
    // which the previous stage's kernel writes.
    const size_t first[5] = {0, 3, 7, 11, 15};
    std::vector<SideBuffers> sides;
    std::vector<torch::Tensor> pooled(4);
    int64_t h = image.size(2), w = image.size(3);
    for (size_t s = 0; s < 4; ++s) {
        const int64_t c = blocks[first[s + 1] - 1]->conv2->options.out_channels();
        sides.push_back(side_buffers(s, n, c, h, w));
        if (s < 3) {
            pooled[s] = torch::empty({n, h / 2, w / 2, c});
            h /= 2;
            w /= 2;
        }
    }
    const int threads = std::max(1, at::get_num_threads());
    for (int64_t b = 0; b < n; ++b) {
        for (size_t s = 0; s < 4; ++s) {
            const int64_t sh = sides[s].args.height, sw = sides[s].args.width;
            pk::BlockArgs stage_blocks[pk::kMaxStageBlocks];
            pk::StageArgs args;
            int k = 0;
            if (s == 0) {
                pk::BlockArgs& stem = stage_blocks[k++];
                stem.height = sh;
                stem.width = sw;
                stem.in_channels = 3;
                stem.out_channels = kWidth;
                stem.kernel_size = 3;
                stem.dense = packed_init_.data_ptr<float>();
            }
            for (size_t i = first[s]; i < first[s + 1]; ++i) stage_blocks[k++] = blocks[i]->fused_args(sh, sw);
            args.n_blocks = k;
            stage_blocks[0].x = s == 0 ? image[b].data_ptr<float>() : pooled[s - 1][b].data_ptr<float>();
            args.blocks = stage_blocks;
            args.height = sh;
            args.width = sw;
            args.side = &sides[s].args;
            if (s < 3) args.pooled = pooled[s][b].data_ptr<float>();
            const int64_t need = pk::stage_scratch(args).total;
            {
                RECORD_FUNCTION("ganvas::pidinet_stage", std::vector<c10::IValue>());
                // Segments of even rows, each walked by two threads from its two ends (StageRows);
                // one segment for two threads.
                const int segments = (threads + 1) / 2;
                std::vector<pk::StageRows> rows(static_cast<size_t>(segments));
                // Rows in proportion to the segment's threads (the last has one when odd), cut at even rows.
                const auto cut = [&](int j) { return j == segments ? sh : sh * 2 * j / threads / 2 * 2; };
                for (int j = 0; j < segments; ++j) rows[static_cast<size_t>(j)].word = (cut(j + 1) << 32) | cut(j);
                at::parallel_for(0, threads, 1, [&](int64_t begin, int64_t end) {
                    thread_local LineAlignedFloats scratch;
                    float* buffer = scratch.get(need);
                    for (int64_t t = begin; t < end; ++t)
                        kernels_->stage_rows(args, &rows[static_cast<size_t>(t / 2)], t % 2 == 0, buffer);
                });
            }
            side_passes(sides[s], b);
        }
    }
    std::vector<torch::Tensor> logits;
    for (size_t s = 0; s < 4; ++s) logits.push_back(side_result(s, sides[s]));
    return logits;
}

void PiDiNetImpl::prepare_fused(const pidinet_kernels::Kernels* kernels) {
    torch::NoGradGuard no_grad;
    for (auto& block : blocks) block->prepare_fused(kernels);
    kernels_ = kernels;
    side_packs_.clear();
    if (!kernels_) return;
    // init_block [60][3][3][3] -> [tap][in] rows x [out] columns, as BlockArgs::dense.
    packed_init_ = pad_columns(packable(init_block->weight).permute({2, 3, 1, 0}).reshape({-1, kWidth}));
    namespace pk = pidinet_kernels;
    const int64_t d = pk::kSideWidth;
    for (size_t i = 0; i < 4; ++i) {
        auto* cdcm = dilations[i]->as<Cdcm>();
        auto* csam = attentions[i]->as<Csam>();
        const int64_t c = cdcm->conv1->options.in_channels();
        SidePack pack;
        pack.reduce = pad_columns(packable(cdcm->conv1->weight).reshape({d, c}).t());
        pack.reduce_bias = pad_columns(packable(cdcm->conv1->bias).reshape({1, d})).reshape({-1});
        pack.dilated = torch::empty({pk::kSideTaps, d, d});  // [tap][in][out]
        for (int k = 0; k < pk::kSideTaps; ++k) {
            torch::Tensor tap;  // [out][in]
            if (k == 32) {
                tap = torch::zeros({d, d});
                for (int b = 0; b < 4; ++b) tap += packable(cdcm->branches[b]->weight).select(3, 1).select(2, 1);
            } else {
                int dy, dx;
                pk::side_tap_offset(k, &dy, &dx);
                const int64_t dil = 5 + 2 * (k / 8);
                tap = packable(cdcm->branches[k / 8]->weight).select(3, dx / dil + 1).select(2, dy / dil + 1);
            }
            pack.dilated[k].copy_(tap.t());
        }
        // Per dilation: the F(2, 3) and F(4, 3) transforms of each column of taps (SideArgs::winograd,
        // winograd4; computed in double), and all 9 taps as they are.
        pack.winograd = torch::empty({4, 4, 3, d, d});   // [dilation][k][column][in][out]
        pack.winograd4 = torch::empty({4, 6, 3, d, d});  // [dilation][k][column][in][out]
        pack.direct = torch::empty({4, 9, d, d});        // [dilation][tap][in][out]
        for (int b = 0; b < 4; ++b) {
            const auto w = packable(cdcm->branches[b]->weight);  // [out][in][3][3]
            for (int j = 0; j < 3; ++j) {
                const auto column = w.select(3, j).to(torch::kDouble);
                const auto g0 = column.select(2, 0), g1 = column.select(2, 1), g2 = column.select(2, 2);
                const torch::Tensor f2[4] = {g0, (g0 + g1 + g2) / 2, (g0 - g1 + g2) / 2, g2};
                const torch::Tensor f4[6] = {g0 / 4,
                                             -(g0 + g1 + g2) / 6,
                                             -(g0 - g1 + g2) / 6,
                                             (g0 + 2 * g1 + 4 * g2) / 24,
                                             (g0 - 2 * g1 + 4 * g2) / 24,
                                             g2};
                for (int k = 0; k < 4; ++k) pack.winograd[b][k][j].copy_(f2[k].t());
                for (int k = 0; k < 6; ++k) pack.winograd4[b][k][j].copy_(f4[k].t());
            }
            for (int t = 0; t < 9; ++t) pack.direct[b][t].copy_(w.select(3, t % 3).select(2, t / 3).t());
        }
        pack.attention = packable(csam->conv1->weight).reshape({4, d}).contiguous();
        pack.attention_bias = packable(csam->conv1->bias).contiguous();
        pack.map = packable(conv_reduces[i]->as<MapReduce>()->conv->weight).reshape({d}).contiguous();
        pack.gate = packable(csam->conv2->weight).reshape({4 * 9}).contiguous();
        side_packs_.push_back(pack);
    }
}

namespace pidinet_kernels {

StageScratch stage_scratch(const StageArgs& args) {
    StageScratch layout;
    const int64_t W = args.width;
    auto take = [&](int64_t floats) {
        const int64_t at = layout.total;
        layout.total += (floats + 15) / 16 * 16;
        return at;
    };
    int64_t widest = 0;
    for (int b = 0; b < args.n_blocks; ++b) {
        const BlockArgs& blk = args.blocks[b];
        layout.ring_rows[b] = b + 1 < args.n_blocks ? args.blocks[b + 1].kernel_size : 2;
        layout.ring[b] = take(layout.ring_rows[b] * W * blk.out_channels);
        const int64_t taps = blk.dense ? blk.kernel_size * blk.kernel_size : 1;
        widest = std::max(widest, padded(taps * blk.in_channels));
    }
    layout.depthwise = take(W * widest);
    const int64_t last = args.blocks[args.n_blocks - 1].out_channels;
    layout.side = take(side_reduce_scratch(last));
    return layout;
}

const Kernels* select_kernels() {
    static const Kernels* const chosen = [] {
        // Each set only where it is built (x86-64) and the CPU runs it.
        const Kernels* avx512 = cpu_has("avx512f") ? avx512_kernels() : nullptr;
        const Kernels* avx2 = cpu_has("avx2") && cpu_has("fma") ? avx2_kernels() : nullptr;
        const char* env = std::getenv("GANVAS_PIDINET_KERNELS");
        if (!env || !*env) return avx512 ? avx512 : avx2;
        if (!std::strcmp(env, "none")) return static_cast<const Kernels*>(nullptr);
        if (!std::strcmp(env, "avx2") && avx2) return avx2;
        if (!std::strcmp(env, "avx512") && avx512) return avx512;
        throw Error(std::string("GANVAS_PIDINET_KERNELS=") + env +
                    ": expected avx512, avx2 or none (and a CPU and a build that have it)");
    }();
    return chosen;
}

}  // namespace pidinet_kernels

PiDiNet load_pidinet(const std::filesystem::path& path) {
    const auto state = PthCheckpoint::read(path).state_dict();
    PiDiNet net;
    net->load_state(state, path.string());
    net->eval();
    // Channels-last: oneDNN runs the depthwise, 1x1 and dilated convolutions 2-4x faster so.
    torch::NoGradGuard no_grad;
    for (auto& p : net->parameters()) {
        if (p.dim() == 4) p.set_data(p.contiguous(torch::MemoryFormat::ChannelsLast));
    }
    return net;
}

torch::Tensor pidinet_edges(PiDiNet& net, const torch::Tensor& rgb01, const torch::Device& device) {
    torch::InferenceMode guard;
    static const auto mean = torch::tensor({0.485f, 0.456f, 0.406f}).view({3, 1, 1});
    static const auto stddev = torch::tensor({0.229f, 0.224f, 0.225f}).view({3, 1, 1});
    auto x = ((rgb01 - mean) / stddev).unsqueeze(0).to(device).contiguous(torch::MemoryFormat::ChannelsLast);
    return net->forward(x)[0][0].to(torch::kCPU);
}

}  // namespace ganvas
