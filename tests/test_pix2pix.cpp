// pix2pix: networks, objectives, paired data, optimizer and transposed-convolution kernels, model.
#include "test_util.h"

#include "ganvas/core/checkpoint.h"
#include "ganvas/core/color.h"
#include "ganvas/core/error.h"
#include "ganvas/core/image.h"
#include "ganvas/data/paired.h"
#include "ganvas/eval/paired_eval.h"
#include "ganvas/infer/predictor.h"
#include "ganvas/losses/gan_loss.h"
#include "ganvas/models/registry.h"
#include "ganvas/models/pix2pix/pix2pix_model.h"
#include "ganvas/nn/adam.h"
#include "ganvas/nn/conv_transpose.h"
#include "ganvas/nn/pointwise.h"
#include "ganvas/nn/small_conv.h"
#include "ganvas/nn/spectral_norm.h"
#include "ganvas/nn/winograd_conv.h"

#include <opencv2/imgproc.hpp>

#include <cmath>
#include <map>
#include <set>

namespace ganvas {
namespace {

using test::SeededTest;
using test::TempDir;
namespace fs = std::filesystem;

std::map<std::string, std::vector<int64_t>> shapes_by_key(const torch::nn::Module& m) {
    std::map<std::string, std::vector<int64_t>> out;
    for (const auto& p : m.named_parameters()) out[p.key()] = p.value().sizes().vec();
    for (const auto& b : m.named_buffers()) out[b.key()] = b.value().sizes().vec();
    return out;
}

// A small pix2pix for fast runs: ResNet generator with 6 blocks at 32x32, widths 8.
Pix2PixOptions tiny_options() {
    Pix2PixOptions o;
    o.netG = "resnet_6blocks";
    o.ngf = 8;
    o.ndf = 8;
    o.crop_size = 32;
    o.load_size = 36;
    return o;
}

Batch random_pair_batch(int64_t n, int64_t size) {
    Batch b;
    b.input = torch::rand({n, 3, size, size});
    b.target = torch::rand({n, 3, size, size});
    b.label = torch::full({n}, -1, torch::kLong);
    return b;
}

// --- networks -----------------------------------------------------------------------------------

TEST_F(SeededTest, UnetShapesFor256And128) {
    UnetGenerator g256(3, 3, 8, 4, NormKind::Batch, true);
    EXPECT_EQ(g256->forward(torch::rand({1, 3, 256, 256})).sizes(), torch::IntArrayRef({1, 3, 256, 256}));
    UnetGenerator g128(1, 2, 7, 4, NormKind::Batch, true);
    EXPECT_EQ(g128->forward(torch::rand({2, 1, 128, 128})).sizes(), torch::IntArrayRef({2, 2, 128, 128}));
}

TEST_F(SeededTest, UnetLevelsConcatenateTheirInputAndBottomOutAtOnePixel) {
    for (int64_t levels : {7, 8}) {
        const int64_t size = int64_t{1} << levels;
        UnetGenerator g(3, 3, levels, 4, NormKind::Batch, false);
        torch::NoGradGuard no_grad;
        auto x = torch::rand({1, 3, size, size});
        UnetLevelImpl* level = g->model.get();
        for (int64_t depth = 0;; ++depth) {
            auto out = level->forward(x);
            if (depth == 0) {
                EXPECT_EQ(out.sizes(), x.sizes());
            } else {
                // The skip connection: the input passes through unchanged, the level's output follows.
                ASSERT_EQ(out.size(1), x.size(1) * 2) << "level " << depth;
                EXPECT_TRUE(torch::equal(out.narrow(1, 0, x.size(1)), x)) << "level " << depth;
                EXPECT_EQ(out.size(2), x.size(2));
            }
            // Run the layers in front of the inner level to get the input it receives.
            UnetLevelImpl* inner = nullptr;
            torch::Tensor h = x;
            for (auto& layer : *level->model) {
                if ((inner = layer.ptr()->as<UnetLevel>())) break;
                h = layer.forward(h);
            }
            if (!inner) {
                EXPECT_EQ(depth, levels - 1) << "levels";
                EXPECT_EQ(x.size(2), 2) << "the innermost level's input is 2x2, its down conv makes 1x1";
                break;
            }
            x = h;
            level = inner;
        }
    }
}

TEST_F(SeededTest, StateDictKeysFollowTheReferenceNames) {
    Pix2PixOptions o;
    auto g = make_pix2pix_generator(o);
    auto d = make_pix2pix_discriminator(o);
    const auto gk = shapes_by_key(*g.ptr());
    const auto dk = shapes_by_key(*d.ptr());
    const std::string inner6 = "model.model.1.model.3.model.3.model.3.model.3.model.3.model.3.";
    const std::map<std::string, std::vector<int64_t>> expected_g = {
        {"model.model.0.weight", {64, 3, 4, 4}},
        {"model.model.3.weight", {128, 3, 4, 4}},
        {"model.model.3.bias", {3}},
        {"model.model.1.model.1.weight", {128, 64, 4, 4}},
        {"model.model.1.model.2.weight", {128}},
        {"model.model.1.model.2.running_mean", {128}},
        {"model.model.1.model.2.num_batches_tracked", {}},
        {"model.model.1.model.5.weight", {256, 64, 4, 4}},
        {"model.model.1.model.6.running_var", {64}},
        {inner6 + "model.1.weight", {512, 512, 4, 4}},
        {inner6 + "model.3.weight", {512, 512, 4, 4}},
        {inner6 + "model.4.weight", {512}},
    };
    for (const auto& [key, shape] : expected_g) {
        ASSERT_TRUE(gk.count(key)) << key;
        EXPECT_EQ(gk.at(key), shape) << key;
    }
    EXPECT_FALSE(gk.count("model.model.0.bias")) << "convs before batch norm have no bias in the reference";
    const std::map<std::string, std::vector<int64_t>> expected_d = {
        {"model.0.weight", {64, 6, 4, 4}}, {"model.0.bias", {64}},       {"model.2.weight", {128, 64, 4, 4}},
        {"model.3.weight", {128}},         {"model.5.weight", {256, 128, 4, 4}}, {"model.8.weight", {512, 256, 4, 4}},
        {"model.9.running_mean", {512}},   {"model.11.weight", {1, 512, 4, 4}},  {"model.11.bias", {1}},
    };
    for (const auto& [key, shape] : expected_d) {
        ASSERT_TRUE(dk.count(key)) << key;
        EXPECT_EQ(dk.at(key), shape) << key;
    }
    // The reference prints 54.414 M and 2.769 M parameters for these two networks.
    EXPECT_EQ(count_parameters(*g.ptr()), 54413955);
    EXPECT_EQ(count_parameters(*d.ptr()), 2768705);
}

TEST_F(SeededTest, PatchGanReceptiveFieldIs70AndMatchesTheGradientSupport) {
    NLayerDiscriminator d(6, 4, 3, NormKind::None);
    EXPECT_EQ(receptive_field(d->model), 70);
    EXPECT_EQ(receptive_field(NLayerDiscriminator(6, 4, 1, NormKind::None)->model), 16);
    EXPECT_EQ(receptive_field(NLayerDiscriminator(6, 4, 5, NormKind::None)->model), 286);
    // The pixels one logit depends on: the support of its input gradient.
    init_weights(*d, "normal", 0.02);
    auto x = torch::rand({1, 6, 128, 128}).requires_grad_(true);
    auto out = d->forward(x);
    out.index({0, 0, out.size(2) / 2, out.size(3) / 2}).backward();
    auto support = x.grad().abs().sum(std::vector<int64_t>{0, 1}) > 0;
    auto rows = support.any(1).nonzero();
    auto cols = support.any(0).nonzero();
    EXPECT_EQ(rows.max().item<int64_t>() - rows.min().item<int64_t>() + 1, 70);
    EXPECT_EQ(cols.max().item<int64_t>() - cols.min().item<int64_t>() + 1, 70);
}

TEST_F(SeededTest, ResnetAndPixelNetworksHaveTheirShapes) {
    ResnetGenerator g(3, 3, 6, 8, NormKind::Instance, false);
    EXPECT_EQ(g->forward(torch::rand({1, 3, 32, 32})).sizes(), torch::IntArrayRef({1, 3, 32, 32}));
    const auto keys = shapes_by_key(*g);
    EXPECT_TRUE(keys.count("model.10.conv_block.1.weight"));
    EXPECT_TRUE(keys.count("model.1.bias")) << "instance norm keeps conv biases in the reference";
    PixelDiscriminator d(6, 8, NormKind::Batch);
    EXPECT_EQ(d->forward(torch::rand({1, 6, 20, 20})).sizes(), torch::IntArrayRef({1, 1, 20, 20}));
    EXPECT_EQ(receptive_field(d->net), 1);
}

TEST_F(SeededTest, InitTypesSetTheReferenceStatistics) {
    NLayerDiscriminator d(6, 64, 3, NormKind::Batch);
    init_weights(*d, "normal", 0.02);
    auto w = d->model[2]->as<FastConv2d>()->weight;
    EXPECT_NEAR(w.std().item<double>(), 0.02, 0.001);
    EXPECT_NEAR(d->model[3]->as<ContextBatchNorm2d>()->weight.mean().item<double>(), 1.0, 0.01);
    init_weights(*d, "orthogonal", 1.0);
    auto m = d->model[2]->as<FastConv2d>()->weight.reshape({128, -1});
    EXPECT_LT((m.mm(m.t()) - torch::eye(128)).abs().max().item<double>(), 1e-4);
    EXPECT_THROW(init_weights(*d, "uniform", 0.02), UsageError);
}

// --- objectives ---------------------------------------------------------------------------------

TEST(GanObjectives, LossesOnKnownLogits) {
    const auto logits = torch::tensor({2.0f, -1.0f});
    using G = GanObjective;
    const double sp2 = std::log1p(std::exp(-2.0)), sp1 = std::log1p(std::exp(1.0));  // softplus(-2), softplus(1)
    EXPECT_NEAR(gan_d_loss(G::Vanilla, logits, true).item<double>(), (sp2 + sp1) / 2, 1e-6);
    EXPECT_NEAR(gan_d_loss(G::Vanilla, logits, false).item<double>(),
                (std::log1p(std::exp(2.0)) + std::log1p(std::exp(-1.0))) / 2, 1e-6);
    EXPECT_NEAR(gan_g_loss(G::Vanilla, logits).item<double>(), (sp2 + sp1) / 2, 1e-6);
    EXPECT_NEAR(gan_d_loss(G::Lsgan, logits, true).item<double>(), (1.0 + 4.0) / 2, 1e-6);
    EXPECT_NEAR(gan_d_loss(G::Lsgan, logits, false).item<double>(), (4.0 + 1.0) / 2, 1e-6);
    EXPECT_NEAR(gan_d_loss(G::Hinge, logits, true).item<double>(), (0.0 + 2.0) / 2, 1e-6);
    EXPECT_NEAR(gan_d_loss(G::Hinge, logits, false).item<double>(), (3.0 + 0.0) / 2, 1e-6);
    EXPECT_NEAR(gan_g_loss(G::Hinge, logits).item<double>(), -0.5, 1e-6);
    EXPECT_NEAR(gan_d_loss(G::Wgangp, logits, true).item<double>(), -0.5, 1e-6);
    EXPECT_NEAR(gan_d_loss(G::Wgangp, logits, false).item<double>(), 0.5, 1e-6);
    EXPECT_NEAR(gan_g_loss(G::Wgangp, logits).item<double>(), -0.5, 1e-6);
    EXPECT_THROW(parse_gan_objective("wgan"), UsageError);
}

TEST_F(SeededTest, GradientPenaltyOfALinearCritic) {
    // D(x) = sum(c * x) per sample: its gradient is c wherever x is, so the penalty is
    // weight * (||c|| - 1)^2 whatever the mixing coefficients.
    const auto c = torch::tensor({3.0f, 0.0f, 0.0f, 4.0f}).view({1, 1, 2, 2});  // ||c|| = 5
    auto critic = [&](const torch::Tensor& x) { return (x * c).sum({1, 2, 3}); };
    auto real = torch::rand({3, 1, 2, 2}), fake = torch::rand({3, 1, 2, 2});
    EXPECT_NEAR(gradient_penalty(critic, real, fake, 10.0).item<double>(), 10.0 * 16.0, 1e-3);
    const auto unit = torch::tensor({0.6f, 0.0f, 0.8f, 0.0f}).view({1, 1, 2, 2});
    auto unit_critic = [&](const torch::Tensor& x) { return (x * unit).sum({1, 2, 3}); };
    EXPECT_NEAR(gradient_penalty(unit_critic, real, fake, 10.0).item<double>(), 0.0, 1e-5);
    // A quadratic critic D(x) = sum(x^2): gradient 2x at the mixed point, so the penalty depends
    // on where that point lies; with real == fake it is fixed: (2 ||real|| - 1)^2.
    auto quad = [](const torch::Tensor& x) { return x.pow(2).sum({1, 2, 3}); };
    auto same = torch::full({1, 1, 2, 2}, 0.5f);  // ||x|| = 1 -> ||grad|| = 2
    EXPECT_NEAR(gradient_penalty(quad, same, same, 10.0).item<double>(), 10.0, 1e-4);
}

// --- kernels ------------------------------------------------------------------------------------

TEST_F(SeededTest, OnednnTransposedConvolutionMatchesTheReference) {
    for (auto [cin, cout, h, k, s, p, op] : std::vector<std::array<int64_t, 7>>{
             {8, 4, 16, 4, 2, 1, 0}, {6, 3, 5, 3, 2, 1, 1}, {4, 4, 7, 4, 2, 1, 0}}) {
        auto x = torch::randn({2, cin, h, h}, torch::requires_grad());
        auto w = (torch::randn({cin, cout, k, k}) * 0.1).requires_grad_(true);
        auto b = torch::randn({cout}, torch::requires_grad());
        auto gy = torch::Tensor();
        auto ref = conv_transpose2d(x, w, b, s, p, op, ConvTransposePath::Reference);
        gy = torch::randn_like(ref);
        auto ref_grads = torch::autograd::grad({ref}, {x, w, b}, {gy});
        auto fast = conv_transpose2d(x, w, b, s, p, op, ConvTransposePath::Onednn);
        ASSERT_EQ(fast.sizes(), ref.sizes());
        auto fast_grads = torch::autograd::grad({fast}, {x, w, b}, {gy});
        EXPECT_LT((fast - ref).abs().max().item<double>(), 1e-4);
        for (int i = 0; i < 3; ++i) {
            EXPECT_LT((fast_grads[i] - ref_grads[i]).abs().max().item<double>(),
                      1e-4 * (1 + ref_grads[i].abs().max().item<double>()))
                << "gradient " << i;
        }
    }
}

// The small-map kernels against LibTorch's convolutions, forward and both gradients: batch 1 and
// 2, pixel counts that fill whole tiles (64, 16, 4, 1) and ones that leave tails (6, 15), wide
// weight matrices (1024 x 8192, padded leading dimension, several column blocks per thread) and
// narrow ones (80 columns: a short last block), and a transposed 3x3 with output padding.
// Runs `body` with 1, 2 and 3 intra-op threads (the kernels split their work by thread), then
// restores the count.
template <typename Body>
void with_thread_counts(Body body) {
    const int threads = at::get_num_threads();
    for (int t : {1, 2, 3}) {
        SCOPED_TRACE(std::to_string(t) + " thread(s)");
        at::set_num_threads(t);
        body();
    }
    at::set_num_threads(threads);
}

// The hand-written kernels, once per instruction set (X86Kernels/avx512, X86Kernels/avx2): a CPU
// with AVX-512 tests its AVX2 path too. test_main filters out a set this build or CPU lacks (the
// callers then run LibTorch's ops, which the model tests cover).
class X86Kernels : public SeededTest, public ::testing::WithParamInterface<std::string> {
protected:
    void SetUp() override {
        SeededTest::SetUp();
        saved_small_ = small_conv_isa();
        saved_winograd_ = winograd_isa();
        saved_pointwise_ = pointwise_isa();
        set_small_conv_isa(GetParam());
        set_winograd_isa(GetParam());
        set_pointwise_isa(GetParam());
    }
    void TearDown() override {
        set_small_conv_isa(saved_small_);
        set_winograd_isa(saved_winograd_);
        set_pointwise_isa(saved_pointwise_);
    }

private:
    std::string saved_small_, saved_winograd_, saved_pointwise_;
};
INSTANTIATE_TEST_SUITE_P(Isa, X86Kernels, ::testing::Values("avx512", "avx2"),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

TEST_P(X86Kernels, ChoiceFollowsTheRequestAndRefusesUnknownSets) {
    EXPECT_EQ(small_conv_isa(), GetParam());
    EXPECT_EQ(winograd_isa(), GetParam());
    EXPECT_TRUE(small_conv_enabled());
    set_small_conv_isa("none");
    EXPECT_FALSE(small_conv_enabled());
    EXPECT_EQ(small_conv_isa(), "none");
    try {
        set_winograd_isa("sse2");
        FAIL() << "an unknown instruction set was accepted";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("GANVAS_WINOGRAD_KERNELS=sse2"), std::string::npos) << e.what();
    }
    EXPECT_EQ(winograd_isa(), GetParam()) << "a refused request changed the choice";
}

// The fused MRU operations (pointwise.h) against the same formulas in LibTorch's operators, forward
// and every gradient: both memory formats, a size that leaves a vector tail, arguments over the
// whole useful range (sigmoid's saturation at +-90 included), 1-3 threads.
TEST_P(X86Kernels, FusedPointwiseOpsMatchLibTorch) {
    EXPECT_EQ(pointwise_isa(), GetParam());
    const auto reference = [](const std::string& op, const std::vector<torch::Tensor>& in) {
        if (op == "smooth") return 0.5 * (in[0] + torch::sqrt(0.09 + in[0] * in[0]));
        if (op == "prelu") return torch::where(in[0] > 0, in[0], in[1] * in[0]);
        if (op == "gate") return torch::sigmoid(in[1]) * in[0];
        const auto n = torch::sigmoid(in[2]);
        return (1 - n) * in[0] + n * in[1];
    };
    const auto fused = [](const std::string& op, const std::vector<torch::Tensor>& in) {
        if (op == "smooth") return smooth_relu(in[0]);
        if (op == "prelu") return prelu1(in[0], in[1]);
        if (op == "gate") return sigmoid_gate(in[0], in[1]);
        return sigmoid_mix(in[0], in[1], in[2]);
    };
    const std::map<std::string, int> arity{{"smooth", 1}, {"prelu", 2}, {"gate", 2}, {"mix", 3}};
    with_thread_counts([&] {
        for (const auto format : {torch::MemoryFormat::Contiguous, torch::MemoryFormat::ChannelsLast}) {
            for (const auto& [op, count] : arity) {
                SCOPED_TRACE(op + (format == torch::MemoryFormat::ChannelsLast ? " channels-last" : " contiguous"));
                std::vector<torch::Tensor> in;
                for (int i = 0; i < count; ++i) {
                    auto t = torch::randn({3, 5, 67, 71}) * 4;
                    if (i == count - 1 && (op == "gate" || op == "mix")) {
                        t.view(-1).narrow(0, 0, 4).copy_(torch::tensor({-90.f, 90.f, -30.f, 30.f}));
                    }
                    t = (op == "prelu" && i == 1) ? torch::tensor({0.2f}) : t.contiguous(format);
                    in.push_back(t.requires_grad_());
                }
                const auto y = fused(op, in), y_ref = reference(op, in);
                EXPECT_EQ(y.sizes(), y_ref.sizes());
                EXPECT_TRUE(y.is_contiguous(format)) << "the output keeps the input's memory format";
                EXPECT_LT((y - y_ref).abs().max().item<double>(), 2e-6 * (1 + y_ref.abs().max().item<double>()));
                const auto g = torch::randn_like(y_ref);
                const auto grads = torch::autograd::grad({y}, in, {g});
                const auto grads_ref = torch::autograd::grad({y_ref}, in, {g});
                for (int i = 0; i < count; ++i) {
                    SCOPED_TRACE("gradient " + std::to_string(i));
                    const double scale = 1 + grads_ref[i].abs().max().item<double>();
                    EXPECT_LT((grads[i] - grads_ref[i]).abs().max().item<double>(), 1e-5 * scale);
                }
            }
        }
    });
    // Without a graph (InferenceMode, as in translate) the same values.
    const auto x = torch::randn({2, 3, 5, 5}), p = torch::randn({2, 3, 5, 5});
    const auto expected = torch::sigmoid(p) * x;
    torch::InferenceMode guard;
    EXPECT_TRUE(torch::allclose(sigmoid_gate(x, p), expected, 1e-6, 1e-6));
}

TEST_P(X86Kernels, SmallMapConvolutionsMatchLibTorch) {
    ASSERT_EQ(small_conv_isa(), GetParam());
    struct Case {
        bool transposed;
        int64_t n, cin, cout, h, w, k, s, p, op;
    };
    const std::vector<Case> cases = {
        {false, 1, 512, 512, 16, 16, 4, 2, 1, 0},  {false, 1, 64, 48, 2, 2, 4, 2, 1, 0},
        {false, 2, 32, 40, 8, 6, 4, 2, 1, 0},      {false, 1, 5, 7, 5, 7, 4, 2, 1, 0},
        {false, 1, 16, 24, 5, 9, 3, 1, 1, 0},     {true, 1, 1024, 512, 8, 8, 4, 2, 1, 0},
        {true, 1, 1024, 512, 2, 2, 4, 2, 1, 0},    {true, 1, 512, 512, 1, 1, 4, 2, 1, 0},
        {true, 2, 24, 5, 3, 5, 4, 2, 1, 0},        {true, 1, 16, 32, 3, 5, 3, 2, 1, 1},
    };
    with_thread_counts([&] {
        for (const auto& c : cases) {
            SCOPED_TRACE((c.transposed ? "transposed " : "conv ") + std::to_string(c.cin) + "->" + std::to_string(c.cout) +
                         " on " + std::to_string(c.n) + "x" + std::to_string(c.h) + "x" + std::to_string(c.w));
            auto x = torch::randn({c.n, c.cin, c.h, c.w}, torch::requires_grad());
            auto w = (torch::randn(c.transposed ? std::vector<int64_t>{c.cin, c.cout, c.k, c.k}
                                                : std::vector<int64_t>{c.cout, c.cin, c.k, c.k}) * 0.05)
                         .requires_grad_(true);
            ASSERT_TRUE(small_conv_fits(x, w, c.transposed, c.s, c.p, c.op));
            auto ref = c.transposed ? torch::conv_transpose2d(x, w, {}, c.s, c.p, c.op) : torch::conv2d(x, w, {}, c.s, c.p);
            auto got = c.transposed ? small_conv_transpose2d(x, w, c.s, c.p, c.op) : small_conv2d(x, w, c.s, c.p);
            ASSERT_EQ(got.sizes(), ref.sizes());
            auto gy = torch::randn_like(ref);
            auto want = torch::autograd::grad({ref}, {x, w}, {gy});
            auto have = torch::autograd::grad({got}, {x, w}, {gy});
            EXPECT_LT((got - ref).abs().max().item<double>(), 1e-5 * (1 + ref.abs().max().item<double>()));
            for (int i = 0; i < 2; ++i) {
                EXPECT_LT((have[i] - want[i]).abs().max().item<double>(), 1e-5 * (1 + want[i].abs().max().item<double>()))
                    << (i == 0 ? "input gradient" : "weight gradient");
            }
        }
    });
    // The modules route small maps here and add their bias outside; larger maps go to LibTorch.
    FastConv2d down(Conv2dSpec{32, 16, 4, 2, 1, true});
    FastConvTranspose2d up(ConvTranspose2dSpec{16, 8, 4, 2, 1, 0, true});
    for (int64_t side : {4, 32}) {
        auto x = torch::randn({1, 32, side, side});
        auto y = down->forward(x);
        EXPECT_LT((y - torch::conv2d(x, down->weight, down->bias, 2, 1)).abs().max().item<double>(), 1e-5);
        auto z = up->forward(y);
        EXPECT_LT((z - torch::conv_transpose2d(y, up->weight, up->bias, 2, 1)).abs().max().item<double>(), 1e-5);
    }
    // Too many pixels, or an unsupported shape, is declined (the caller then runs LibTorch's op).
    EXPECT_FALSE(small_conv_fits(torch::zeros({1, 64, 32, 32}), torch::zeros({64, 64, 4, 4}), false, 2, 1, 0));
    EXPECT_FALSE(small_conv_fits(torch::zeros({1, 64, 16, 16}), torch::zeros({64, 64, 4, 4}), true, 2, 1, 0));
    EXPECT_FALSE(small_conv_fits(torch::zeros({1, 5, 4, 4}), torch::zeros({8, 5, 3, 3}), false, 1, 1, 0));
    EXPECT_FALSE(small_conv_fits(torch::zeros({1, 16, 4, 4}, torch::kDouble), torch::zeros({8, 16, 4, 4}), false, 2, 1, 0));
}

TEST_P(X86Kernels, WinogradConvolutionsMatchLibTorch) {
    ASSERT_EQ(winograd_isa(), GetParam());
    struct Case {
        int64_t n, cin, cout, h, w, p;
    };
    // The PatchGAN's layer; a batch of 2 with channel counts off the 16-lane grid; 20-22 tiles per
    // row (two lane groups whose tiles overlap); paddings 0 and 3; a tile count of 16 (no tail).
    const std::vector<Case> cases = {
        {1, 256, 512, 32, 32, 1}, {2, 40, 33, 13, 17, 1}, {1, 32, 48, 60, 66, 1},
        {1, 36, 32, 20, 15, 0},   {1, 32, 32, 9, 9, 3},
    };
    with_thread_counts([&] {
        for (const auto& c : cases) {
            SCOPED_TRACE(std::to_string(c.cin) + "->" + std::to_string(c.cout) + " on " + std::to_string(c.n) + "x" +
                         std::to_string(c.h) + "x" + std::to_string(c.w) + " pad " + std::to_string(c.p));
            auto x = torch::randn({c.n, c.cin, c.h, c.w}, torch::requires_grad());
            auto w = (torch::randn({c.cout, c.cin, 4, 4}) * 0.05).requires_grad_(true);
            ASSERT_TRUE(winograd_fits(x, w, 1, c.p));
            // The reference in double precision: float32 Winograd rounds ~30x coarser than a direct sum.
            auto xd = x.detach().to(torch::kDouble).requires_grad_(true);
            auto wd = w.detach().to(torch::kDouble).requires_grad_(true);
            auto ref = torch::conv2d(xd, wd, {}, 1, c.p);
            auto got = winograd_conv2d(x, w, c.p);
            ASSERT_EQ(got.sizes(), ref.sizes());
            auto gy = torch::randn(ref.sizes());
            auto want = torch::autograd::grad({ref}, {xd, wd}, {gy.to(torch::kDouble)});
            auto have = torch::autograd::grad({got}, {x, w}, {gy});
            auto close = [](const torch::Tensor& a, const torch::Tensor& b) {
                return (a.to(torch::kDouble) - b).abs().max().item<double>() / b.abs().max().item<double>();
            };
            EXPECT_LT(close(got, ref), 5e-5);
            EXPECT_LT(close(have[0], want[0]), 5e-5) << "input gradient";
            EXPECT_LT(close(have[1], want[1]), 5e-5) << "weight gradient";
        }
    });
    // A gradient of the gradient (WGAN-GP's penalty) follows LibTorch's ops to the weight.
    auto x = torch::randn({1, 32, 14, 14}, torch::requires_grad());
    auto w = (torch::randn({32, 32, 4, 4}) * 0.05).requires_grad_(true);
    auto penalty = [&](const torch::Tensor& y) {
        auto gx = torch::autograd::grad({y.pow(2).sum()}, {x}, {}, true, true)[0];
        return torch::autograd::grad({gx.pow(2).sum()}, {w})[0];
    };
    auto want = penalty(torch::conv2d(x, w, {}, 1, 1));
    EXPECT_LT((penalty(winograd_conv2d(x, w, 1)) - want).abs().max().item<double>(), 1e-4 * want.abs().max().item<double>());
    // The PatchGAN routes its stride-1 256 -> 512 layer here (Winograd's rounding tells it apart).
    NLayerDiscriminator d(6, 64, 3, NormKind::Batch);
    auto* conv4 = d->model->ptr(8)->as<FastConv2d>();
    ASSERT_NE(conv4, nullptr);
    ASSERT_EQ(conv4->spec().stride, 1);
    auto h = torch::randn({1, 256, 32, 32});
    torch::NoGradGuard no_grad;
    EXPECT_TRUE(torch::equal(conv4->forward(h), winograd_conv2d(h, conv4->weight, 1)));
    EXPECT_FALSE(torch::equal(conv4->forward(h), torch::conv2d(h, conv4->weight, {}, 1, 1)));
    // Declined: stride 2, 3x3 filters, too few channels, a small map, doubles.
    EXPECT_FALSE(winograd_fits(torch::zeros({1, 64, 32, 32}), torch::zeros({64, 64, 4, 4}), 2, 1));
    EXPECT_FALSE(winograd_fits(torch::zeros({1, 64, 32, 32}), torch::zeros({64, 64, 3, 3}), 1, 1));
    EXPECT_FALSE(winograd_fits(torch::zeros({1, 8, 32, 32}), torch::zeros({64, 8, 4, 4}), 1, 1));
    EXPECT_FALSE(winograd_fits(torch::zeros({1, 64, 8, 8}), torch::zeros({64, 64, 4, 4}), 1, 1));
    EXPECT_FALSE(winograd_fits(torch::zeros({1, 64, 32, 32}, torch::kDouble), torch::zeros({64, 64, 4, 4}, torch::kDouble), 1, 1));
}

TEST_P(X86Kernels, Winograd3x3ConvolutionsMatchLibTorch) {
    ASSERT_EQ(winograd_isa(), GetParam());
    struct Case {
        int64_t n, cin, cout, h, w, p;
        bool bias;
    };
    // An MRU's 3x3 layer (65 = 64 + the image channel: a masked tail); channel counts off both lane
    // widths; maps not a multiple of 4 (tiles cut by the edge); padding 0 (VGG's, after its own
    // reflection padding); a batch of 3 (tiles of different images side by side).
    const std::vector<Case> cases = {
        {2, 65, 64, 16, 16, 1, true}, {3, 17, 40, 11, 13, 1, false}, {1, 32, 19, 10, 11, 0, true},
        {2, 128, 128, 8, 8, 1, false},
    };
    with_thread_counts([&] {
        for (const auto& c : cases) {
            SCOPED_TRACE(std::to_string(c.cin) + "->" + std::to_string(c.cout) + " on " + std::to_string(c.n) + "x" +
                         std::to_string(c.h) + "x" + std::to_string(c.w) + " pad " + std::to_string(c.p));
            auto x = torch::randn({c.n, c.cin, c.h, c.w})
                         .contiguous(torch::MemoryFormat::ChannelsLast)
                         .requires_grad_(true);
            auto w = (torch::randn({c.cout, c.cin, 3, 3}) * 0.05).requires_grad_(true);
            auto b = c.bias ? torch::randn({c.cout}).requires_grad_(true) : torch::Tensor();
            ASSERT_TRUE(winograd3x3_fits(x, w, 1, c.p));
            auto xd = x.detach().to(torch::kDouble).requires_grad_(true);
            auto wd = w.detach().to(torch::kDouble).requires_grad_(true);
            auto bd = c.bias ? b.detach().to(torch::kDouble).requires_grad_(true) : torch::Tensor();
            auto ref = torch::conv2d(xd, wd, bd, 1, c.p);
            auto got = winograd3x3_conv2d(x, w, b, c.p);
            ASSERT_EQ(got.sizes(), ref.sizes());
            EXPECT_TRUE(got.is_contiguous(torch::MemoryFormat::ChannelsLast));
            auto gy = torch::randn(ref.sizes());
            std::vector<torch::Tensor> want_of = {xd, wd}, have_of = {x, w};
            if (c.bias) want_of.push_back(bd), have_of.push_back(b);
            auto want = torch::autograd::grad({ref}, want_of, {gy.to(torch::kDouble)});
            auto have = torch::autograd::grad({got}, have_of, {gy});
            auto close = [](const torch::Tensor& a, const torch::Tensor& b) {
                return (a.to(torch::kDouble) - b).abs().max().item<double>() / b.abs().max().item<double>();
            };
            EXPECT_LT(close(got, ref), 5e-5);
            EXPECT_LT(close(have[0], want[0]), 5e-5) << "input gradient";
            EXPECT_LT(close(have[1], want[1]), 5e-5) << "weight gradient";
            if (c.bias) EXPECT_LT(close(have[2], want[2]), 1e-5) << "bias gradient";
        }
    });
    // A gradient of the gradient follows LibTorch's ops.
    auto x = torch::randn({1, 16, 10, 10}).contiguous(torch::MemoryFormat::ChannelsLast).requires_grad_(true);
    auto w = (torch::randn({16, 16, 3, 3}) * 0.05).requires_grad_(true);
    auto penalty = [&](const torch::Tensor& y) {
        auto gx = torch::autograd::grad({y.pow(2).sum()}, {x}, {}, true, true)[0];
        return torch::autograd::grad({gx.pow(2).sum()}, {w})[0];
    };
    auto want = penalty(torch::conv2d(x, w, {}, 1, 1));
    EXPECT_LT((penalty(winograd3x3_conv2d(x, w, {}, 1)) - want).abs().max().item<double>(), 1e-4 * want.abs().max().item<double>());
    // In training SNConv2d (the MRU's convolutions) and the VGG loss network route here on
    // channels-last maps; without autograd (inference, served concurrently) they do not.
    SNConv2d conv(32, 32, 3, 1, 1, true, false);
    auto h = torch::randn({2, 32, 16, 16}).contiguous(torch::MemoryFormat::ChannelsLast);
    EXPECT_TRUE(torch::equal(conv->forward(h), winograd3x3_conv2d(h, conv->weight, conv->bias, 1)));
    EXPECT_FALSE(torch::equal(conv->forward(h), torch::conv2d(h, conv->weight, conv->bias, 1, 1)));
    {
        torch::NoGradGuard no_grad;
        EXPECT_FALSE(torch::equal(conv->forward(h), winograd3x3_conv2d(h, conv->weight, conv->bias, 1)));
    }
    // Declined: NCHW maps, stride 2, 4x4 filters, too few channels, a small map, padding 2, doubles.
    const auto cl = torch::MemoryFormat::ChannelsLast;
    EXPECT_FALSE(winograd3x3_fits(torch::zeros({2, 64, 32, 32}), torch::zeros({64, 64, 3, 3}), 1, 1));
    EXPECT_FALSE(winograd3x3_fits(torch::zeros({2, 64, 32, 32}).contiguous(cl), torch::zeros({64, 64, 3, 3}), 2, 1));
    EXPECT_FALSE(winograd3x3_fits(torch::zeros({2, 64, 32, 32}).contiguous(cl), torch::zeros({64, 64, 4, 4}), 1, 1));
    EXPECT_FALSE(winograd3x3_fits(torch::zeros({2, 8, 32, 32}).contiguous(cl), torch::zeros({64, 8, 3, 3}), 1, 1));
    EXPECT_FALSE(winograd3x3_fits(torch::zeros({2, 64, 4, 4}).contiguous(cl), torch::zeros({64, 64, 3, 3}), 1, 1));
    EXPECT_FALSE(winograd3x3_fits(torch::zeros({2, 64, 32, 32}).contiguous(cl), torch::zeros({64, 64, 3, 3}), 1, 2));
    EXPECT_FALSE(winograd3x3_fits(torch::zeros({2, 64, 32, 32}, torch::kDouble).contiguous(cl),
                                  torch::zeros({64, 64, 3, 3}, torch::kDouble), 1, 1));
}

TEST_F(SeededTest, FusedAdamFollowsTorchAdam) {
    auto a = torch::randn({300, 7}), b = a.clone();
    a.set_requires_grad(true);
    b.set_requires_grad(true);
    FusedAdam fused({a}, {1e-2, 0.5, 0.999, 1e-8});
    torch::optim::Adam stock({b}, torch::optim::AdamOptions(1e-2).betas({0.5, 0.999}));
    for (int step = 0; step < 20; ++step) {
        auto target = torch::randn({300, 7});
        fused.zero_grad();
        (a - target).pow(2).sum().backward();
        fused.step();
        stock.zero_grad();
        (b - target).pow(2).sum().backward();
        stock.step();
    }
    EXPECT_LT((a - b).abs().max().item<double>(), 1e-5);
    EXPECT_GT((a - torch::zeros_like(a)).abs().max().item<double>(), 0.0);
    fused.zero_grad();
    EXPECT_FALSE(a.grad().defined()) << "zero_grad releases gradients";
}

// --- data ---------------------------------------------------------------------------------------

TEST(PairedData, AugmentationKeepsAAndBAligned) {
    // B is A's photographic negative: any misalignment breaks B == 255 - A.
    cv::Mat a(40, 40, CV_8UC3);
    cv::randu(a, 0, 255);
    cv::Mat b = cv::Scalar(255, 255, 255) - a;
    const PairAugment aug{48, 32, true};
    std::set<std::pair<int, int>> offsets;
    int flips = 0;
    cv::Mat ra;
    cv::resize(a, ra, cv::Size(48, 48), 0, 0, cv::INTER_CUBIC);
    for (uint64_t seed = 0; seed < 40; ++seed) {
        auto [ca, cb] = augment_pair(a, b, aug, seed, true);
        ASSERT_EQ(ca.size(), cv::Size(32, 32));
        cv::Mat neg = cv::Scalar(255, 255, 255) - ca;
        // Bicubic resizing is linear up to 8-bit rounding and clipping.
        EXPECT_LE(cv::norm(neg, cb, cv::NORM_INF), 2.0) << "seed " << seed;
        // Locate the crop in the resized A (also tells whether it was flipped).
        for (int flip = 0; flip < 2; ++flip) {
            cv::Mat probe = ca;
            if (flip) cv::flip(ca, probe, 1);
            cv::Mat score;
            cv::matchTemplate(ra, probe, score, cv::TM_SQDIFF);
            double lo;
            cv::Point at;
            cv::minMaxLoc(score, &lo, nullptr, &at);
            if (lo == 0.0) {
                offsets.insert({at.x, at.y});
                flips += flip;
            }
        }
    }
    EXPECT_GT(offsets.size(), 10u) << "crops vary";
    EXPECT_GT(flips, 5);
    EXPECT_LT(flips, 35);
    // Evaluation: a plain resize to the crop size, no randomness.
    auto [ea, eb] = augment_pair(a, b, aug, 3, false);
    EXPECT_EQ(ea.size(), cv::Size(32, 32));
    auto [ea2, eb2] = augment_pair(a, b, aug, 4, false);
    EXPECT_EQ(cv::norm(ea, ea2, cv::NORM_INF), 0.0);
}

TEST(PairedData, AlignedFoldersAndDirection) {
    TempDir dir;
    cv::Mat ab(16, 32, CV_8UC3, cv::Scalar(0, 0, 0));
    ab(cv::Rect(16, 0, 16, 16)).setTo(cv::Scalar(255, 255, 255));
    write_image_rgb(dir / "ab/x_AB.png", ab);
    const PairAugment same{16, 16, false};
    PairedDataset a_to_b({dir / "ab/x_AB.png"}, PairSource::Aligned, same, false, true);
    auto ex = a_to_b.get(0, 1);
    EXPECT_EQ(ex.input.max().item<float>(), 0.0f);
    EXPECT_EQ(ex.target.min().item<float>(), 1.0f);
    PairedDataset b_to_a({dir / "ab/x_AB.png"}, PairSource::Aligned, same, true, true);
    EXPECT_EQ(b_to_a.get(0, 1).input.min().item<float>(), 1.0f);

    write_image_rgb(dir / "f/A/sub/p.png", cv::Mat(16, 16, CV_8UC3, cv::Scalar(10, 10, 10)));
    write_image_rgb(dir / "f/B/sub/p.png", cv::Mat(16, 16, CV_8UC3, cv::Scalar(200, 200, 200)));
    EXPECT_EQ(partner_of(dir / "f/A/sub/p.png"), dir / "f/B/sub/p.png");
    PairedDataset folders(list_images(dir / "f"), PairSource::Folders, same, false, false);
    ASSERT_EQ(folders.size(), 1u) << "the B side is not a pair of its own";
    auto fx = folders.get(0, 0);
    EXPECT_NEAR(fx.input.mean().item<double>(), 10 / 255.0, 1e-6);
    EXPECT_NEAR(fx.target.mean().item<double>(), 200 / 255.0, 1e-6);
    // A missing partner is an error naming the file.
    write_image_rgb(dir / "f/A/q.png", cv::Mat(16, 16, CV_8UC3, cv::Scalar(1, 1, 1)));
    PairedDataset broken({dir / "f/A/q.png"}, PairSource::Folders, same, false, false);
    try {
        broken.get(0, 0);
        FAIL() << "expected an error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("B/q.png"), std::string::npos) << e.what();
    }
    EXPECT_THROW(split_ab(cv::Mat(4, 1, CV_8UC3)), Error);
}

// --- model --------------------------------------------------------------------------------------

TEST(Pix2PixOptions, ValidationAndSchedule) {
    EXPECT_THROW(Pix2PixOptions::from_json({{"netG", "unet_512"}}), UsageError);
    EXPECT_THROW(Pix2PixOptions::from_json({{"crop_size", 200}}), UsageError);  // not a multiple of 256
    EXPECT_THROW(Pix2PixOptions::from_json({{"colour", 1}}), UsageError);
    EXPECT_EQ(Pix2PixOptions::from_json({{"netG", "unet_128"}, {"crop_size", 128}}).load_size, 143);
    const auto o = Pix2PixOptions::from_json(Pix2PixOptions().to_json());
    EXPECT_EQ(o.to_json(), Pix2PixOptions().to_json());
    // 200 epochs of 10 steps: 100 at full rate, then 1 - k / 101 in decay epoch k.
    EXPECT_DOUBLE_EQ(pix2pix_lr_scale(o, 0, 2000), 1.0);
    EXPECT_DOUBLE_EQ(pix2pix_lr_scale(o, 999, 2000), 1.0);
    EXPECT_DOUBLE_EQ(pix2pix_lr_scale(o, 1000, 2000), 1.0 - 1.0 / 101);
    EXPECT_DOUBLE_EQ(pix2pix_lr_scale(o, 1999, 2000), 1.0 - 100.0 / 101);
}

TEST_F(SeededTest, TinyOverfitRunLearnsOnePair) {
    Pix2PixOptions o = tiny_options();
    o.dropout = false;
    o.lr = 2e-3;
    Pix2PixModel model(o);
    model.place(Placement{torch::kCPU, false});
    auto batch = random_pair_batch(1, 32);
    // A structured target: a smooth function of the input.
    batch.target = torch::sigmoid(4 * (batch.input.flip({1}) - 0.5));
    auto l1 = [&] {
        return (model.translate(batch.input) - batch.target).abs().mean().item<double>();
    };
    const double before = l1();
    for (int i = 0; i < 120; ++i) {
        const auto losses = model.train_step(batch);
        ASSERT_TRUE(std::isfinite(losses[1].second));
    }
    const double after = l1();
    EXPECT_LT(after, 0.4 * before) << "before " << before << " after " << after;
}

TEST_F(SeededTest, EveryObjectiveAndNetworkTrains) {
    for (const char* gan : {"vanilla", "lsgan", "hinge", "wgangp"}) {
        Pix2PixOptions o = tiny_options();
        o.gan_mode = parse_gan_objective(gan);
        o.netD = std::string(gan) == "hinge" ? "pixel" : "basic";
        o.norm = std::string(gan) == "wgangp" ? "instance" : "batch";
        Pix2PixModel model(o);
        const auto losses = model.train_step(random_pair_batch(2, 32));
        for (const auto& [name, value] : losses) EXPECT_TRUE(std::isfinite(value)) << gan << " " << name;
        EXPECT_EQ(losses.size(), std::string(gan) == "wgangp" ? 5u : 4u) << gan;
    }
    Pix2PixOptions o;
    o.netG = "unet_128";
    o.crop_size = 128;
    o.load_size = 128;
    o.ngf = 2;
    o.ndf = 2;
    o.dataset_mode = Pix2PixData::Colorization;
    Pix2PixModel colorization(o);
    auto batch = random_pair_batch(1, 128);
    auto lab = rgb_to_lab(batch.target);
    batch.input = lab_to_rgb(torch::cat({lab.narrow(1, 0, 1), torch::zeros_like(lab.narrow(1, 1, 2))}, 1));
    EXPECT_EQ(colorization.network_input(batch.input).size(1), 1);
    EXPECT_EQ(colorization.network_target(batch.target).size(1), 2);
    EXPECT_TRUE(std::isfinite(colorization.train_step(batch)[1].second));
    // Lab round trip: to_image(network_target(y), gray(y)) is y.
    auto back = colorization.to_image(colorization.network_target(batch.target), batch.input);
    EXPECT_LT((back - batch.target).abs().max().item<double>(), 1e-3);
}

TEST_F(SeededTest, CheckpointRoundTripContinuesIdentically) {
    TempDir dir;
    Pix2PixOptions o = tiny_options();
    o.dropout = false;
    Pix2PixModel model(o);
    const auto batch = random_pair_batch(1, 32);
    model.train_step(batch);
    save_checkpoint(dir / "c.pt", {model.name(), model.options_json(), {}},
                    [&](torch::serialize::OutputArchive& ar) { model.save(ar); });
    auto loaded = load_model(load_checkpoint(dir / "c.pt", "pix2pix"), Placement{});
    auto& back = static_cast<Pix2PixModel&>(*loaded);
    auto pa = model.generator().named_parameters(), pb = back.generator().named_parameters();
    for (const auto& p : pa) EXPECT_TRUE(torch::equal(p.value(), pb[p.key()])) << p.key();
    torch::manual_seed(9);
    const auto la = model.train_step(batch);
    torch::manual_seed(9);
    const auto lb = back.train_step(batch);
    for (size_t i = 0; i < la.size(); ++i) EXPECT_NEAR(la[i].second, lb[i].second, 1e-5) << la[i].first;
    // The next step depends on the optimizers' moments: equal parameters after it too.
    pa = model.generator().named_parameters();
    pb = back.generator().named_parameters();
    for (const auto& p : pa) EXPECT_LT((p.value() - pb[p.key()]).abs().max().item<double>(), 1e-5) << p.key();
    EXPECT_THROW(load_checkpoint(dir / "c.pt", "colorizer"), Error);
}

TEST_F(SeededTest, TranslateAndPairedEvaluation) {
    TempDir dir;
    Pix2PixOptions o = tiny_options();
    o.direction = "BtoA";
    auto shared = std::make_shared<Pix2PixModel>(o);
    Pix2PixModel& model = *shared;
    Predictor predictor(shared);
    for (int i = 0; i < 3; ++i) {
        cv::Mat ab(24, 48, CV_8UC3);
        cv::randu(ab, 0, 255);
        write_image_rgb(dir / ("pairs/" + std::to_string(i) + ".png"), ab);
    }
    ImageRequest t;
    t.inputs["image"] = read_image_rgb(dir / "pairs/0.png");
    t.ab_half = parse_ab_half("auto", model);
    EXPECT_EQ(t.ab_half, AbHalf::Right) << "BtoA: the input is the right half";
    const cv::Mat out = predictor.run(t).outputs.at(0).second;
    EXPECT_EQ(out.size(), cv::Size(32, 32)) << "resized to the model's size";
    t.keep_size = true;
    EXPECT_EQ(predictor.run(t).outputs.at(0).second.size(), cv::Size(24, 24));
    PairedEvalOptions e;
    e.html_dir = dir / "html";
    const auto result = evaluate_paired(model, list_images(dir / "pairs"), e);
    EXPECT_EQ(result.images, 3);
    EXPECT_EQ(result.image_size, 32);
    EXPECT_GT(result.model.l1, 0.0);
    EXPECT_LT(result.model.l1, 1.0);
    EXPECT_TRUE(fs::exists(dir / "html/index.html"));
    EXPECT_TRUE(fs::exists(dir / "html/images/0002_target.png"));
    // Inference leaves batch-norm running statistics as they were.
    auto before = model.generator().named_buffers();
    std::vector<torch::Tensor> copies;
    for (const auto& b : before) copies.push_back(b.value().clone());
    model.translate(torch::rand({1, 3, 32, 32}));
    size_t i = 0;
    for (const auto& b : model.generator().named_buffers()) EXPECT_TRUE(torch::equal(b.value(), copies[i++])) << b.key();
}

// Runs only where a CUDA device exists (test_main.cpp filters Cuda* out elsewhere).
TEST(CudaPix2Pix, TrainStepAndTranslationMatchTheCpu) {
    Pix2PixOptions o = tiny_options();
    o.dropout = false;
    o.test_train_mode = false;
    torch::manual_seed(5);
    Pix2PixModel cpu(o);
    torch::manual_seed(5);
    Pix2PixModel gpu(o);
    gpu.place(Placement{torch::Device(torch::kCUDA), false});
    torch::manual_seed(6);
    const auto batch = random_pair_batch(2, 32);
    const auto a = cpu.train_step(batch);
    const auto b = gpu.train_step(batch.to(torch::kCUDA));
    for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i].second, b[i].second, 1e-3 * (1 + std::abs(a[i].second))) << a[i].first;
    auto x = torch::rand({1, 3, 32, 32});
    EXPECT_LT((cpu.translate(x) - gpu.translate(x)).abs().max().item<double>(), 1e-3);
}

}  // namespace
}  // namespace ganvas
