#include "test_util.h"

#include "ganvas/core/checkpoint.h"
#include "ganvas/core/color.h"
#include "ganvas/core/error.h"
#include "ganvas/losses/gan_loss.h"
#include "ganvas/models/colorizer/colorizer_model.h"
#include "ganvas/core/image.h"
#include "ganvas/infer/predictor.h"
#include "ganvas/io/file_jobs.h"
#include "ganvas/nn/optimizer.h"
#include "ganvas/models/registry.h"

#include <cmath>

namespace ganvas {
using test::SeededTest;
using test::TempDir;

namespace {
Batch random_batch(int64_t n, int64_t size) {
    Batch b;
    b.target = torch::rand({n, 3, size, size});
    b.input = rgb_to_gray3(b.target);
    return b;
}

std::vector<torch::Tensor> snapshot(torch::nn::Module& m) {
    std::vector<torch::Tensor> out;
    for (const auto& p : m.parameters()) out.push_back(p.detach().clone());
    return out;
}

bool all_changed(torch::nn::Module& m, const std::vector<torch::Tensor>& before) {
    auto params = m.parameters();
    for (size_t i = 0; i < params.size(); ++i) {
        if (params[i].detach().equal(before[i])) return false;
    }
    return true;
}
}  // namespace

TEST_F(SeededTest, GeneratorKeepsAnySizeAndRange) {
    for (auto mode : {ColorOutput::Rgb, ColorOutput::Chroma}) {
        ColorizerGenerator g(std::vector<int64_t>{4, 4, 8, 8}, mode);
        for (auto [h, w] : {std::pair{16, 16}, {13, 21}}) {
            auto out = g->forward(torch::rand({2, 3, h, w}));
            ASSERT_EQ(out.sizes(), (std::vector<int64_t>{2, 3, h, w}));
            EXPECT_GE(out.min().item<double>(), 0.0);
            EXPECT_LE(out.max().item<double>(), 1.0);
        }
    }
}

TEST_F(SeededTest, ChromaModeKeepsTheInputLightness) {
    ColorizerGenerator g(std::vector<int64_t>{4, 4, 8, 8}, ColorOutput::Chroma);
    auto gray = rgb_to_gray3(torch::rand({2, 3, 12, 12}));
    auto out = g->forward(gray);
    auto dl = (rgb_to_lab(out).narrow(1, 0, 1) - rgb_to_lab(gray).narrow(1, 0, 1)).abs();
    EXPECT_LT(dl.mean().item<double>(), 1.0);  // L in [0, 100]; only out-of-gamut clamping moves it
}

TEST_F(SeededTest, DiscriminatorGivesOneLogitPerImage) {
    DcganDiscriminator d(16, 4);
    EXPECT_EQ(d->forward(torch::rand({5, 3, 16, 16})).sizes(), (std::vector<int64_t>{5}));
    DcganDiscriminator d64(64, 4);
    EXPECT_EQ(d64->forward(torch::rand({2, 3, 64, 64})).sizes(), (std::vector<int64_t>{2}));
    EXPECT_THROW(d->forward(torch::rand({1, 3, 32, 32})), c10::Error);
}

TEST_F(SeededTest, GradientsReachEveryParameter) {
    ColorizerModel model(test::tiny_colorizer_options());
    auto batch = random_batch(4, 16);
    auto fake = model.generator()->forward(batch.input);
    auto logits = model.discriminator()->forward(fake);
    (torch::l1_loss(fake, batch.target) + bce_gan_loss(logits, true)).backward();
    for (auto* net : std::initializer_list<torch::nn::Module*>{model.generator().get(), model.discriminator().get()}) {
        for (const auto& p : net->named_parameters()) {
            ASSERT_TRUE(p.value().grad().defined()) << p.key();
            EXPECT_GT(p.value().grad().abs().sum().item<double>(), 0.0) << p.key();
        }
    }
}

TEST(ColorizerLoss, ValuesOnKnownTensors) {
    const double ln2 = std::log(2.0);
    EXPECT_NEAR(bce_gan_loss(torch::zeros({4}), true).item<double>(), ln2, 1e-6);
    EXPECT_NEAR(bce_gan_loss(torch::full({4}, 30.0), true).item<double>(), 0.0, 1e-6);
    EXPECT_NEAR(bce_gan_loss(torch::full({4}, 30.0), false).item<double>(), 30.0, 1e-4);

    auto paper = ColorizerOptions::from_preset("paper");
    EXPECT_NEAR(colorizer_d_loss(torch::zeros({2}), torch::zeros({2}), paper).item<double>(), 100 * 2 * ln2, 1e-4);
    auto output = torch::full({1, 3, 2, 2}, 0.5), target = torch::full({1, 3, 2, 2}, 0.25);
    auto [adv, rec, g] = colorizer_g_loss(torch::zeros({1}), output, target, paper);
    EXPECT_NEAR(rec.item<double>(), 0.0625, 1e-7);  // L2
    EXPECT_NEAR(g.item<double>(), 0.0625 + 100 * ln2, 1e-4);

    auto def = ColorizerOptions::from_preset("default");
    auto [adv2, rec2, g2] = colorizer_g_loss(torch::zeros({1}), output, target, def);
    EXPECT_NEAR(rec2.item<double>(), 0.25, 1e-7);  // L1
    EXPECT_NEAR(g2.item<double>(), def.rec_weight * 0.25 + def.adv_weight * ln2, 1e-4);
    EXPECT_NEAR(colorizer_d_loss(torch::zeros({2}), torch::zeros({2}), def).item<double>(),
                def.d_weight * 2 * ln2, 1e-5);
}

TEST(ColorizerOptions, PresetsJsonAndValidation) {
    auto paper = ColorizerOptions::from_preset("paper");
    auto round = ColorizerOptions::from_json(paper.to_json());
    EXPECT_EQ(round.to_json(), paper.to_json());
    EXPECT_EQ(ColorizerOptions::from_json({{"preset", "paper"}, {"lr", 0.5}}).lr, 0.5);
    EXPECT_THROW(ColorizerOptions::from_preset("best"), UsageError);
    EXPECT_THROW(ColorizerOptions::from_json({{"image_size", 48}}), UsageError);
    EXPECT_THROW(ColorizerOptions::from_json({{"widths", {1, 2}}}), UsageError);
    EXPECT_THROW(ColorizerOptions::from_json({{"output", "yuv"}}), UsageError);
}

TEST_F(SeededTest, OneStepChangesBothNetworks) {
    ColorizerModel model(test::tiny_colorizer_options());
    const auto g0 = snapshot(*model.generator()), d0 = snapshot(*model.discriminator());
    const auto losses = model.train_step(random_batch(4, 16));
    EXPECT_EQ(losses.size(), 6u);
    for (const auto& [name, v] : losses) EXPECT_TRUE(std::isfinite(v)) << name;
    EXPECT_TRUE(all_changed(*model.generator(), g0));
    EXPECT_TRUE(all_changed(*model.discriminator(), d0));
}

TEST_F(SeededTest, TinyOverfitDrivesTheL2LossDown) {
    auto options = test::tiny_colorizer_options();
    options.reconstruction = ReconstructionLoss::L2;
    options.output = ColorOutput::Rgb;
    options.lr = 2e-3;
    ColorizerModel model(options);
    auto batch = random_batch(4, 16);
    batch.target = 0.2 + 0.6 * torch::rand({4, 3, 1, 1}).expand({4, 3, 16, 16}).contiguous();
    batch.input = rgb_to_gray3(batch.target);
    double first = 0, last = 0;
    for (int step = 0; step < 150; ++step) {
        const auto losses = model.train_step(batch);
        const double rec = losses[5].second;
        if (step == 0) first = rec;
        last = rec;
    }
    EXPECT_LT(last, 0.1 * first) << "first " << first << " last " << last;
}

TEST_F(SeededTest, CheckpointRoundTripGivesIdenticalOutputs) {
    TempDir dir;
    auto model = std::make_unique<ColorizerModel>(test::tiny_colorizer_options());
    model->train_step(random_batch(4, 16));  // non-trivial BN statistics and Adam moments
    const auto path = dir / "c.pt";
    save_checkpoint(path, {model->name(), model->options_json(), {}},
                    [&](torch::serialize::OutputArchive& ar) { model->save(ar); });
    auto restored = load_model(load_checkpoint(path, "colorizer"), Placement{});
    auto& colorizer = static_cast<ColorizerModel&>(*restored);
    auto gray = rgb_to_gray3(torch::rand({3, 3, 16, 16}));
    EXPECT_TRUE(model->colorize(gray).equal(colorizer.colorize(gray)));
    EXPECT_TRUE(model->mean_chroma(gray).equal(colorizer.mean_chroma(gray)));
    // Training continues identically: same optimizer state.
    torch::manual_seed(3);
    auto batch = random_batch(4, 16);
    const auto a = model->train_step(batch);
    const auto b = colorizer.train_step(batch);
    for (size_t i = 0; i < a.size(); ++i) EXPECT_DOUBLE_EQ(a[i].second, b[i].second) << a[i].first;
}

TEST_F(SeededTest, OptimizerLearningRateReachesBothAdamKinds) {
    for (AdamKind kind : {AdamKind::Fused, AdamKind::Stock}) {
        ColorizerModel model(test::tiny_colorizer_options());
        const auto params = model.generator()->parameters();
        Optimizer opt(params, AdamConfig{1e-2, 0.5, 0.999}, kind);
        const auto g0 = snapshot(*model.generator());
        const auto step = [&] {
            opt.zero_grad();
            model.generator()->forward(torch::rand({2, 3, 16, 16})).square().mean().backward();
            opt.step();
        };
        opt.set_lr(0.0);
        step();
        for (size_t i = 0; i < params.size(); ++i) EXPECT_TRUE(params[i].detach().equal(g0[i]));
        opt.set_lr(1e-2);
        step();
        double moved = 0;
        for (size_t i = 0; i < params.size(); ++i) moved += (params[i].detach() - g0[i]).abs().sum().item<double>();
        EXPECT_GT(moved, 0.0);
    }
}

// Runs only where a CUDA device exists (test_main.cpp filters Cuda* out elsewhere).
TEST(CudaColorizer, TrainStepAndInferenceMatchTheCpu) {
    torch::manual_seed(5);
    ColorizerModel cpu(test::tiny_colorizer_options());
    torch::manual_seed(5);
    ColorizerModel gpu(test::tiny_colorizer_options());
    gpu.place(Placement{torch::Device(torch::kCUDA), false});
    torch::manual_seed(6);
    const auto batch = random_batch(4, 16);
    const auto a = cpu.train_step(batch);
    const auto b = gpu.train_step(batch.to(torch::kCUDA));
    for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i].second, b[i].second, 1e-3 * (1 + std::abs(a[i].second))) << a[i].first;
    auto gray = rgb_to_gray3(torch::rand({2, 3, 16, 16}));
    EXPECT_LT((cpu.colorize(gray) - gpu.colorize(gray)).abs().max().item<double>(), 1e-3);
    TempDir dir;
    save_checkpoint(dir / "g.pt", {gpu.name(), gpu.options_json(), {}},
                    [&](torch::serialize::OutputArchive& ar) { gpu.save(ar); });
    auto back = load_model(load_checkpoint(dir / "g.pt"), Placement{});
    EXPECT_LT((static_cast<ColorizerModel&>(*back).colorize(gray) - gpu.colorize(gray)).abs().max().item<double>(), 1e-5);
}

TEST_F(SeededTest, ColorizeAtTrainSizeKeepsFullResolutionLightness) {
    // The colorizer trains at 16x16.
    cv::Mat photo(40, 56, CV_8UC3);
    cv::randu(photo, 0, 255);
    Predictor predictor(std::make_shared<ColorizerModel>(test::tiny_colorizer_options()));
    for (bool at_train_size : {false, true}) {
        ImageRequest request;
        request.inputs["gray"] = photo;
        request.parameters["at_train_size"] = at_train_size;
        const cv::Mat out = predictor.run(request).outputs.at(0).second;
        ASSERT_EQ(out.size(), photo.size());
        auto l_out = rgb_to_lab(image_to_tensor(out).unsqueeze(0)).narrow(1, 0, 1);
        auto l_in = rgb_to_lab(rgb_to_gray3(image_to_tensor(photo).unsqueeze(0))).narrow(1, 0, 1);
        // Per-pixel detail survives: lightness differs only by 8-bit rounding and gamut clamping.
        EXPECT_LT((l_out - l_in).abs().mean().item<double>(), 1.5) << "at_train_size " << at_train_size;
    }
}

TEST(Colorize, OutputsKeepRelativePathsAndNeverOverwriteInputs) {
    TempDir dir;
    cv::Mat img(8, 8, CV_8UC3, cv::Scalar(9, 9, 9));
    write_image_rgb(dir / "in/a.jpg", img);
    write_image_rgb(dir / "in/deep/b.png", img);
    write_image_rgb(dir / "single.bmp", img);
    const auto jobs = plan_outputs({dir / "in", dir / "single.bmp"}, dir / "out");
    ASSERT_EQ(jobs.size(), 3u);
    EXPECT_EQ(jobs[0].output, dir / "out/a.png");
    EXPECT_EQ(jobs[1].output, dir / "out/deep/b.png");
    EXPECT_EQ(jobs[2].output, dir / "out/single.png");
    EXPECT_THROW(plan_outputs({dir / "in"}, dir / "in"), Error);  // in/deep/b.png onto itself
    EXPECT_THROW(plan_outputs({dir / "missing"}, dir / "out"), Error);
}

TEST(Registry, NamesAndErrors) {
    EXPECT_EQ(model_descriptor("colorizer").name, "colorizer");
    EXPECT_THROW(model_descriptor("stylegan"), UsageError);
    auto model = make_model("colorizer", {{"preset", "paper"}, {"image_size", 16}, {"widths", {2, 2, 2, 2}}});
    EXPECT_EQ(model->options_json()["output"], "rgb");
}

}  // namespace ganvas
