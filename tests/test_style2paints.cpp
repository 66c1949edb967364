// style2paints v1: network shapes, the style hint and its removal, the discriminator's style-head
// targets, the guide losses and their weights, the style encoders (the shipped relu statistics and
// torchvision's fc1 layout on a small stand-in), the data layouts and line-art extraction, a tiny
// overfit, checkpoints, full-size output, and bad inputs named clearly.
#include "test_util.h"

#include "ganvas/core/checkpoint.h"
#include "ganvas/core/error.h"
#include "ganvas/core/image.h"
#include "ganvas/data/synth.h"
#include "ganvas/edges/lineart.h"
#include "ganvas/infer/predictor.h"
#include "ganvas/io/file_jobs.h"
#include "ganvas/io/pth_reader.h"
#include "ganvas/models/registry.h"
#include "ganvas/models/style2paints/data.h"
#include "ganvas/models/style2paints/style2paints_model.h"
#include "ganvas/nn/inference_context.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

namespace ganvas {
namespace {

namespace fs = std::filesystem;
using test::SeededTest;
using test::TempDir;

const fs::path kVgg = fs::path(GANVAS_FIXTURES_DIR) / "vgg";

Style2PaintsOptions small_options(int64_t size = 32) {
    Style2PaintsOptions o;
    o.image_size = size;
    o.load_size = size + size / 8;
    o.ngf = 4;
    o.ndf = 4;
    o.middle_blocks = 2;
    o.hint_width = 16;
    return o;
}

Batch lineart_batch(int n, int size, uint64_t seed = 1) {
    std::vector<Example> examples;
    for (int i = 0; i < n; ++i) {
        auto [painting, lineart] = synth_lineart_pair(seed, i, size);
        Example e{image_to_tensor(lineart), image_to_tensor(painting), -1, {}};
        e.extra["style"] = image_to_tensor(painting);
        examples.push_back(e);
    }
    return collate(examples);
}

std::vector<torch::Tensor> copies(const std::vector<torch::Tensor>& params) {
    std::vector<torch::Tensor> out;
    for (const auto& p : params) out.push_back(p.detach().clone());
    return out;
}

bool any_changed(const std::vector<torch::Tensor>& before, const std::vector<torch::Tensor>& after) {
    for (size_t i = 0; i < before.size(); ++i) {
        if (!torch::equal(before[i], after[i].detach())) return true;
    }
    return false;
}

TEST(Style2PaintsOptions, DefaultsFollowThePaperAndBadValuesAreNamed) {
    const Style2PaintsOptions o;
    EXPECT_DOUBLE_EQ(o.guide1_weight, 0.3);
    EXPECT_DOUBLE_EQ(o.guide2_weight, 0.9);
    EXPECT_EQ(o.hint_width, 2048);
    EXPECT_EQ(o.style_dim(), 896);
    EXPECT_EQ(Style2PaintsOptions::from_json({{"style_encoder", "vgg19_fc1"}}).style_dim(), 4096);
    EXPECT_EQ(Style2PaintsOptions::from_json({{"style_encoder", "vgg19_fc1"}}).style_side(), 224);
    EXPECT_EQ(Style2PaintsOptions::from_json({{"image_size", 256}}).load_size, 288);
    for (const auto& bad : {nlohmann::json{{"image_size", 40}}, nlohmann::json{{"style_encoder", "resnet"}},
                            nlohmann::json{{"lineart", "canny"}}, nlohmann::json{{"guide1_weight", -1}}}) {
        try {
            Style2PaintsOptions::from_json(bad);
            ADD_FAILURE() << bad.dump() << " accepted";
        } catch (const UsageError& e) {
            const std::string key = bad.begin().key();
            const std::string named = key == "guide1_weight" ? "weights" : key == "image_size" ? "--size" : key;
            EXPECT_NE(std::string(e.what()).find(named), std::string::npos) << e.what();
        }
    }
}

TEST_F(SeededTest, Style2PaintsShapesAt128And256) {
    for (int64_t size : {128, 256}) {
        SCOPED_TRACE(size);
        auto o = small_options(size);
        Style2PaintsGenerator g(o);
        Style2PaintsDiscriminator d(o, 896);
        StyleHint hint(896, o.hint_width);
        g->eval();
        d->eval();
        torch::NoGradGuard no_grad;
        const auto lineart = torch::rand({2, 1, size, size}) * 2 - 1;
        const auto out = g->forward(lineart, hint->forward(torch::rand({2, 896})));
        for (const auto& t : {out.output, out.guide1, out.guide2}) {
            ASSERT_TRUE(t.defined());
            EXPECT_EQ(t.sizes(), (std::vector<int64_t>{2, 3, size, size}));
            EXPECT_LE(t.abs().max().item<float>(), 1.0f);
        }
        const auto judged = d->forward(out.output);
        EXPECT_EQ(judged.logits.sizes(), (std::vector<int64_t>{2, 1, size / 16, size / 16}));
        EXPECT_EQ(judged.style.sizes(), (std::vector<int64_t>{2, 896}));
    }
    auto o = small_options(32);
    o.guides = false;
    Style2PaintsGenerator plain(o);
    const auto out = plain->forward(torch::zeros({1, 1, 32, 32}), torch::Tensor());
    EXPECT_FALSE(out.guide1.defined());
    EXPECT_FALSE(out.guide2.defined());
    EXPECT_THROW(plain->forward(torch::zeros({1, 1, 40, 40}), torch::Tensor()), c10::Error);
}

TEST(StyleHint, IsNormalisedOverTheVectorAndScaledPerFeature) {
    StyleHint hint(6, 32);
    hint->scale.copy_(torch::tensor({1.f, 2.f, 4.f, 1.f, 1.f, 10.f}));
    const auto scaled = hint->scaled(torch::tensor({{2.f, 2.f, 2.f, 2.f, 2.f, 20.f}}));
    EXPECT_TRUE(torch::allclose(scaled, torch::tensor({{2.f, 1.f, 0.5f, 2.f, 2.f, 2.f}})));
    const auto h = hint->forward(torch::rand({3, 6}));
    EXPECT_TRUE(torch::allclose(h.mean(1), torch::zeros({3}), 1e-4, 1e-4));
    EXPECT_TRUE(torch::allclose(h.pow(2).mean(1), torch::ones({3}), 1e-3, 1e-3));
}

TEST_F(SeededTest, Style2PaintsHintChangesTheOutputAndAZeroedHintRemovesIt) {
    Style2PaintsModel model(small_options());
    const Batch b = lineart_batch(4, 32);
    const auto style_a = b.extra.at("style");
    const auto style_b = 1.0 - style_a;  // another palette entirely
    // The generator with batch statistics, as in training (at initialisation, with N(0, 0.02)
    // weights and batch norm's running statistics still 0 and 1, every signal fades on its way to
    // the output in eval mode).
    {
        torch::NoGradGuard no_grad;
        auto& g = model.generator();
        g->train();
        const auto lineart = b.input.mean(1, true) * 2.0 - 1.0;
        const auto hint_a = model.hint()->forward(model.hint()->scaled(model.style_features(style_a)));
        const auto hint_b = model.hint()->forward(model.hint()->scaled(model.style_features(style_b)));
        const auto with_a = g->forward(lineart, hint_a), with_b = g->forward(lineart, hint_b);
        EXPECT_GT((with_a.output - with_b.output).abs().mean().item<float>(), 1e-3f) << "the hint had no effect";
        EXPECT_TRUE(torch::equal(with_a.guide1, with_b.guide1)) << "guide 1 decodes the middle's entry, before any hint";
        EXPECT_GT((with_a.guide2 - with_b.guide2).abs().mean().item<float>(), 1e-3f);
        const auto zero_a = g->forward(lineart, hint_a * 0.0), zero_b = g->forward(lineart, hint_b * 0.0);
        EXPECT_TRUE(torch::equal(zero_a.output, zero_b.output));
        EXPECT_TRUE(torch::equal(zero_a.output, g->forward(lineart, torch::Tensor()).output)) << "no hint = zero hint";
        g->eval();
    }
    const auto zero_a = model.paint(b.input, style_a, 0.0), zero_b = model.paint(b.input, style_b, 0.0);
    EXPECT_TRUE(torch::equal(zero_a.output, zero_b.output)) << "a zeroed hint must remove the style's effect";
    // Through the contract: the strength parameter.
    InferenceRequest r;
    r.inputs = {{"sketch", b.input}, {"style", style_a}};
    r.parameters = {{"strength", 0.0}};
    const auto result = model.infer(r);
    ASSERT_EQ(result.outputs.size(), 3u);
    EXPECT_EQ(result.outputs[1].name, "guide1");
    EXPECT_TRUE(torch::equal(result.outputs[0].images, zero_a.output));
}

TEST_F(SeededTest, Style2PaintsDiscriminatorHeadTargetsAndGuideLosses) {
    auto o = small_options();
    o.lambda_style = 1.0;
    Style2PaintsModel model(o);
    const Batch b = lineart_batch(4, 32);
    // What D's style term must be: V(real) on real paintings, 0 on generated ones, computed with
    // the networks as train_step finds them (training mode: batch statistics).
    model.generator()->train();
    model.discriminator()->train();
    model.hint()->train();
    double expected_d_style = 0.0, expected_g_l1 = 0.0, expected_guide1 = 0.0;
    {
        torch::NoGradGuard no_grad;
        const auto features = model.hint()->scaled(model.style_features(b.extra.at("style")));
        const auto real = b.target * 2.0 - 1.0;
        const auto g = model.generator()->forward(b.input.mean(1, true) * 2.0 - 1.0, model.hint()->forward(features));
        const auto on_real = model.discriminator()->forward(real);
        const auto on_fake = model.discriminator()->forward(g.output);
        expected_d_style = (torch::mse_loss(on_real.style, features) + on_fake.style.pow(2).mean()).item<double>();
        expected_g_l1 = torch::l1_loss(g.output, real).item<double>();
        expected_guide1 = torch::l1_loss(g.guide1, real).item<double>();
    }
    model.generator()->eval();
    model.discriminator()->eval();
    model.hint()->eval();
    const NamedValues losses = model.train_step(b);
    std::map<std::string, double> named(losses.begin(), losses.end());
    EXPECT_NEAR(named.at("D_style"), expected_d_style, 1e-4 * std::max(1.0, expected_d_style));
    EXPECT_NEAR(named.at("G_L1"), expected_g_l1, 1e-5);
    EXPECT_NEAR(named.at("G_guide1"), expected_guide1, 1e-5);
    EXPECT_TRUE(named.count("G_guide2"));
    EXPECT_GT(named.at("mid_grad"), 0.0);

    // Weighted: with both guide weights 0 the guide decoders get no gradient; with the paper's
    // weights they learn.
    for (double weight : {0.0, 0.3}) {
        SCOPED_TRACE(weight);
        auto w = small_options();
        w.guide1_weight = weight;
        w.guide2_weight = weight;
        Style2PaintsModel m(w);
        const auto g1 = copies(m.generator()->guide1->parameters()), g2 = copies(m.generator()->guide2->parameters());
        m.train_step(b);
        EXPECT_EQ(any_changed(g1, m.generator()->guide1->parameters()), weight > 0);
        EXPECT_EQ(any_changed(g2, m.generator()->guide2->parameters()), weight > 0);
    }
    // Without guide decoders there are no guide terms.
    auto plain = small_options();
    plain.guides = false;
    Style2PaintsModel m(plain);
    const NamedValues no_guides = m.train_step(b);
    for (const auto& [name, value] : no_guides) EXPECT_EQ(name.find("guide"), std::string::npos) << name;
}

TEST_F(SeededTest, Style2PaintsTinyOverfitLowersTheL1ToThePainting) {
    auto o = small_options();
    o.lr = 1e-3;
    Style2PaintsModel model(o);
    const Batch b = lineart_batch(2, 32, 7);
    const auto initial = model.train_step(b);
    const double first = std::map<std::string, double>(initial.begin(), initial.end()).at("G_L1");
    double last = first;
    for (int step = 0; step < 120; ++step) {
        const auto losses = model.train_step(b);
        last = std::map<std::string, double>(losses.begin(), losses.end()).at("G_L1");
    }
    EXPECT_LT(last, 0.5 * first) << "first " << first << " last " << last;
    const auto painted = model.paint(b.input, b.extra.at("style"));
    EXPECT_LT(torch::l1_loss(painted.output, b.target).item<double>(), 0.5 * torch::l1_loss(b.input, b.target).item<double>());
}

// The examples of one batch as a training set, in order, without augmentation.
class FixedExamples : public Dataset {
public:
    explicit FixedExamples(const Batch& b) {
        for (int64_t i = 0; i < b.size(); ++i) {
            Example e{b.input[i], b.target[i], -1, {}};
            e.extra["style"] = b.extra.at("style")[i];
            examples_.push_back(e);
        }
    }
    size_t size() const override { return examples_.size(); }
    Example get(size_t index, uint64_t) const override { return examples_.at(index); }
    std::string describe(size_t index) const override { return "example " + std::to_string(index); }

private:
    std::vector<Example> examples_;
};

TEST_F(SeededTest, Style2PaintsReestimatesTheNormStatisticsBeforeACheckpoint) {
    // Running averages trail weights that keep moving: after a few fast steps, inference on the
    // training batch with them is far from the same weights on the batch's own statistics. Re-
    // estimated over batches that are all that batch, they are its statistics, and the two
    // paintings agree up to the running variance's unbiasing (n / (n - 1) with n = 64 values per
    // channel at the 4x4 middle level: about 0.8 % in a standard deviation; at 32x32 pixels, with
    // 16 values, it was 3 % and the gap 0.017-0.031 depending on the kernels; here 0.008-0.011).
    TempDir dir;
    auto o = small_options(64);
    o.lr = 1e-3;
    o.bn_batches = 3;
    Style2PaintsModel model(o);
    const Batch b = lineart_batch(4, 64, 5);
    for (int step = 0; step < 6; ++step) model.train_step(b);
    const auto own_statistics = [&] {
        auto j = o.to_json();
        j["test_train_mode"] = true;
        save_checkpoint(dir / "own.pt", {"style2paints", j, {}}, [&](auto& a) { model.save(a); });
        auto reloaded = load_model(load_checkpoint(dir / "own.pt", "style2paints"), Placement{});
        return dynamic_cast<Style2PaintsModel&>(*reloaded).paint(b.input, b.extra.at("style")).output;
    };
    const auto want = own_statistics();
    const double before = (model.paint(b.input, b.extra.at("style")).output - want).abs().max().item<double>();
    const auto bn = model.generator()->encoder[1]->as<torch::nn::Sequential>()->ptr(1)->as<ContextBatchNorm2dImpl>();
    ASSERT_NE(bn, nullptr);
    const double momentum = bn->momentum();
    model.before_checkpoint(FixedExamples(b));
    const double after = (model.paint(b.input, b.extra.at("style")).output - want).abs().max().item<double>();
    EXPECT_GT(before, 0.05);
    EXPECT_LT(after, 0.02) << "before " << before;
    EXPECT_LT(after, 0.06 * before);
    EXPECT_EQ(bn->momentum(), momentum);
    // The weights are untouched: the output on the batch's own statistics is unchanged.
    EXPECT_TRUE(torch::allclose(own_statistics(), want, 1e-5, 1e-6));
    // bn_batches = 0 keeps the running averages as they are.
    o.bn_batches = 0;
    Style2PaintsModel off(o);
    off.train_step(b);
    const auto mean = off.generator()->encoder[1]->as<torch::nn::Sequential>()->ptr(1)->as<ContextBatchNorm2dImpl>()->running_mean.clone();
    off.before_checkpoint(FixedExamples(b));
    EXPECT_TRUE(torch::equal(off.generator()->encoder[1]->as<torch::nn::Sequential>()->ptr(1)->as<ContextBatchNorm2dImpl>()->running_mean, mean));
}

TEST_F(SeededTest, Style2PaintsCheckpointKeepsTheEncoderTheScaleAndTheOutputs) {
    TempDir dir;
    auto o = small_options();
    o.style_weights = (kVgg / "vgg_random.pth").string();
    auto model = make_model("style2paints", o.to_json());
    auto& s2p = dynamic_cast<Style2PaintsModel&>(*model);
    s2p.ensure_encoder();
    s2p.hint()->scale.uniform_(0.5, 2.0);
    const Batch b = lineart_batch(2, 32);
    s2p.train_step(b);
    const fs::path file = dir / "s2p.pt";
    save_checkpoint(file, {"style2paints", model->options_json(), {}}, [&](auto& a) { model->save(a); });
    // The weights file may be gone by now: the checkpoint carries the encoder.
    auto moved = o.to_json();
    moved["style_weights"] = (dir / "gone.pth").string();
    save_checkpoint(dir / "moved.pt", {"style2paints", moved, {}}, [&](auto& a) { model->save(a); });
    for (const fs::path& f : {file, dir / "moved.pt"}) {
        auto reloaded = load_model(load_checkpoint(f, "style2paints"), Placement{});
        auto& r = dynamic_cast<Style2PaintsModel&>(*reloaded);
        EXPECT_TRUE(torch::equal(r.hint()->scale, s2p.hint()->scale));
        EXPECT_TRUE(torch::equal(r.style_features(b.extra.at("style")), s2p.style_features(b.extra.at("style"))));
        EXPECT_TRUE(torch::equal(r.paint(b.input, b.extra.at("style")).output, s2p.paint(b.input, b.extra.at("style")).output));
    }
}

TEST(Style2PaintsEncoders, ReluStatisticsFromTheShippedLayout) {
    VggStatsEncoder encoder;
    encoder->load_weights(kVgg / "vgg_random.pth");
    const auto ref = PthCheckpoint::read(kVgg / "vgg_features.pth").state_dict();
    torch::NoGradGuard no_grad;
    const auto f = encoder->forward(ref.at("input"));
    ASSERT_EQ(f.sizes(), (std::vector<int64_t>{1, 896}));
    // Means and standard deviations of PyTorch's features, channel by channel.
    int64_t offset = 0;
    for (const char* layer : {"relu1_1", "relu2_1", "relu3_1"}) {
        const auto flat = ref.at(layer).flatten(2);
        const int64_t c = flat.size(1);
        EXPECT_TRUE(torch::allclose(f.narrow(1, offset, c), flat.mean(2), 1e-4, 1e-3)) << layer << " means";
        EXPECT_TRUE(torch::allclose(f.narrow(1, offset + c, c), flat.std(2, /*unbiased=*/false), 1e-3, 1e-2))
            << layer << " deviations";
        offset += 2 * c;
    }
    EXPECT_EQ(offset, 896);
    EXPECT_FALSE(encoder->parameters()[0].requires_grad());
}

TEST(Style2PaintsEncoders, Fc1FromTorchvisionsKeyLayout) {
    VggFc1Encoder encoder = load_vgg_fc1(kVgg / "vgg19_fc1_standin.pth");
    EXPECT_EQ(encoder->convs->size(), 16u) << "VGG-19 has 16 convolutions";
    EXPECT_EQ(std::count(encoder->pool_after.begin(), encoder->pool_after.end(), true), 5);
    EXPECT_EQ(encoder->dim(), 8);
    const auto ref = PthCheckpoint::read(kVgg / "vgg19_fc1_expected.pth").state_dict();
    torch::NoGradGuard no_grad;
    EXPECT_TRUE(torch::allclose(encoder->forward(ref.at("input")), ref.at("fc1"), 1e-5, 1e-4));
    // A relu3_1 file is not a torchvision VGG; the model checks fc1's width against its own.
    try {
        load_vgg_fc1(kVgg / "vgg_random.pth");
        ADD_FAILURE() << "a relu3_1 checkpoint passed for torchvision's VGG";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("vgg_random.pth"), std::string::npos) << e.what();
    }
    auto o = small_options();
    o.style_encoder = "vgg19_fc1";
    o.style_weights = (kVgg / "vgg19_fc1_standin.pth").string();
    Style2PaintsModel model(o);
    try {
        model.ensure_encoder();
        ADD_FAILURE() << "an fc1 of 8 accepted for 4096";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("expected 4096"), std::string::npos) << e.what();
    }
    o.style_weights.clear();
    Style2PaintsModel unloaded(o);
    EXPECT_THROW(unloaded.ensure_encoder(), UsageError);
    EXPECT_THROW(unloaded.style_features(torch::rand({1, 3, 32, 32})), Error);
}

TEST(Style2PaintsData, PairsByNameStyleAugmentationAndExtractedLineArt) {
    TempDir dir;
    write_synth_lineart_dataset(dir.path(), 6, 40, 3);
    // A painting without line art is left out of a paired folder.
    write_image_rgb(dir / "color" / "lonely.png", synth_lineart_pair(3, 99, 40).first);
    EXPECT_TRUE(has_lineart_pairs(dir.path()));
    const auto all = painting_files(dir.path(), Split::All, {}, /*pairs=*/true);
    EXPECT_EQ(all.size(), 6u);
    EXPECT_EQ(lineart_partner(all[0]), dir / "lineart" / "art_000000.png");
    EXPECT_THROW(lineart_partner(dir / "color" / "lonely.png"), Error);

    LineartDataConfig config;
    config.size = 32;
    config.load_size = 36;
    config.style_size = 32;
    config.source = LineartSource::Pairs;
    LineartPaintingDataset train(all, config, /*train=*/true);
    const Example e = train.get(0, 5);
    EXPECT_EQ(e.input.sizes(), (std::vector<int64_t>{3, 32, 32}));
    EXPECT_EQ(e.extra.at("style").sizes(), (std::vector<int64_t>{3, 32, 32}));
    EXPECT_FALSE(torch::equal(train.get(0, 6).extra.at("style"), e.extra.at("style"))) << "the style is augmented";
    LineartPaintingDataset eval(all, config, /*train=*/false);
    EXPECT_TRUE(torch::equal(eval.get(0, 1).extra.at("style"), eval.get(0, 1).target)) << "evaluation: the painting itself";

    // The style image keeps the painting's colours but not its layout.
    const cv::Mat painting = synth_lineart_pair(3, 0, 64).first;
    const cv::Mat style = augment_style(painting, 11, 64);
    ASSERT_EQ(style.size(), cv::Size(64, 64));
    cv::Scalar mean_p = cv::mean(painting), mean_s = cv::mean(style);
    for (int c = 0; c < 3; ++c) EXPECT_NEAR(mean_s[c], mean_p[c], 40.0);
    EXPECT_GT(cv::norm(style, painting, cv::NORM_L1), 0.0);

    // Plain folders: line art by XDoG, dark on the shapes' edges, paper in flat areas.
    config.source = LineartSource::Auto;
    TempDir plain;
    write_image_rgb(plain / "a.png", painting);
    LineartPaintingDataset extracted({plain / "a.png"}, config, false);
    const auto line = extracted.get(0, 1).input;
    EXPECT_GT(line.mean().item<float>(), 0.8f) << "mostly paper";
    EXPECT_LT(line.min().item<float>(), 0.2f) << "some ink";
    config.source = LineartSource::Pairs;
    LineartPaintingDataset strict({plain / "a.png"}, config, false);
    EXPECT_THROW(strict.get(0, 1), Error);
}

TEST(XdogLineart, InkOnEdgesPaperElsewhere) {
    cv::Mat image(64, 64, CV_8UC3, cv::Scalar(230, 200, 180));
    cv::rectangle(image, cv::Rect(16, 16, 32, 32), cv::Scalar(40, 90, 160), cv::FILLED);
    const cv::Mat line = xdog_lineart(image);
    ASSERT_EQ(line.type(), CV_8UC1);
    EXPECT_EQ(line.at<uchar>(4, 4), 255) << "flat background is paper";
    EXPECT_EQ(line.at<uchar>(32, 32), 255) << "a flat fill is paper";
    uchar darkest = 255;
    for (int x = 12; x < 20; ++x) darkest = std::min(darkest, line.at<uchar>(32, x));
    EXPECT_LT(darkest, 64) << "the rectangle's edge is inked";
    EXPECT_THROW(xdog_lineart(cv::Mat()), Error);
}

TEST(Style2PaintsInference, FullSizeOutputKeepsTheLineArtsStrokes) {
    Style2PaintsModel model(small_options());
    auto full = torch::ones({3, 96, 96});
    full.narrow(2, 40, 2).zero_();  // one vertical stroke, two pixels wide
    const auto output = torch::full({3, 32, 32}, 0.6f);
    const auto restored = model.to_input_size(output, full);
    EXPECT_EQ(restored.sizes(), (std::vector<int64_t>{3, 96, 96}));
    EXPECT_NEAR(restored[0][10][10].item<float>(), 0.6f, 1e-4);
    EXPECT_NEAR(restored[0][10][40].item<float>(), 0.0f, 1e-4) << "the full-size stroke is drawn";
}

TEST(Style2PaintsInference, BadInputsAreNamed) {
    TempDir dir;
    auto model = std::shared_ptr<GanModel>(make_model("style2paints", small_options().to_json()));
    Predictor predictor(model);
    auto [painting, lineart] = synth_lineart_pair(1, 0, 32);
    // Gray line art and strokes on a transparent background both read as line art on paper.
    cv::Mat gray;
    cv::cvtColor(lineart, gray, cv::COLOR_RGB2GRAY);
    cv::imwrite((dir / "gray.png").string(), gray);
    cv::Mat rgba(32, 32, CV_8UC4, cv::Scalar(0, 0, 0, 0));
    for (int y = 0; y < 32; ++y) {
        for (int x = 0; x < 32; ++x) {
            if (gray.at<uchar>(y, x) < 128) rgba.at<cv::Vec4b>(y, x) = cv::Vec4b(0, 0, 0, 255);
        }
    }
    cv::imwrite((dir / "rgba.png").string(), rgba);
    EXPECT_TRUE(cv::norm(read_image_rgb(dir / "gray.png"), lineart, cv::NORM_INF) <= 1.0);
    const cv::Mat from_rgba = read_image_rgb(dir / "rgba.png");
    EXPECT_EQ(from_rgba.at<cv::Vec3b>(0, 0), cv::Vec3b(255, 255, 255)) << "transparent reads as white paper";
    write_image_rgb(dir / "style.png", painting);
    test::write_bytes(dir / "broken.png", "not an image");

    const auto jobs = plan_outputs({dir / "gray.png", dir / "rgba.png"}, dir / "out");
    FileRequest request;
    EXPECT_THROW(predict_files(predictor, jobs, request), UsageError) << "no style given";
    try {
        request.extra_inputs["style"] = dir / "missing.png";
        predict_files(predictor, jobs, request);
        ADD_FAILURE() << "a missing style passed";
    } catch (const UsageError& e) {
        EXPECT_NE(std::string(e.what()).find("missing.png"), std::string::npos) << e.what();
    }
    request.extra_inputs["style"] = dir / "broken.png";
    const BatchSummary broken = predict_files(predictor, jobs, request);
    EXPECT_EQ(broken.written, 0);
    ASSERT_EQ(broken.failures.size(), 2u);
    EXPECT_NE(broken.failures[0].find("broken.png"), std::string::npos) << broken.failures[0];
    request.extra_inputs["style"] = dir / "style.png";
    EXPECT_EQ(predict_files(predictor, jobs, request).written, 2);
}

}  // namespace
}  // namespace ganvas
