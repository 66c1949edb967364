// Building blocks shared by models: the VGG feature network, spectral normalisation.
#include "test_util.h"

#include "ganvas/core/error.h"
#include "ganvas/io/pth_reader.h"
#include "ganvas/nn/spectral_norm.h"
#include "ganvas/nn/vgg.h"

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
