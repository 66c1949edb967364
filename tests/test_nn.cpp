// Building blocks shared by models: the VGG feature network.
#include "test_util.h"

#include "ganvas/core/error.h"
#include "ganvas/io/pth_reader.h"
#include "ganvas/nn/vgg.h"

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
