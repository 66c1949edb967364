// Building blocks: the VGG feature network, spectral normalisation, conditional batch norm, and
// SketchyGAN's Masked Residual Unit.
#include "test_util.h"

#include "ganvas/core/error.h"
#include "ganvas/io/pth_reader.h"
#include "ganvas/models/sketchygan/mru.h"
#include "ganvas/nn/conditional_batch_norm.h"
#include "ganvas/nn/conv2d.h"
#include "ganvas/nn/inception.h"
#include "ganvas/nn/spectral_norm.h"
#include "ganvas/nn/vgg.h"
#include "ganvas/nn/winograd_conv.h"

#include <sstream>

namespace ganvas {
namespace {

namespace fs = std::filesystem;
const fs::path kVgg = fs::path(GANVAS_FIXTURES_DIR) / "vgg";

double relative_error(const torch::Tensor& got, const torch::Tensor& want) {
    return ((got - want).abs().max() / want.abs().max().clamp_min(1e-12)).item<double>();
}

TEST(Vgg19Relu31, GivesPyTorchsFeaturesFromACheckpointInTheRealLayout) {
    auto vgg = load_vgg19_relu31(kVgg / "vgg_random.pth");
    const auto ref = PthCheckpoint::read(kVgg / "vgg_features.pth").state_dict();
    torch::NoGradGuard no_grad;
    const auto f = vgg->forward(ref.at("input"));
    ASSERT_EQ(f.relu1_1.sizes(), ref.at("relu1_1").sizes());
    ASSERT_EQ(f.relu2_1.sizes(), ref.at("relu2_1").sizes());
    ASSERT_EQ(f.relu3_1.sizes(), ref.at("relu3_1").sizes());
    EXPECT_LT(relative_error(f.relu1_1, ref.at("relu1_1")), 1e-5);
    EXPECT_LT(relative_error(f.relu2_1, ref.at("relu2_1")), 1e-5);
    EXPECT_LT(relative_error(f.relu3_1, ref.at("relu3_1")), 1e-5);
    for (const auto& p : vgg->parameters()) EXPECT_FALSE(p.requires_grad()) << "the feature network is frozen";
    // Channels-last maps take another padding path (concatenations): the same features.
    const auto cl = vgg->forward(ref.at("input").contiguous(torch::MemoryFormat::ChannelsLast));
    EXPECT_LT(relative_error(cl.relu1_1, ref.at("relu1_1")), 1e-5);
    EXPECT_LT(relative_error(cl.relu2_1, ref.at("relu2_1")), 1e-5);
    EXPECT_LT(relative_error(cl.relu3_1, ref.at("relu3_1")), 1e-5);
}

TEST(Vgg19Relu31, PerceptualDistanceIsZeroOnEqualImagesAndCarriesGradients) {
    auto vgg = load_vgg19_relu31(kVgg / "vgg_random.pth");
    torch::manual_seed(3);
    auto a = torch::rand({2, 3, 16, 16}, torch::requires_grad());
    const auto b = torch::rand({2, 3, 16, 16});
    EXPECT_EQ(perceptual_l1(vgg, b, b).item<double>(), 0.0);
    auto d = perceptual_l1(vgg, a, b);
    EXPECT_GT(d.item<double>(), 0.0);
    d.backward();
    EXPECT_GT(a.grad().abs().sum().item<double>(), 0.0);
}

// Targets featurised once (SketchyGAN's photos, seen by both samples of the diversity pair): the
// same distance and the same gradients as featurising them again for every repeat.
TEST(Vgg19Relu31, PerceptualDistanceToPrecomputedTargetsEqualsTheDirectOne) {
    auto vgg = load_vgg19_relu31(kVgg / "vgg_random.pth");
    torch::manual_seed(4);
    const auto a = torch::rand({4, 3, 16, 16});
    const auto b = torch::rand({2, 3, 16, 16});
    auto a1 = a.clone().requires_grad_(), a2 = a.clone().requires_grad_();
    const auto direct = perceptual_l1(vgg, a1, torch::cat({b, b}));
    VggFeatures target;
    {
        torch::NoGradGuard no_grad;
        target = vgg->forward(b);
    }
    const auto once = perceptual_l1(vgg, a2, target);
    EXPECT_NEAR(once.item<double>(), direct.item<double>(), 1e-6 * direct.item<double>());
    direct.backward();
    once.backward();
    EXPECT_TRUE(torch::allclose(a1.grad(), a2.grad(), 1e-5, 1e-9));
    EXPECT_THROW(perceptual_l1(vgg, a.narrow(0, 0, 3), target), Error) << "3 images against 2 targets";
}

// The stand-in has the real file's keys, kernels and legacy format, channels / 16 and 10 classes
// (tests/fixtures/inception/make_inception_fixture.py); the reference is torchvision's Inception3
// with the FID blocks, on pytorch-fid's preprocessing.
TEST(FidInception, GivesPyTorchsPoolFeaturesAndLogitsFromTheLegacyWeightsFile) {
    const fs::path dir = fs::path(GANVAS_FIXTURES_DIR) / "inception";
    const auto net = load_fid_inception(dir / "inception_standin.pth");
    EXPECT_EQ(net.feature_size(), 128);
    EXPECT_EQ(net.classes(), 10);
    const auto ref = PthCheckpoint::read(dir / "inception_expected.pth").state_dict();
    torch::InferenceMode guard;
    const auto out = net.forward(ref.at("input"));
    ASSERT_EQ(out.pool.sizes(), ref.at("pool").sizes());
    ASSERT_EQ(out.logits.sizes(), ref.at("logits").sizes());
    EXPECT_LT(relative_error(out.pool, ref.at("pool")), 1e-4);
    EXPECT_LT(relative_error(out.logits, ref.at("logits")), 1e-4);
    // The two images differ, and so do their features.
    EXPECT_GT((out.pool[0] - out.pool[1]).abs().max().item<double>(), 1e-3);
}

TEST(FidInception, AMissingOrMisshapenTensorIsNamed) {
    const fs::path file = fs::path(GANVAS_FIXTURES_DIR) / "inception" / "inception_standin.pth";
    const auto state = PthCheckpoint::read(file).state_dict();
    const auto expect_error = [](std::map<std::string, torch::Tensor> s, const std::string& text) {
        try {
            FidInception net(std::move(s), "weights.pth");
            FAIL() << "expected an error about " << text;
        } catch (const Error& e) {
            EXPECT_NE(std::string(e.what()).find(text), std::string::npos) << e.what();
            EXPECT_NE(std::string(e.what()).find("weights.pth"), std::string::npos) << e.what();
        }
    };
    auto missing = state;
    missing.erase("Mixed_6c.branch7x7dbl_3.bn.running_var");
    expect_error(missing, "Mixed_6c.branch7x7dbl_3.bn.running_var");
    auto transposed = state;  // a 1x7 kernel where the architecture has 7x1
    transposed["Mixed_6b.branch7x7_3.conv.weight"] = state.at("Mixed_6b.branch7x7_3.conv.weight").transpose(2, 3);
    expect_error(transposed, "Mixed_6b.branch7x7_3.conv.weight");
    auto wider = state;  // channel counts that do not chain
    const auto w = state.at("Mixed_5c.branch1x1.conv.weight");
    wider["Mixed_5c.branch1x1.conv.weight"] = torch::cat({w, w}, 1);
    expect_error(wider, "do not fit together");
    expect_error(PthCheckpoint::read(fs::path(GANVAS_FIXTURES_DIR) / "pth" / "state_dict.pth").state_dict(),
                 "Conv2d_1a_3x3.conv.weight");
}

TEST(Vgg19Relu31, AWrongCheckpointNamesTheKey) {
    test::TempDir dir;
    try {
        load_vgg19_relu31(fs::path(GANVAS_FIXTURES_DIR) / "pth" / "state_dict.pth");
        FAIL() << "expected an error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("conv1.weight"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("state_dict.pth"), std::string::npos) << e.what();
    }
}

}  // namespace
}  // namespace ganvas

namespace ganvas {
namespace {

TEST(SpectralNorm, PowerIterationFindsTheLargestSingularValue) {
    torch::manual_seed(4);
    const auto w = torch::randn({12, 30});
    auto u = torch::nn::functional::normalize(torch::randn({12}), torch::nn::functional::NormalizeFuncOptions().dim(0));
    const double top = torch::linalg::svdvals(w, c10::nullopt)[0].item<double>();
    const double sigma = spectral_sigma(w, u, /*update=*/true, /*iterations=*/200).item<double>();
    EXPECT_NEAR(sigma, top, 1e-4 * top);
}

TEST(SpectralNorm, TrainingPassesBringTheLargestSingularValueToOne) {
    torch::manual_seed(5);
    SNLinear lin(20, 8);
    SNConv2d conv(3, 6, 3, 1, 1);
    lin->train();
    conv->train();
    const auto x = torch::randn({2, 20});
    const auto img = torch::randn({1, 3, 9, 9});
    for (int i = 0; i < 60; ++i) {  // one power iteration per forward pass, as in training
        lin->forward(x);
        conv->forward(img);
    }
    torch::NoGradGuard no_grad;
    lin->eval();
    conv->eval();
    EXPECT_NEAR(torch::linalg::svdvals(lin->normalized_weight(), c10::nullopt)[0].item<double>(), 1.0, 1e-3);
    EXPECT_NEAR(torch::linalg::svdvals(conv->normalized_weight().view({6, -1}), c10::nullopt)[0].item<double>(), 1.0, 1e-3);
    EXPECT_EQ(conv->forward(img).sizes(), torch::IntArrayRef({1, 6, 9, 9}));
    // Evaluation does not move the estimate.
    const auto u = lin->u.clone();
    lin->forward(x);
    EXPECT_TRUE(torch::equal(u, lin->u));
}

// One small map without autograd (translating one sketch) goes to oneDNN directly: the same
// convolution as LibTorch's dispatch gives, in both layouts, spectral or plain, strided or not.
TEST(SpectralNorm, SmallMapInferencePathMatchesTheDispatchedConvolution) {
    torch::manual_seed(6);
    for (const bool spectral : {true, false}) {
        for (const int64_t stride : {1, 2}) {
            SNConv2d conv(24, 16, 3, stride, 1, true, spectral);
            conv->eval();
            for (const auto format : {torch::MemoryFormat::Contiguous, torch::MemoryFormat::ChannelsLast}) {
                const auto x = torch::randn({1, 24, 8, 8}).contiguous(format);  // 1,536 values: the small path
                torch::Tensor expected;
                {
                    torch::NoGradGuard no_grad;
                    expected = torch::conv2d(x, conv->normalized_weight(), conv->bias, stride, 1);
                }
                torch::InferenceMode guard;
                const auto y = conv->forward(x);
                EXPECT_EQ(y.sizes(), expected.sizes());
                EXPECT_TRUE(torch::allclose(y, expected, 1e-5, 1e-5)) << "spectral " << spectral << " stride " << stride;
            }
        }
    }
}

TEST(SpectralNorm, TrainingConvolutionsTakeWinogradOnlyWhereItPays) {
    const auto cl = torch::MemoryFormat::ChannelsLast;
    SNConv2d conv(32, 32, 3, 1, 1, true, false);
    auto h = torch::randn({2, 32, 16, 16}).contiguous(cl);
    {
        // Inside a training step, a frozen network's layers (style2paints' style encoder) take the
        // training route without autograd when asked to; the guard ends with its scope.
        torch::NoGradGuard no_grad;
        if (winograd_enabled()) {  // a build or CPU without the x86 kernels has no Winograd route
            TrainingConvolutions training;
            EXPECT_TRUE(torch::equal(conv->forward(h), winograd3x3_conv2d(h, conv->weight, conv->bias, 1)));
        }
        EXPECT_TRUE(torch::equal(conv->forward(h), torch::conv2d(h, conv->weight, conv->bias, 1, 1)));
    }
    // Fitting is not enough: Winograd runs where it pays (bench/conv3x3_layers): 32 channels or
    // more on both sides.
    EXPECT_TRUE(winograd3x3_pays(torch::zeros({48, 48, 3, 3})));
    EXPECT_TRUE(winograd3x3_pays(torch::zeros({32, 32, 3, 3})));
    EXPECT_FALSE(winograd3x3_pays(torch::zeros({32, 16, 3, 3})));
    EXPECT_FALSE(winograd3x3_pays(torch::zeros({64, 16, 3, 3})));
    SNConv2d narrow(16, 16, 3, 1, 1, true, false);
    auto h16 = torch::randn({8, 16, 32, 32}).contiguous(cl);
    EXPECT_TRUE(torch::equal(narrow->forward(h16), torch::conv2d(h16, narrow->weight, narrow->bias, 1, 1)));
}

TEST(SpectralNorm, TheEstimateTravelsWithTheCheckpoint) {
    torch::manual_seed(6);
    SNLinear a(10, 4), b(10, 4);
    a->train();
    for (int i = 0; i < 5; ++i) a->forward(torch::randn({3, 10}));
    std::stringstream buffer;
    {
        torch::serialize::OutputArchive out;
        a->save(out);
        out.save_to(buffer);
    }
    torch::serialize::InputArchive in;
    in.load_from(buffer);
    b->load(in);
    EXPECT_TRUE(torch::equal(a->u, b->u));
    EXPECT_TRUE(torch::equal(a->weight, b->weight));
}

}  // namespace
}  // namespace ganvas

namespace ganvas {
namespace {

TEST(ConditionalBatchNorm, UsesEachExamplesClassParameters) {
    torch::manual_seed(7);
    ConditionalBatchNorm2d cbn(3, 2);
    {
        torch::NoGradGuard no_grad;
        cbn->gamma[1].copy_(torch::tensor({2.0f, 3.0f, 4.0f}));
        cbn->beta[1].copy_(torch::tensor({10.0f, 20.0f, 30.0f}));
    }
    const auto x = torch::randn({2, 3, 4, 5});
    const auto labels = torch::tensor({1, 0}, torch::kLong);
    const auto y = cbn->forward(x, labels);
    // Batch statistics over the whole batch, as plain batch norm without affine parameters.
    const auto mean = x.mean({0, 2, 3}, true), var = x.var({0, 2, 3}, false, true);
    const auto normalized = (x - mean) / torch::sqrt(var + 1e-5);
    const auto want0 = normalized[0] * torch::tensor({2.0f, 3.0f, 4.0f}).view({3, 1, 1}) +
                       torch::tensor({10.0f, 20.0f, 30.0f}).view({3, 1, 1});
    EXPECT_LT((y[0] - want0).abs().max().item<double>(), 1e-4) << "example 0 has class 1";
    EXPECT_LT((y[1] - normalized[1]).abs().max().item<double>(), 1e-4) << "example 1 has class 0 (identity)";
    EXPECT_THROW(cbn->forward(x, torch::tensor({1}, torch::kLong)), Error);
}

TEST(Mru, SaturatedGatesReproduceTheInputOrTheNewFeaturesExactly) {
    torch::manual_seed(8);
    MruOptions o;
    o.in = 4, o.out = 4, o.image = 1, o.norm = false, o.activation = "relu";
    Mru mru(o);
    const auto x = torch::randn({2, 4, 8, 8});
    const auto sketch = torch::rand({2, 1, 16, 16});  // resized to 8x8 inside
    torch::NoGradGuard no_grad;
    auto saturate = [](SNConv2d& c, float bias) {
        c->weight.zero_();
        c->bias.fill_(bias);
    };
    saturate(mru->mix, -1e4f);  // n = 0: y = x
    EXPECT_TRUE(torch::equal(mru->forward(x, sketch), x));
    saturate(mru->mix, 1e4f);   // n = 1: y = z
    saturate(mru->mask, 1e4f);  // m = 1: z = f(conv([x, I]))
    const auto img = torch::nn::functional::interpolate(
        sketch, torch::nn::functional::InterpolateFuncOptions().size(std::vector<int64_t>{8, 8}).mode(torch::kBilinear).align_corners(false));
    const auto z = torch::relu(mru->conv1->forward(torch::cat({x, img}, 1)));
    EXPECT_TRUE(torch::equal(mru->forward(x, sketch), z));
    // m = 0 masks x out of z's input.
    saturate(mru->mask, -1e4f);
    const auto z0 = torch::relu(mru->conv1->forward(torch::cat({torch::zeros_like(x), img}, 1)));
    EXPECT_TRUE(torch::equal(mru->forward(x, sketch), z0));
}

TEST(Mru, ProjectionConditionalNormAndReleasedVariant) {
    torch::manual_seed(9);
    MruOptions o;
    o.in = 4, o.out = 6, o.image = 1, o.classes = 3, o.variant = MruVariant::Released;
    Mru mru(o);
    ASSERT_TRUE(mru->project);
    ASSERT_TRUE(mru->conv2);
    const auto x = torch::randn({2, 4, 8, 8});
    const auto sketch = torch::rand({2, 1, 8, 8});
    const auto y = mru->forward(x, sketch, torch::tensor({0, 2}, torch::kLong));
    EXPECT_EQ(y.sizes(), torch::IntArrayRef({2, 6, 8, 8}));
    EXPECT_THROW(mru->forward(x, sketch), Error) << "class-conditional units need labels";
    {
        torch::NoGradGuard no_grad;
        mru->mix->weight.zero_();
        mru->mix->bias.fill_(-1e4f);
    }
    EXPECT_TRUE(torch::allclose(mru->forward(x, sketch, torch::tensor({0, 2}, torch::kLong)), mru->project->forward(x)));
    // The smooth activation: (x + sqrt(0.09 + x^2)) / 2.
    EXPECT_NEAR(smooth_relu(torch::tensor(0.0f)).item<double>(), 0.15, 1e-6);
    EXPECT_NEAR(smooth_relu(torch::tensor(100.0f)).item<double>(), 100.0, 1e-3);
    EXPECT_NEAR(smooth_relu(torch::tensor(-100.0f)).item<double>(), 0.0, 1e-3);
}

}  // namespace
}  // namespace ganvas
