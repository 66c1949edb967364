// SketchyGAN: schedules, losses, network shapes, spectral normalisation inside the discriminator,
// the data layouts, a tiny overfit and the checkpoint round trip.
#include "test_util.h"

#include "ganvas/core/checkpoint.h"
#include "ganvas/core/error.h"
#include "ganvas/core/image.h"
#include "ganvas/data/sketch_photo.h"
#include "ganvas/data/synth.h"
#include "ganvas/edges/detector.h"
#include "ganvas/eval/paired_eval.h"
#include "ganvas/io/file_jobs.h"
#include "ganvas/nn/conv2d.h"
#include "ganvas/nn/inference_context.h"
#include "ganvas/nn/winograd_conv.h"
#include "ganvas/losses/gan_loss.h"
#include "ganvas/models/registry.h"
#include "ganvas/models/sketchygan/sketchygan_model.h"

#include <fstream>

namespace ganvas {
namespace {

namespace fs = std::filesystem;
using test::SeededTest;
using test::TempDir;

// The released architecture at a quarter of its widths (a sixteenth of the work), for speed.
SketchyGanOptions small_options(int classes = 1) {
    SketchyGanOptions o;
    o.width = 0.25;
    for (int c = 0; c < classes; ++c) o.classes.push_back("class" + std::to_string(c));
    o.lambda_perceptual = 0;  // no VGG weights in these tests (test_nn covers the feature network)
    o.edge_schedule = false;
    return o;
}

Batch sketch_batch(int n, int classes, int64_t first = 0) {
    std::vector<Example> examples;
    for (int i = 0; i < n; ++i) {
        const int c = static_cast<int>((first + i) % classes);
        auto [photo, sketch] = synth_sketch_pair(3, c, first + i, 64);
        examples.push_back({image_to_tensor(sketch), image_to_tensor(photo), c, {}});
    }
    return collate(examples);
}

TEST(SketchyGanOptions, SchedulesAtTheStartMiddleAndEnd) {
    SketchyGanOptions o;
    EXPECT_DOUBLE_EQ(o.sketch_probability(0, 1000), 0.2);
    EXPECT_DOUBLE_EQ(o.sketch_probability(500, 1000), 0.5);
    EXPECT_DOUBLE_EQ(o.sketch_probability(1000, 1000), 0.8);
    EXPECT_DOUBLE_EQ(o.lr_scale(0, 1000), 1.0);
    EXPECT_DOUBLE_EQ(o.lr_scale(500, 1000), 0.55);
    EXPECT_DOUBLE_EQ(o.lr_scale(1000, 1000), 0.2) << "max(0.2, 1 - 0.9): the floor";
    EXPECT_EQ(o.levels(), 4);
    o.image_size = 128;
    EXPECT_EQ(o.levels(), 5);
    auto j = o.to_json();
    j["mru"] = "other";
    EXPECT_THROW(SketchyGanOptions::from_json(j), UsageError);
    EXPECT_THROW(SketchyGanOptions::from_json({{"no_such_option", 1}}), UsageError);
    EXPECT_EQ(SketchyGanOptions::from_json({{"image_size", 128}}).load_size, 144);
}

// Two outputs of two examples and their noises: |a - b| = 0.5 and 0.25, |z1 - z2| = 2 and 0.5.
struct DiversityPair {
    torch::Tensor a = torch::zeros({2, 3, 4, 4}), b = torch::full({2, 3, 4, 4}, 0.5);
    torch::Tensor z1 = torch::zeros({2, 8}), z2 = torch::zeros({2, 8});
    DiversityPair() {
        b[1].fill_(0.25);
        z2[0][0] = 2.0;
        z2[1][0] = 0.5;
    }
};

TEST(SketchyGanLosses, DiversityTermSignAndScale) {
    const auto [a, b, z1, z2] = DiversityPair();
    // -(0.5 / 2 + 0.25 / 0.5) / 2
    EXPECT_NEAR(diversity_loss(a, b, z1, z2).item<double>(), -(0.25 + 0.5) / 2, 1e-6);
    // Outputs further apart: a lower (better) loss; identical outputs: zero.
    EXPECT_LT(diversity_loss(a, b * 2, z1, z2).item<double>(), diversity_loss(a, b, z1, z2).item<double>());
    EXPECT_DOUBLE_EQ(diversity_loss(a, a, z1, z2).item<double>(), 0.0);
}

TEST(SketchyGanLosses, ModeSeekingTerm) {
    const auto [a, b, z1, z2] = DiversityPair();
    // mean|a - b| = 0.375 over the batch, mean|z1 - z2| = 2.5 / 16: ratio 2.4.
    EXPECT_NEAR(mode_seeking_loss(a, b, z1, z2).item<double>(), 1.0 / (2.4 + 1e-5), 1e-6);
    EXPECT_NEAR(mode_seeking_loss(a, a, z1, z2).item<double>(), 1e5, 1e-2);  // collapsed: 1 / eps
    // The pull apart grows as the outputs collapse (d/dr 1/r = -1/r^2), unlike the released form.
    const auto pull = [&](double gap, bool mode_seeking) {
        auto x = torch::full({2, 3, 4, 4}, gap).requires_grad_(true);
        const auto loss = mode_seeking ? mode_seeking_loss(a, x, z1, z2) : diversity_loss(a, x, z1, z2);
        loss.backward();
        return x.grad().abs().sum().item<double>();
    };
    EXPECT_NEAR(pull(0.01, true) / pull(0.1, true), 100.0, 0.5);  // a tenth of the gap: 100 times the pull
    EXPECT_NEAR(pull(0.01, false), pull(0.1, false), 1e-9);
    EXPECT_THROW(SketchyGanOptions::from_json({{"diversity", "lpips"}}).validate(), UsageError);
    EXPECT_EQ(SketchyGanOptions::from_json({{"diversity", "mode_seeking"}}).to_json().at("diversity"), "mode_seeking");
    // The default is the form measured to give diverse samples, at its measured weight; the
    // paper's form brings the paper's weight unless one is given; a stored run keeps its own.
    const auto defaults = SketchyGanOptions::from_json(nlohmann::json::object());
    EXPECT_EQ(defaults.diversity, "mode_seeking");
    EXPECT_DOUBLE_EQ(defaults.lambda_div, 0.05);
    EXPECT_DOUBLE_EQ(SketchyGanOptions::from_json({{"diversity", "released"}}).lambda_div, 10.0);
    EXPECT_DOUBLE_EQ(SketchyGanOptions::from_json({{"diversity", "released"}, {"lambda_div", 2.0}}).lambda_div, 2.0);
    EXPECT_DOUBLE_EQ(SketchyGanOptions::from_json({{"lambda_div", 1.0}}).lambda_div, 1.0);
    auto stored = defaults.to_json();
    stored["diversity"] = "released";
    stored["lambda_div"] = 10.0;
    const auto resumed = SketchyGanOptions::from_json(stored);
    EXPECT_EQ(resumed.diversity, "released");
    EXPECT_DOUBLE_EQ(resumed.lambda_div, 10.0);
}

TEST(SketchyGanLosses, FocalCrossEntropy) {
    const auto logits = torch::tensor({{2.0f, 0.0f, -1.0f}, {0.5f, 0.1f, 3.0f}});
    const auto labels = torch::tensor({0, 1}, torch::kLong);
    EXPECT_NEAR(focal_cross_entropy(logits, labels, 0.0).item<double>(),
                torch::nn::functional::cross_entropy(logits, labels).item<double>(), 1e-6);
    const auto p = torch::softmax(logits, 1);
    const double p0 = p[0][0].item<double>(), p1 = p[1][1].item<double>();
    const double want = -((1 - p0) * (1 - p0) * std::log(p0) + (1 - p1) * (1 - p1) * std::log(p1)) / 2;
    EXPECT_NEAR(focal_cross_entropy(logits, labels, 2.0).item<double>(), want, 1e-6);
    // A confident right answer costs almost nothing.
    EXPECT_LT(focal_cross_entropy(torch::tensor({{20.0f, 0.0f}}), torch::tensor({0}, torch::kLong), 2.0).item<double>(), 1e-12);
}

TEST_F(SeededTest, GeneratorAndDiscriminatorShapes) {
    auto o = small_options(3);
    o.width = 1.0;  // the released widths
    EXPECT_EQ(sketchy_encoder_widths(o), (std::vector<int64_t>{64, 128, 256, 512}));
    EXPECT_EQ(sketchy_decoder_widths(o), (std::vector<int64_t>{384, 256, 128, 128, 64}));
    EXPECT_EQ(sketchy_discriminator_widths(o), (std::vector<int64_t>{128, 256, 512, 768}));
    SketchyGenerator g(o);
    SketchyDiscriminator d(o);
    EXPECT_EQ(g->stem->stride, 2);
    EXPECT_EQ(g->stem->weight.sizes(), torch::IntArrayRef({8, 1, 7, 7}));
    EXPECT_EQ(g->noise_fc->weight.sizes(), torch::IntArrayRef({4 * 4 * 64, 256}));
    EXPECT_EQ(g->decoder[0]->options.in, 512 + 64) << "bottleneck upsampled + noise map";
    EXPECT_EQ(g->decoder[0]->options.image, 1 + 512) << "sketch + encoder map at 4 px";
    EXPECT_EQ(g->decoder[4]->options.image, 1) << "full resolution: the sketch only";
    torch::NoGradGuard no_grad;
    const auto y = g->forward(torch::rand({2, 1, 64, 64}) * 2 - 1, torch::randn({2, 256}), torch::tensor({0, 2}, torch::kLong));
    EXPECT_EQ(y.sizes(), torch::IntArrayRef({2, 3, 64, 64}));
    EXPECT_LE(y.abs().max().item<double>(), 1.0);
    EXPECT_THROW(g->forward(torch::rand({2, 1, 32, 32}), torch::randn({2, 256}), torch::tensor({0, 2}, torch::kLong)), Error);
    const auto [patch, classes] = d->forward(y);
    EXPECT_EQ(patch.sizes(), torch::IntArrayRef({2, 1, 4, 4}));
    EXPECT_EQ(classes.sizes(), torch::IntArrayRef({2, 3}));
    // Spectral normalisation on every convolution and linear layer of D, none in G; D's slopes start at 0.2.
    int spectral = 0;
    for (auto& m : d->modules()) {
        if (auto* c = m->as<SNConv2dImpl>()) spectral += c->spectral;
        EXPECT_FALSE(m->as<torch::nn::Conv2dImpl>()) << "plain convolution in D";
        EXPECT_FALSE(m->as<torch::nn::BatchNorm2dImpl>() || m->as<ContextBatchNorm2dImpl>()) << "batch norm in D";
        if (auto* p = m->as<torch::nn::PReLUImpl>()) {
            EXPECT_EQ(p->weight.numel(), 1);
            EXPECT_NEAR(p->weight.item<double>(), 0.2, 1e-7);
        }
    }
    EXPECT_EQ(spectral, 1 + 4 * 4 + 1) << "stem, 4 convs per unit (mask, mix, conv1, projection), patch head";
    for (auto& m : g->modules()) {
        if (auto* c = m->as<SNConv2dImpl>()) EXPECT_FALSE(c->spectral);
    }
    // 128 px: one more level each side, same 4x4 patch.
    auto o128 = o;
    o128.image_size = 128, o128.load_size = 144;
    SketchyGenerator g128(o128);
    SketchyDiscriminator d128(o128);
    const auto y128 = g128->forward(torch::zeros({1, 1, 128, 128}), torch::randn({1, 256}), torch::tensor({1}, torch::kLong));
    EXPECT_EQ(y128.sizes(), torch::IntArrayRef({1, 3, 128, 128}));
    EXPECT_EQ(d128->forward(y128).first.sizes(), torch::IntArrayRef({1, 1, 4, 4}));
}

// A one-channel sketch joins channels-last maps without turning them NCHW: the pyramid carries
// channels-last strides, so an MRU's concatenation (and each convolution after it) stays in the
// layout the model was placed in.
TEST(SketchyGanLayout, OneChannelPyramidStaysChannelsLast) {
    const auto cl = torch::MemoryFormat::ChannelsLast;
    const auto sketch = torch::rand({2, 1, 16, 16});
    const auto pyramid = image_pyramid(sketch, 2, cl);
    ASSERT_EQ(pyramid.size(), 3u);
    EXPECT_TRUE(torch::equal(pyramid[0], sketch));
    const auto map = torch::rand({2, 8, 8, 8}).contiguous(cl);
    EXPECT_FALSE(torch::cat({map, image_pyramid(sketch, 2)[1]}, 1).is_contiguous(cl)) << "LibTorch's rule changed";
    EXPECT_TRUE(torch::cat({map, pyramid[1]}, 1).is_contiguous(cl));
    EXPECT_TRUE(torch::allclose(pyramid[2], torch::avg_pool2d(sketch, 4)));
}

TEST_F(SeededTest, DiscriminatorSpectralNormIsRefinedOncePerStep) {
    SketchyGanModel model(small_options(2));
    auto& d = *model.discriminator();
    std::vector<torch::Tensor> before;
    for (auto& b : d.buffers()) before.push_back(b.clone());
    // One power iteration per step: u after the step is one iteration from u before it, with the
    // weight D had before its update (D's pass comes first; G's pass against the updated D does
    // not iterate).
    auto& conv = *d.units[1]->mix;
    const auto w0 = conv.weight.detach().reshape({conv.weight.size(0), -1}).clone();
    const auto u0 = conv.u.clone();
    model.train_step(sketch_batch(2, 2));
    const auto normalize = [](const torch::Tensor& t) { return t / t.norm().clamp_min(1e-12); };
    const auto v = normalize(torch::mv(w0.t(), u0));
    const auto u1 = normalize(torch::mv(w0, v));
    EXPECT_LT((conv.u - u1).abs().max().item<double>(), 1e-5);
    const auto u2 = normalize(torch::mv(w0, normalize(torch::mv(w0.t(), u1))));
    EXPECT_GT((u2 - u1).abs().max().item<double>(), 1e-5) << "a second iteration would be seen";
    size_t changed = 0, i = 0;
    for (auto& b : d.buffers()) changed += !torch::equal(b, before[i++]);
    EXPECT_GE(changed, before.size() - 1) << "the estimates moved (the patch head's one-row u is always 1)";
    d.train();
    set_power_iteration(d, false);
    auto u = d.patch->u.clone();
    d.forward(torch::zeros({1, 3, 64, 64}));
    EXPECT_TRUE(torch::equal(u, d.patch->u)) << "refine = false leaves u alone";
    set_power_iteration(d, true);
    // Many refinements bring the normalised weight's largest singular value to 1.
    for (auto& m : d.modules()) {
        if (auto* c = m->as<SNConv2dImpl>()) {
            torch::NoGradGuard no_grad;
            for (int k = 0; k < 300; ++k) c->normalized_weight();
            const auto w = c->normalized_weight().detach().reshape({c->weight.size(0), -1});
            EXPECT_NEAR(torch::linalg::svdvals(w, c10::nullopt).max().item<double>(), 1.0, 5e-3);
        }
    }
}

TEST_F(SeededTest, MaskAndMixConvolutionsAsOnePair) {
    // An MRU's mask and mix read one input: in training both run as one Winograd pair (one input
    // transform per pass, one input gradient), on every transform set this build and CPU have and
    // 1-3 threads, against float64 LibTorch: both outputs, the input gradient (the two products
    // summed), both weight and bias gradients; with one output left out of the loss; and a
    // gradient of the gradient.
    const auto cl = torch::MemoryFormat::ChannelsLast;
    const std::string saved = winograd_isa();
    const auto x = torch::randn({2, 37, 11, 13}).contiguous(cl).requires_grad_(true);
    const auto w1 = (torch::randn({33, 37, 3, 3}) * 0.05).requires_grad_(true);
    const auto w2 = (torch::randn({40, 37, 3, 3}) * 0.05).requires_grad_(true);
    const auto b1 = torch::randn({33}).requires_grad_(true);
    const auto xd = x.detach().to(torch::kDouble).requires_grad_(true);
    const auto w1d = w1.detach().to(torch::kDouble).requires_grad_(true);
    const auto w2d = w2.detach().to(torch::kDouble).requires_grad_(true);
    const auto b1d = b1.detach().to(torch::kDouble).requires_grad_(true);
    const auto g1 = torch::randn({2, 33, 11, 13}), g2 = torch::randn({2, 40, 11, 13});
    const auto close = [](const torch::Tensor& a, const torch::Tensor& b) {
        return (a.to(torch::kDouble) - b).abs().max().item<double>() / b.abs().max().item<double>();
    };
    const int threads = at::get_num_threads();
    for (const auto& [isa, t] : [] {
             std::vector<std::pair<std::string, int>> runs;  // every transform set, on 1-3 threads
             for (const auto& isa : winograd_isas()) {
                 for (int t : {1, 2, 3}) runs.emplace_back(isa, t);
             }
             return runs;
         }()) {
        SCOPED_TRACE(isa + ", " + std::to_string(t) + " thread(s)");
        set_winograd_isa(isa);
        at::set_num_threads(t);
        ASSERT_TRUE(winograd3x3_fits(x, w1, 1, 1) && winograd3x3_pays(w1) && winograd3x3_pays(w2));
        const auto [y1, y2] = conv2d_pair(x, w1, b1, w2, {}, 1);
        // The same products as each convolution alone: the same bits.
        EXPECT_TRUE(torch::equal(y1, winograd3x3_conv2d(x, w1, b1, 1)));
        EXPECT_TRUE(torch::equal(y2, winograd3x3_conv2d(x, w2, {}, 1)));
        EXPECT_TRUE(y1.is_contiguous(cl) && y2.is_contiguous(cl));
        const auto r1 = torch::conv2d(xd, w1d, b1d, 1, 1), r2 = torch::conv2d(xd, w2d, {}, 1, 1);
        EXPECT_LT(close(y1, r1), 5e-5);
        EXPECT_LT(close(y2, r2), 5e-5);
        const auto want = torch::autograd::grad({r1, r2}, {xd, w1d, b1d, w2d}, {g1.to(torch::kDouble), g2.to(torch::kDouble)});
        const auto have = torch::autograd::grad({y1, y2}, {x, w1, b1, w2}, {g1, g2});
        EXPECT_LT(close(have[0], want[0]), 5e-5) << "input gradient";
        EXPECT_LT(close(have[1], want[1]), 5e-5) << "first weight gradient";
        EXPECT_LT(close(have[2], want[2]), 1e-5) << "first bias gradient";
        EXPECT_LT(close(have[3], want[3]), 5e-5) << "second weight gradient";
        // Only the second output reaches the loss: the first contributes nothing.
        const auto [z1, z2] = conv2d_pair(x, w1, b1, w2, {}, 1);
        const auto only = torch::autograd::grad({z2}, {x, w2}, {g2});
        const auto want_only = torch::autograd::grad({torch::conv2d(xd, w2d, {}, 1, 1)}, {xd, w2d}, {g2.to(torch::kDouble)});
        EXPECT_LT(close(only[0], want_only[0]), 5e-5);
        EXPECT_LT(close(only[1], want_only[1]), 5e-5);
        // A gradient of the gradient follows LibTorch's ops.
        const auto penalty = [&](const torch::Tensor& a, const torch::Tensor& b) {
            const auto gx = torch::autograd::grad({a.pow(2).sum() + b.pow(2).sum()}, {x}, {}, true, true)[0];
            return torch::autograd::grad({gx.pow(2).sum()}, {w2})[0];
        };
        const auto [p1, p2] = conv2d_pair(x, w1, b1, w2, {}, 1);
        const auto pen_want = penalty(torch::conv2d(x, w1, b1, 1, 1), torch::conv2d(x, w2, {}, 1, 1));
        EXPECT_LT((penalty(p1, p2) - pen_want).abs().max().item<double>(), 1e-4 * pen_want.abs().max().item<double>());
    }
    at::set_num_threads(threads);
    set_winograd_isa(saved);
    // Without autograd (inference) each is conv2d's own: the same bits as before the pairing.
    torch::NoGradGuard no_grad;
    const auto [n1, n2] = conv2d_pair(x, w1, b1, w2, {}, 1);
    EXPECT_TRUE(torch::equal(n1, conv2d(x, w1, b1, 1, 1)));
    EXPECT_TRUE(torch::equal(n2, conv2d(x, w2, {}, 1, 1)));
    EXPECT_TRUE(torch::equal(n1, torch::conv2d(x, w1, b1, 1, 1)));
}

TEST_F(SeededTest, ClassConditionalTranslationAndNoise) {
    SketchyGanModel model(small_options(3));
    // Give class 2 its own scale and shift in the output unit's norm so that labels matter.
    {
        torch::NoGradGuard no_grad;
        model.generator()->decoder[4]->cbn1->gamma[2].fill_(3.0);
        model.generator()->decoder[4]->cbn1->beta[2].fill_(1.0);
    }
    const auto sketch = sketch_batch(1, 1).input;
    const auto run = [&](const std::string& cls, uint64_t seed, int64_t samples = 1) {
        InferenceRequest r;
        r.inputs["sketch"] = sketch;
        if (!cls.empty()) r.parameters["class"] = cls;
        r.seed = seed;
        r.samples = samples;
        return model.infer(r).outputs;
    };
    const auto a = run("class0", 1).at(0).images;
    const auto b = run("class2", 1).at(0).images;
    const auto a2 = run("", 1).at(0).images;  // the first class by default
    EXPECT_TRUE(torch::equal(a, a2)) << "same seed, same class: same image";
    EXPECT_GT((a - b).abs().mean().item<double>(), 1e-4) << "the class changes the image";
    EXPECT_GT((a - run("class0", 2).at(0).images).abs().max().item<double>(), 0.0) << "another seed, other noise";
    const auto two = run("class0", 1, 2);
    ASSERT_EQ(two.size(), 2u);
    EXPECT_EQ(two[1].name, "output_1");
    EXPECT_TRUE(torch::equal(two[0].images, a)) << "sample 0 is the single sample";
    EXPECT_GT((two[0].images - two[1].images).abs().max().item<double>(), 0.0) << "samples differ";
    EXPECT_THROW(run("dog", 1), UsageError);
    EXPECT_THROW(run("class0", 1, 0), UsageError);
    auto generator = make_cpu_generator(0);
    EXPECT_THROW(model.generate(sketch, torch::tensor({3}, torch::kLong), generator), Error);
    EXPECT_EQ(model.classify(torch::rand({2, 3, 64, 64})).sizes(), torch::IntArrayRef({2, 3}));
}

TEST_F(SeededTest, DistanceMapInput) {
    auto o = small_options();
    o.input = "distance";
    SketchyGanModel model(o);
    auto sketch = torch::ones({1, 3, 64, 64});
    sketch.index_put_({0, torch::indexing::Slice(), 32, 32}, 0.0);  // one stroke pixel
    const auto x = model.network_input(sketch);
    EXPECT_NEAR(x[0][0][32][32].item<double>(), -1.0, 1e-6) << "distance 0 on the stroke";
    EXPECT_NEAR(x.max().item<double>(), 1.0, 1e-6) << "the farthest pixel";
    EXPECT_LT(x[0][0][32][33].item<double>(), x[0][0][0][0].item<double>());
}

TEST_F(SeededTest, TinyOverfitLowersTheL1ToThePhoto) {
    auto o = small_options(2);
    o.noise_dim = 0;
    SketchyGanModel model(o);
    const auto batch = sketch_batch(2, 2);
    double first = 0, last = 0;
    for (int step = 0; step < 25; ++step) {
        const auto losses = model.train_step(batch);
        for (const auto& [name, value] : losses) {
            ASSERT_TRUE(std::isfinite(value)) << name;
            if (name == "G_L1") (step == 0 ? first : last) = value;
        }
    }
    EXPECT_LT(last, 0.5 * first) << "L1 " << first << " -> " << last;
}

TEST_F(SeededTest, CheckpointRoundTripContinuesIdentically) {
    TempDir dir;
    SketchyGanModel model(small_options(2));
    const auto batch = sketch_batch(2, 2);
    model.train_step(batch);
    save_checkpoint(dir / "c.pt", {model.name(), model.options_json(), {}},
                    [&](torch::serialize::OutputArchive& ar) { model.save(ar); });
    auto loaded = load_model(load_checkpoint(dir / "c.pt", "sketchygan"), Placement{});
    auto& back = static_cast<SketchyGanModel&>(*loaded);
    EXPECT_EQ(back.class_names(), model.class_names());
    auto ua = model.discriminator()->named_buffers(), ub = back.discriminator()->named_buffers();
    for (const auto& b : ua) EXPECT_TRUE(torch::equal(b.value(), ub[b.key()])) << "spectral-norm state " << b.key();
    torch::manual_seed(9);
    const auto la = model.train_step(batch);
    torch::manual_seed(9);
    const auto lb = back.train_step(batch);
    ASSERT_EQ(la.size(), lb.size());
    for (size_t i = 0; i < la.size(); ++i) EXPECT_NEAR(la[i].second, lb[i].second, 1e-5) << la[i].first;
    auto pa = model.generator()->named_parameters(), pb = back.generator()->named_parameters();
    for (const auto& p : pa) EXPECT_LT((p.value() - pb[p.key()]).abs().max().item<double>(), 1e-5) << p.key();
}

void write_text(const fs::path& path, const std::string& text) {
    fs::create_directories(path.parent_path());
    std::ofstream(path) << text;
}

void write_png(const fs::path& path, const cv::Mat& image) {
    fs::create_directories(path.parent_path());
    write_image_rgb(path, image);
}

TEST(SketchPhotoData, SketchyDatabaseLayout) {
    TempDir dir;
    const fs::path base = dir / "sketchy/rendered_256x256/256x256";
    for (const std::string cat : {"airplane", "alarm_clock"}) {
        for (int p = 0; p < 3; ++p) {
            const std::string id = "n0" + cat.substr(0, 2) + "_" + std::to_string(p);
            auto [photo, sketch] = synth_sketch_pair(1, p % 4, p, 32);
            write_png(base / "photo/tx_000000000000" / cat / (id + ".jpg"), photo);
            for (int k = 1; k <= 2; ++k) write_png(base / "sketch/tx_000000000000" / cat / (id + "-" + std::to_string(k) + ".png"), sketch);
        }
    }
    write_text(dir / "sketchy/info/stats.csv",
               "Category,CategoryID,ImageNetID,SketchID,WrongPose?,Context?,Ambiguous?,Error?\n"
               "airplane,1,n0ai_0,1,0,0,0,0\n"
               "airplane,1,n0ai_0,2,0,0,1,0\n"  // ambiguous: dropped
               "alarm_clock,2,n0al_2,1,0,0,0,1\n");  // error: dropped
    write_text(dir / "sketchy/info/testset.txt", "airplane/n0ai_1.jpg\r\nalarm_clock/n0al_1.jpg\n");
    const auto all = sketch_photo_files(dir / "sketchy", Split::All, {});
    EXPECT_EQ(all.size(), 12u - 2u);
    for (const auto& f : all) {
        EXPECT_NE(f.filename(), "n0ai_0-2.png");
        EXPECT_NE(f.filename(), "n0al_2-1.png");
    }
    const auto test = sketch_photo_files(dir / "sketchy", Split::Test, {});
    ASSERT_EQ(test.size(), 4u) << "both sketches of the two test photos";
    for (const auto& f : test) EXPECT_NE(f.filename().string().find("_1-"), std::string::npos) << f;
    EXPECT_EQ(sketch_photo_files(dir / "sketchy", Split::Train, {}).size(), 6u);
    EXPECT_EQ(sketch_categories(all), (std::vector<std::string>{"airplane", "alarm_clock"}));
    EXPECT_EQ(photo_of_sketch(test[0])->filename(), "n0ai_1.jpg");
    EXPECT_EQ(photo_of_sketch(test[0])->parent_path().parent_path().filename(), "tx_000000000000");
    // Without flags dropped, all twelve; a photo gone is named.
    EXPECT_EQ(sketch_photo_files(dir / "sketchy", Split::All, {}, {"tx_000000000000", false}).size(), 12u);
    fs::remove(base / "photo/tx_000000000000/airplane/n0ai_2.jpg");
    SketchPhotoDataset data(sketch_photo_files(dir / "sketchy", Split::All, {}), {{"airplane", "alarm_clock"}, 32, 36},
                            false);
    const auto ex = data.get(0, 0);
    EXPECT_EQ(ex.input.sizes(), torch::IntArrayRef({3, 32, 32}));
    EXPECT_EQ(ex.label, 0);
    try {
        photo_of_sketch(base / "sketch/tx_000000000000/airplane/n0ai_2-1.png");
        ADD_FAILURE() << "a missing photo must be an error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("n0ai_2"), std::string::npos) << e.what();
    }
}

TEST(SketchPhotoData, FoldersAbImagesAndEdgeMaps) {
    TempDir dir;
    // sketch/ and photo/ folders per category.
    for (int i = 0; i < 4; ++i) {
        auto [photo, sketch] = synth_sketch_pair(2, 1, i, 48);
        write_png(dir / ("folders/square/sketch/s" + std::to_string(i) + ".png"), sketch);
        write_png(dir / ("folders/square/photo/s" + std::to_string(i) + ".jpg"), photo);
    }
    const auto files = sketch_photo_files(dir / "folders", Split::All, {});
    ASSERT_EQ(files.size(), 4u) << "photos are partners, not examples";
    EXPECT_EQ(sketch_categories(files), std::vector<std::string>{"square"});
    // AB images, either way round: the gray, whiter half is the sketch.
    auto [photo, sketch] = synth_sketch_pair(2, 0, 0, 48);
    cv::Mat ps, sp;
    cv::hconcat(photo, sketch, ps);
    cv::hconcat(sketch, photo, sp);
    EXPECT_TRUE(sketch_is_right_half(ps));
    EXPECT_FALSE(sketch_is_right_half(sp));
    write_png(dir / "ab/disc/a.png", ps);
    write_png(dir / "ab/disc/b.png", sp);
    SketchPhotoConfig config{{"disc"}, 48, 48, false, "auto", make_edge_detector("classic", {})};
    SketchPhotoDataset data(sketch_photo_files(dir / "ab", Split::All, {}), config, /*train=*/true);
    const auto a = data.get(0, 1), b = data.get(1, 1);
    EXPECT_LT((a.input - b.input).abs().max().item<double>(), 1e-6) << "the same sketch from both layouts";
    EXPECT_LT((a.target - b.target).abs().max().item<double>(), 1e-6);
    // The photo's edge map: dark strokes on white, most of them near the object's outline.
    ASSERT_TRUE(a.extra.count("edges"));
    const auto& edges = a.extra.at("edges");
    EXPECT_EQ(edges.sizes(), a.input.sizes());
    const auto strokes = edges[0] < 0.9;  // one-pixel strokes drawn at twice the size, area-resized
    const int64_t n = strokes.sum().item<int64_t>();
    EXPECT_GT(n, 20);
    EXPECT_LT(n, 48 * 48 / 4);
    const auto near_outline = torch::nn::functional::max_pool2d(
        (a.input[0] < 0.9).to(torch::kFloat).unsqueeze(0), torch::nn::functional::MaxPool2dFuncOptions(5).stride(1).padding(2))[0];
    EXPECT_GT((strokes.to(torch::kFloat) * near_outline).sum().item<double>() / static_cast<double>(n), 0.6);
    // Collated, every example's edge map travels with the batch.
    const auto batch = collate({a, b});
    EXPECT_EQ(batch.get("edges").sizes(), torch::IntArrayRef({2, 3, 48, 48}));
    // A category the model does not know is named.
    EXPECT_THROW(SketchPhotoDataset(sketch_photo_files(dir / "ab", Split::All, {}), {{"square"}, 48, 48}, false), Error);
}

// A model whose classes come from a generated 4-class set in `data` (`count` pairs per class).
std::unique_ptr<SketchyGanModel> bound_model(const fs::path& data, int count, int size) {
    write_synth_sketch_dataset(data, count, size, 1);
    auto o = small_options();
    o.classes.clear();
    auto model = std::make_unique<SketchyGanModel>(o);
    model->bind_data(data);
    return model;
}

TEST_F(SeededTest, BindDataSetsTheClassesAndRefusesOtherData) {
    TempDir dir;
    auto bound = bound_model(dir / "data", 2, 32);
    auto& model = *bound;
    EXPECT_EQ(model.class_names(), (std::vector<std::string>{"disc", "square", "star", "triangle"}));
    EXPECT_EQ(model.discriminator()->classifier->weight.size(0), 4);
    fs::remove_all(dir / "data/star");
    EXPECT_THROW(model.bind_data(dir / "data"), Error);
    // The perceptual term without weights: a usage error that names the option.
    auto p = small_options();
    p.classes.clear();
    p.lambda_perceptual = 3;
    SketchyGanModel needs_vgg(p);
    try {
        needs_vgg.bind_data(dir / "data");
        ADD_FAILURE() << "the perceptual term without weights must be refused";
    } catch (const UsageError& e) {
        EXPECT_NE(std::string(e.what()).find("vgg_weights"), std::string::npos) << e.what();
    }
}

TEST_F(SeededTest, EvaluationMeasuresDiversityAndTheClassifier) {
    TempDir dir;
    auto bound = bound_model(dir / "data", 1, 64);
    auto& model = *bound;
    PairedEvalOptions e;
    e.diversity = 3;
    e.size = 32;
    const auto r = evaluate_paired(model, model.data_files(dir / "data", Split::All, {}), e);
    EXPECT_EQ(r.images, 4);
    EXPECT_EQ(r.image_size, 32);
    EXPECT_GT(r.diversity, 0.0) << "noise changes the output";
    EXPECT_GE(r.class_accuracy_real, 0.0);
    EXPECT_LE(r.class_accuracy_real, 1.0);
    // Samples of one input: K files.
    EXPECT_EQ(sample_path("out/a.png", 2, 3), fs::path("out/a_2.png"));
    EXPECT_EQ(sample_path("out/a.png", 0, 1), fs::path("out/a.png"));
}

}  // namespace
}  // namespace ganvas
