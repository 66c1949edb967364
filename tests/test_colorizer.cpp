#include "test_util.h"

#include "ganvas/core/checkpoint.h"
#include "ganvas/core/color.h"
#include "ganvas/core/error.h"
#include "ganvas/losses/gan_loss.h"
#include "ganvas/models/colorizer/colorizer_model.h"
#include "ganvas/core/image.h"
#include "ganvas/eval/metrics.h"
#include "ganvas/infer/predictor.h"
#include "ganvas/io/file_jobs.h"
#include "ganvas/nn/optimizer.h"
#include "ganvas/nn/placement.h"
#include "ganvas/models/registry.h"

#include <cmath>
#include <sstream>

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

TEST_F(SeededTest, EveryTrunkAndHeadKeepsSizeRangeAndLightness) {
    for (auto trunk : {ColorTrunk::Blocks, ColorTrunk::Unet, ColorTrunk::Encoder}) {
        for (auto head : {ChromaHead::Rgb, ChromaHead::Ab, ChromaHead::Bins}) {
            ColorizerGenerator g(std::vector<int64_t>{4, 4, 8, 8}, ColorOutput::Chroma, trunk, head);
            init_dcgan_weights(*g);  // as ColorizerModel does: small colors at the start
            for (auto [h, w] : {std::pair{16, 16}, {13, 21}, {32, 20}}) {
                const auto gray = rgb_to_gray3(torch::rand({2, 3, h, w}));
                const auto out = g->run(gray);
                ASSERT_EQ(out.rgb.sizes(), (std::vector<int64_t>{2, 3, h, w}));
                EXPECT_GE(out.rgb.min().item<double>(), 0.0);
                EXPECT_LE(out.rgb.max().item<double>(), 1.0);
                EXPECT_EQ(out.logits.defined(), head == ChromaHead::Bins);
                if (head == ChromaHead::Bins) EXPECT_EQ(out.logits.size(1), AbBins::kCount);
                // Only out-of-gamut clamping may move the lightness.
                const auto dl = (rgb_to_lab(out.rgb) - rgb_to_lab(gray)).narrow(1, 0, 1).abs();
                EXPECT_LT(dl.mean().item<double>(), 2.0);
            }
        }
    }
    EXPECT_THROW(ColorizerGenerator(std::vector<int64_t>{4, 4, 8, 8}, ColorOutput::Rgb, ColorTrunk::Unet, ChromaHead::Ab),
                 c10::Error);
}

TEST_F(SeededTest, UnetAndEncoderSeeTheWholeImage) {
    // A change in one corner reaches the opposite corner's output only through global context.
    for (auto trunk : {ColorTrunk::Blocks, ColorTrunk::Unet, ColorTrunk::Encoder}) {
        // The bins head's logits: unlike colors, they are not clamped to the RGB gamut.
        ColorizerGenerator g(std::vector<int64_t>{4, 4, 8, 8}, ColorOutput::Chroma, trunk, ChromaHead::Bins);
        g->eval();
        auto gray = rgb_to_gray3(torch::rand({1, 3, 64, 64}));
        auto changed = gray.clone();
        changed.narrow(2, 0, 8).narrow(3, 0, 8).fill_(1.0);
        torch::NoGradGuard no_grad;
        const auto diff = (g->run(gray).logits - g->run(changed).logits).abs().narrow(2, 28, 4).narrow(3, 28, 4).max();  // half size
        if (trunk == ColorTrunk::Blocks) {
            EXPECT_EQ(diff.item<double>(), 0.0);  // an 11x11 window
        } else {
            EXPECT_GT(diff.item<double>(), 0.0) << static_cast<int>(trunk);
        }
    }
}

TEST(AbBins, SoftEncodingAndAnnealedMean) {
    const auto c = AbBins::centres();
    ASSERT_EQ(c.sizes(), (std::vector<int64_t>{AbBins::kCount, 2}));
    EXPECT_DOUBLE_EQ(c[0][0].item<double>(), -105.0);
    EXPECT_DOUBLE_EQ(c[AbBins::kCount - 1][1].item<double>(), 105.0);
    EXPECT_DOUBLE_EQ(c[1][1].item<double>() - c[0][1].item<double>(), 10.0);  // b varies fastest
    auto ab = torch::tensor({15.0f, -25.0f, -200.0f, 3.0f, 41.0f, 0.0f}).view({1, 2, 1, 3});  // (a, b) pairs
    const auto z = AbBins::soft_encode(ab);
    EXPECT_NEAR(z.sum(1).min().item<double>(), 1.0, 1e-6);
    EXPECT_NEAR(z.sum(1).max().item<double>(), 1.0, 1e-6);
    // (15, 3): the nearest centre, (15, 5), gets the most weight.
    const int64_t centre = 12 * AbBins::kPerAxis + 11;  // a 15 -> centre 15 (index 12), b 3 -> centre 5 (index 11)
    EXPECT_EQ(z.argmax(1)[0][0][0].item<int64_t>(), centre);
    // The expectation of the soft encoding gives the value back inside the grid (symmetric weights).
    const auto back = torch::einsum("nqhw,qc->nchw", {z, c});
    EXPECT_NEAR(back[0][0][0][1].item<double>(), -25.0, 1.0);
    EXPECT_NEAR(back[0][1][0][1].item<double>(), 41.0, 1.0);
    EXPECT_NEAR(back[0][0][0][2].item<double>(), -105.0, 1.5);  // clamped to the grid
    // A peaked distribution decodes to its peak at any temperature; a flat one to the grid's centre.
    auto logits = torch::full({1, AbBins::kCount, 1, 1}, -50.0);
    logits[0][100][0][0] = 50.0;
    const auto peak = AbBins::annealed_mean(logits, 0.38);
    EXPECT_NEAR(peak[0][0][0][0].item<double>(), c[100][0].item<double>(), 1e-4);
    EXPECT_NEAR(peak[0][1][0][0].item<double>(), c[100][1].item<double>(), 1e-4);
    EXPECT_NEAR(AbBins::annealed_mean(torch::zeros({1, AbBins::kCount, 1, 1}), 0.38).abs().max().item<double>(), 0.0, 1e-4);
}

TEST(AbBins, RebalancingWeightsAndLoss) {
    auto prior = torch::zeros({AbBins::kCount});
    prior[3] = 9.0;
    prior[7] = 1.0;
    const auto w = rebalancing_weights(prior, 0.5);
    const auto p = prior / prior.sum();
    EXPECT_NEAR((p * w).sum().item<double>(), 1.0, 1e-5);
    EXPECT_LT(w[3].item<double>(), w[7].item<double>());  // the rare bin weighs more
    EXPECT_GT(w[0].item<double>(), w[7].item<double>());  // never seen: the most
    EXPECT_NEAR((rebalancing_weights(prior, 1.0) - 1.0).abs().max().item<double>(), 0.0, 1e-5);
    // Cross-entropy of the target's own soft encoding is its entropy; doubling the weights doubles it.
    const auto target = torch::rand({2, 3, 4, 4});
    const auto z = AbBins::soft_encode(rgb_to_lab(target).narrow(1, 1, 2));
    const auto logits = torch::log(z.clamp_min(1e-12));
    const auto ones = torch::ones({AbBins::kCount});
    const double entropy = (-(z * torch::log(z.clamp_min(1e-12))).sum(1)).mean().item<double>();
    EXPECT_NEAR(rebalanced_bin_loss(logits, target, ones).item<double>(), entropy, 1e-3);
    EXPECT_NEAR(rebalanced_bin_loss(logits, target, 2 * ones).item<double>(), 2 * entropy, 2e-3);
    EXPECT_GT(rebalanced_bin_loss(torch::zeros_like(logits), target, ones).item<double>(), entropy + 1.0);
}

TEST(BlueBlotches, ShareOfCentralPixelsBluerThanTheTruth) {
    cv::Mat truth(64, 64, CV_8UC3, cv::Scalar(200, 150, 120));  // a skin tone
    EXPECT_EQ(blue_shift_share_u8(truth, truth), 0.0);
    cv::Mat blue = truth.clone();
    blue(cv::Rect(20, 20, 24, 24)).setTo(cv::Scalar(150, 150, 170));  // bluish gray over the centre
    EXPECT_DOUBLE_EQ(blue_shift_share_u8(blue, truth), 1.0);
    cv::Mat half = truth.clone();
    half(cv::Rect(20, 20, 12, 24)).setTo(cv::Scalar(150, 150, 170));
    EXPECT_NEAR(blue_shift_share_u8(half, truth), 0.5, 1e-9);
    cv::Mat border = truth.clone();
    border(cv::Rect(0, 0, 64, 20)).setTo(cv::Scalar(150, 150, 170));  // outside the centre
    EXPECT_EQ(blue_shift_share_u8(border, truth), 0.0);
    // The spread sees patches, not a uniform shift: a whole face too blue spreads nothing.
    EXPECT_NEAR(chroma_error_spread_u8(blue, truth), 0.0, 1e-3);
    EXPECT_GT(chroma_error_spread_u8(half, truth), 5.0);
    EXPECT_EQ(chroma_error_spread_u8(truth, truth), 0.0);
    cv::Mat yellow = truth.clone();
    yellow(cv::Rect(20, 20, 24, 24)).setTo(cv::Scalar(220, 170, 60));  // more yellow, not bluer
    EXPECT_EQ(blue_shift_share_u8(yellow, truth), 0.0);
}

TEST_F(SeededTest, BinsHeadTrainsAndRoundTrips) {
    TempDir dir;
    auto options = test::tiny_colorizer_options();
    options.trunk = ColorTrunk::Unet;
    options.head = ChromaHead::Bins;
    options.rec_weight = 10.0;
    auto model = std::make_unique<ColorizerModel>(options);
    const auto g0 = snapshot(*model->generator());
    const auto losses = model->train_step(random_batch(4, 16));
    ASSERT_EQ(losses.back().first, "G_bins");
    EXPECT_GT(losses.back().second, 0.0);
    EXPECT_TRUE(all_changed(*model->generator(), g0));
    const auto path = dir / "bins.pt";
    save_checkpoint(path, {model->name(), model->options_json(), {}},
                    [&](torch::serialize::OutputArchive& ar) { model->save(ar); });
    auto restored = load_model(load_checkpoint(path, "colorizer"), Placement{});
    auto gray = rgb_to_gray3(torch::rand({2, 3, 16, 16}));
    EXPECT_TRUE(model->colorize(gray).equal(static_cast<ColorizerModel&>(*restored).colorize(gray)));
}

namespace {

// One colorization of `gray` with the request parameter `key` at `value` (kNoParameter: absent).
constexpr double kNoParameter = -100;
torch::Tensor infer_with(GanModel& model, const torch::Tensor& gray, const char* key, double value) {
    InferenceRequest request;
    request.inputs["gray"] = gray;
    if (value != kNoParameter) request.parameters[key] = value;
    return model.infer(request).outputs.front().images;
}

// A model built with `options` holding `trained`'s weights (decode options differ, weights shared).
std::unique_ptr<ColorizerModel> with_options(const ColorizerModel& trained, const ColorizerOptions& options) {
    std::stringstream weights;
    {
        torch::serialize::OutputArchive ar;
        trained.save(ar);
        ar.save_to(weights);
    }
    auto model = std::make_unique<ColorizerModel>(options);
    torch::serialize::InputArchive in;
    in.load_from(weights);
    model->load(in);
    return model;
}

}  // namespace

// The bins head decodes at the request's temperature, else the model's decode_temperature, else the
// training one; lower is more vivid. Other heads refuse the parameter.
TEST_F(SeededTest, BinsDecodeTemperatureFromRequestOrOptions) {
    auto options = test::tiny_colorizer_options();
    options.trunk = ColorTrunk::Unet;
    options.head = ChromaHead::Bins;
    options.decode_temperature = 0;  // decode at the training temperature
    ColorizerModel model(options);
    model.train_step(random_batch(4, 16));
    const auto gray = rgb_to_gray3(torch::rand({2, 3, 16, 16}));
    constexpr double kNone = kNoParameter;
    const auto infer_at = [&](GanModel& m, double t) { return infer_with(m, gray, "temperature", t); };
    const auto chroma = [](const torch::Tensor& rgb) { return rgb_to_lab(rgb).narrow(1, 1, 2).abs().mean().item<double>(); };
    const auto trained = infer_at(model, kNone), vivid = infer_at(model, 0.05), plain = infer_at(model, 1.0);
    EXPECT_TRUE(trained.equal(infer_at(model, 0.0)));
    EXPECT_TRUE(trained.equal(model.colorize(rgb_to_gray3(gray), options.bin_temperature)));
    EXPECT_FALSE(vivid.equal(trained));
    EXPECT_GT(chroma(vivid), chroma(trained));
    EXPECT_GT(chroma(trained), chroma(plain));
    // The same weights with decode_temperature 0.05 decode as the request at 0.05 did.
    options.decode_temperature = 0.05;
    const auto decoded = with_options(model, options);
    EXPECT_TRUE(infer_at(*decoded, kNone).equal(vivid));
    EXPECT_TRUE(infer_at(*decoded, 0.38).equal(infer_at(model, 0.38)));
    EXPECT_THROW(infer_at(model, 1.5), UsageError);
    EXPECT_THROW(infer_at(model, -0.5), UsageError);
    EXPECT_THROW(ColorizerOptions::from_json({{"head", "bins"}, {"decode_temperature", 2.0}}), UsageError);
    auto ab = test::tiny_colorizer_options();
    ab.trunk = ColorTrunk::Unet;
    ab.head = ChromaHead::Ab;
    ColorizerModel ab_model(ab);
    EXPECT_THROW(infer_at(ab_model, 0.2), UsageError);
    EXPECT_NO_THROW(infer_at(ab_model, 0.0));
}

// The saturation gain scales a, b and nothing else: lightness kept, a, b times the gain where no
// channel clips.
TEST(ColorizerDecode, ScaleChromaKeepsLightness) {
    torch::manual_seed(3);
    const auto rgb = 0.3 + 0.4 * torch::rand({2, 3, 16, 16});  // mid-range colours: little clipping
    EXPECT_TRUE(scale_chroma(rgb, 1.0).equal(rgb));
    const auto vivid = scale_chroma(rgb, 1.3);
    const auto lab0 = rgb_to_lab(rgb), lab1 = rgb_to_lab(vivid);
    const auto inside = ((vivid > 0.002) & (vivid < 0.998)).all(1, true);
    ASSERT_GT(inside.sum().item<int64_t>(), 400);
    EXPECT_LT((lab1.narrow(1, 0, 1) - lab0.narrow(1, 0, 1)).abs().masked_select(inside).max().item<double>(), 0.05);
    const auto mask = inside.expand({2, 2, 16, 16});
    const auto ab0 = lab0.narrow(1, 1, 2).masked_select(mask), ab1 = lab1.narrow(1, 1, 2).masked_select(mask);
    ASSERT_GT(ab0.abs().mean().item<double>(), 5.0);  // there was chroma to scale
    EXPECT_LT((ab1 - 1.3 * ab0).abs().max().item<double>(), 0.05);
    // Gray stays gray.
    const auto gray = torch::full({1, 3, 4, 4}, 0.4);
    EXPECT_TRUE(torch::allclose(scale_chroma(gray, 2.0), gray, 1e-4, 1e-4));
}

// The request's saturation, else the model's decode_saturation; 1 is the plain prediction.
TEST_F(SeededTest, SaturationFromRequestOrOptions) {
    auto options = test::tiny_colorizer_options();
    options.trunk = ColorTrunk::Unet;
    options.head = ChromaHead::Ab;
    options.decode_saturation = 1.0;
    ColorizerModel model(options);
    model.train_step(random_batch(4, 16));
    const auto gray = rgb_to_gray3(torch::rand({1, 3, 16, 16}));
    constexpr double kNone = kNoParameter;
    const auto infer_at = [&](GanModel& m, double s) { return infer_with(m, gray, "saturation", s); };
    const auto plain = infer_at(model, kNone), vivid = infer_at(model, 1.5);
    EXPECT_TRUE(plain.equal(infer_at(model, 0.0)));
    EXPECT_TRUE(plain.equal(infer_at(model, 1.0)));
    EXPECT_TRUE(vivid.equal(scale_chroma(plain, 1.5)));
    EXPECT_FALSE(vivid.equal(plain));
    // decode_saturation 1.5 in the options decodes as the request did.
    options.decode_saturation = 1.5;
    const auto saturated = with_options(model, options);
    EXPECT_TRUE(infer_at(*saturated, kNone).equal(vivid));
    EXPECT_TRUE(infer_at(*saturated, 1.0).equal(plain));
    EXPECT_THROW(infer_at(model, 3.5), UsageError);
    EXPECT_THROW(infer_at(model, -0.5), UsageError);
    EXPECT_THROW(ColorizerOptions::from_json({{"decode_saturation", 0.0}}), UsageError);
    // The default recipe decodes at 1.1 (chosen on held-out crops), the paper's as predicted.
    EXPECT_DOUBLE_EQ(ColorizerOptions::from_preset("default").decode_saturation, 1.1);
    EXPECT_DOUBLE_EQ(ColorizerOptions::from_preset("paper").decode_saturation, 1.0);
}

TEST_F(SeededTest, WithoutTheAdversarialTermDiscriminatorIsLeftAlone) {
    auto options = test::tiny_colorizer_options();
    options.trunk = ColorTrunk::Encoder;
    options.head = ChromaHead::Ab;
    options.adv_weight = 0.0;
    ColorizerModel model(options);
    const auto d0 = snapshot(*model.discriminator()), g0 = snapshot(*model.generator());
    model.train_step(random_batch(4, 16));
    const auto d1 = model.discriminator()->parameters();
    for (size_t i = 0; i < d1.size(); ++i) EXPECT_TRUE(d1[i].detach().equal(d0[i]));
    EXPECT_TRUE(all_changed(*model.generator(), g0));
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
    EXPECT_THROW(ColorizerOptions::from_json({{"trunk", "resnet"}}), UsageError);
    EXPECT_THROW(ColorizerOptions::from_json({{"head", "bins"}, {"output", "rgb"}}), UsageError);
    EXPECT_THROW(ColorizerOptions::from_json({{"rebalance", 1.5}}), UsageError);
    // Options saved before trunk and head existed are the five-block RGB generator's.
    auto old = ColorizerOptions::from_preset("default").to_json();
    old.erase("trunk");
    old.erase("head");
    old.erase("bin_weight");
    old.erase("bin_temperature");
    old.erase("rebalance");
    const auto loaded = ColorizerOptions::from_json(old);
    EXPECT_EQ(loaded.trunk, ColorTrunk::Blocks);
    EXPECT_EQ(loaded.head, ChromaHead::Rgb);
    EXPECT_EQ(ColorizerOptions::from_json({{"trunk", "unet"}, {"head", "ab"}}).trunk, ColorTrunk::Unet);
}

TEST_F(SeededTest, OneStepChangesBothNetworks) {
    auto options = test::tiny_colorizer_options();
    options.head = ChromaHead::Ab;  // with an adversarial term (the default has none)
    options.adv_weight = 0.1;
    ColorizerModel model(options);
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
    options.output = ColorOutput::Rgb;  // the paper's mode: the RGB head on its five blocks
    options.trunk = ColorTrunk::Blocks;
    options.head = ChromaHead::Rgb;
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
