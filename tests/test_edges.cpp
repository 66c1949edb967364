// Edge maps: PiDiNet's pixel-difference convolutions and network.
#include "test_util.h"

#include "ganvas/config.h"
#include "ganvas/core/error.h"
#include "ganvas/core/runtime.h"
#include "ganvas/core/sha256.h"
#include "ganvas/edges/bsds_eval.h"
#include "ganvas/edges/detector.h"
#include "ganvas/edges/edge_files.h"
#include "ganvas/edges/hed.h"
#include "ganvas/edges/morphology.h"
#include "ganvas/edges/pidinet.h"
#include "ganvas/edges/postprocess.h"
#include "ganvas/nn/placement.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <cmath>
#include <thread>

namespace ganvas {
namespace {

namespace fs = std::filesystem;
using test::SeededTest;

// x at p + (dy, dx) for every p, zero outside the image; x is [N, C, H, W].
torch::Tensor shifted(const torch::Tensor& x, int dy, int dx) {
    const int64_t h = x.size(2), w = x.size(3);
    auto padded = torch::constant_pad_nd(x, {2, 2, 2, 2}, 0.0);
    return padded.slice(2, 2 + dy, 2 + dy + h).slice(3, 2 + dx, 2 + dx + w);
}

// The PDC definitions, literally: y[o] = sum_i sum_k W[o, i, k] * D_k(x_i).
torch::Tensor pdc_by_definition(const torch::Tensor& x, const torch::Tensor& weight, PdcType type) {
    const int ring[9][2] = {{-1, -1}, {-1, 0}, {-1, 1}, {0, -1}, {0, 0}, {0, 1}, {1, -1}, {1, 0}, {1, 1}};
    const int next[9] = {1, 2, 5, 0, 4, 8, 3, 6, 7};  // clockwise successor on the ring (4: unused)
    std::vector<torch::Tensor> diffs;  // one per flat kernel index
    for (int k = 0; k < 9; ++k) {
        const int dy = ring[k][0], dx = ring[k][1];
        switch (type) {
            case PdcType::Cv: diffs.push_back(shifted(x, dy, dx)); break;
            case PdcType::Cd: diffs.push_back(shifted(x, dy, dx) - x); break;
            case PdcType::Ad:
                diffs.push_back(k == 4 ? torch::zeros_like(x)
                                       : shifted(x, dy, dx) - shifted(x, ring[next[k]][0], ring[next[k]][1]));
                break;
            case PdcType::Rd: {
                // Entry m (1..8) weighs the ray through the m-th ring offset d_m (row-major, centre skipped).
                if (k == 0) {
                    diffs.push_back(torch::zeros_like(x));
                    break;
                }
                const int m = k;  // 1..8
                const int ring8[8][2] = {{-1, -1}, {-1, 0}, {-1, 1}, {0, -1}, {0, 1}, {1, -1}, {1, 0}, {1, 1}};
                const int ry = ring8[m - 1][0], rx = ring8[m - 1][1];
                diffs.push_back(shifted(x, 2 * ry, 2 * rx) - shifted(x, ry, rx));
                break;
            }
        }
    }
    auto d = torch::stack(diffs, 2);                  // [N, I, 9, H, W]
    auto w = weight.reshape({weight.size(0), weight.size(1), 9});
    return torch::einsum("oik,nikhw->nohw", {w, d});
}

TEST_F(SeededTest, PdcConversionsMatchTheirDefinitions) {
    auto x = torch::randn({2, 3, 11, 13}, torch::kDouble);
    auto w = torch::randn({4, 3, 3, 3}, torch::kDouble);
    for (auto type : {PdcType::Cv, PdcType::Cd, PdcType::Ad, PdcType::Rd}) {
        const auto [kernel, pad] = convert_pdc(w, type);
        EXPECT_EQ(kernel.size(2), type == PdcType::Rd ? 5 : 3);
        auto converted = torch::conv2d(x, kernel, {}, 1, pad);
        auto defined = pdc_by_definition(x, w, type);
        EXPECT_LT((converted - defined).abs().max().item<double>(), 1e-10) << static_cast<int>(type);
    }
    // Angular kernels sum to zero with an empty centre; central ones sum to zero too.
    EXPECT_LT(convert_pdc(w, PdcType::Ad).first.sum({2, 3}).abs().max().item<double>(), 1e-12);
    EXPECT_LT(convert_pdc(w, PdcType::Cd).first.sum({2, 3}).abs().max().item<double>(), 1e-12);
    EXPECT_THROW(convert_pdc(torch::zeros({1, 1, 5, 5}), PdcType::Cd), Error);
}

TEST_F(SeededTest, PiDiNetLoadsAStateDictAndMapsEveryPixel) {
    const auto layout = pidinet_checkpoint_layout();
    int64_t values = 0;
    std::map<std::string, torch::Tensor> state;
    for (const auto& [key, shape] : layout) {
        state[key] = torch::randn(shape) * 0.1;
        int64_t n = 1;
        for (auto s : shape) n *= s;
        values += n;
    }
    EXPECT_EQ(layout.size(), 83u);
    EXPECT_EQ(values, 710149) << "the checkpoint's parameter count (SPEC.md)";
    PiDiNet net;
    net->load_state(state, "random.pth");
    EXPECT_EQ(count_parameters(*net), 720709) << "after rd kernels grow to 5x5";
    // The rd block's kernel is the conversion of the stored one.
    EXPECT_TRUE(torch::allclose(net->blocks[1]->conv1->weight, convert_pdc(state.at("block1_2.conv1.weight"), PdcType::Rd).first));
    torch::NoGradGuard no_grad;
    const auto outs = net->forward_all(torch::randn({1, 3, 37, 53}));
    ASSERT_EQ(outs.size(), 5u);
    for (const auto& o : outs) {
        EXPECT_EQ(o.sizes(), torch::IntArrayRef({1, 1, 37, 53}));
        EXPECT_GT(o.min().item<double>(), 0.0);
        EXPECT_LT(o.max().item<double>(), 1.0);
    }
    auto missing = state;
    missing.erase("classifier.bias");
    try {
        net->load_state(missing, "random.pth");
        FAIL() << "expected an error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("classifier.bias"), std::string::npos);
        EXPECT_NE(std::string(e.what()).find("random.pth"), std::string::npos);
    }
    auto wrong = state;
    wrong["init_block.weight"] = torch::zeros({60, 3, 5, 5});
    EXPECT_THROW(net->load_state(wrong, "random.pth"), Error);
    // Below 8 pixels a side stage 4 would be empty: a clear error on every path, not a crash.
    for (const auto* kernels : {static_cast<const pidinet_kernels::Kernels*>(nullptr), pidinet_kernels::select_kernels()}) {
        net->prepare_fused(kernels);
        try {
            net->forward(torch::randn({1, 3, 5, 9}));
            FAIL() << "expected an error for a 9x5 image";
        } catch (const Error& e) {
            EXPECT_NE(std::string(e.what()).find("at least 8x8"), std::string::npos) << e.what();
        }
        EXPECT_EQ(net->forward(torch::randn({1, 3, 8, 8})).sizes(), torch::IntArrayRef({1, 1, 8, 8}));
    }
}

// The instruction-set kernels this build has and this CPU runs (CI's machine runs both; a build
// without the x86 kernels has none, and these tests then check nothing beyond LibTorch's path).
std::vector<const pidinet_kernels::Kernels*> cpu_kernel_sets() {
    std::vector<const pidinet_kernels::Kernels*> sets;
    if (cpu_has("avx2") && cpu_has("fma") && pidinet_kernels::avx2_kernels()) {
        sets.push_back(pidinet_kernels::avx2_kernels());
    }
    if (cpu_has("avx512f") && pidinet_kernels::avx512_kernels()) sets.push_back(pidinet_kernels::avx512_kernels());
    EXPECT_TRUE(!GANVAS_X86_KERNELS || !cpu_has("avx2") || !sets.empty()) << "x86 kernels built but none found";
    return sets;
}

TEST_F(SeededTest, FusedPdcBlockKernelsMatchLibTorchOps) {
    struct Case {
        int64_t in, out, n, h, w;
        PdcType type;
        bool down;
    };
    // Partial vectors (60, 120, 20, 40 channels), borders wider than the image, odd pooled sizes, batch 2.
    const Case cases[] = {{60, 60, 1, 9, 13, PdcType::Ad, false}, {60, 60, 2, 7, 11, PdcType::Rd, false},
                          {20, 20, 1, 3, 2, PdcType::Rd, false},  {60, 120, 1, 11, 15, PdcType::Cd, true},
                          {40, 40, 1, 1, 1, PdcType::Cv, false},  {120, 240, 2, 6, 9, PdcType::Cd, true},
                          {24, 40, 1, 5, 23, PdcType::Cd, true}};
    torch::NoGradGuard no_grad;
    const auto sets = cpu_kernel_sets();
    ASSERT_FALSE(sets.empty()) << "this CPU has neither AVX2+FMA nor AVX-512F";
    for (const auto& c : cases) {
        PdcBlock block(c.in, c.out, c.type, c.down);
        auto x = torch::randn({c.n, c.in, c.h, c.w});
        // A radial-difference block twice: with a dense random 5x5 kernel, and with the kernel a
        // checkpoint's 3x3 weights become (nine taps zero, which the kernels leave out).
        const bool radial = c.type == PdcType::Rd;
        for (int variant = 0; variant < (radial ? 2 : 1); ++variant) {
            if (variant == 1) block->conv1->weight.set_data(convert_pdc(torch::randn({c.in, 1, 3, 3}), PdcType::Rd).first);
            block->prepare_fused(nullptr);
            const auto reference = block->forward(x);
            for (const auto* k : sets) {
                block->prepare_fused(k);
                for (auto input : {x, x.contiguous(torch::MemoryFormat::ChannelsLast)}) {
                    const auto fused = block->forward(input);
                    ASSERT_EQ(fused.sizes(), reference.sizes()) << k->isa;
                    EXPECT_LT((fused - reference).abs().max().item<double>(), 1e-4)
                        << k->isa << " " << c.in << "->" << c.out << " " << c.h << "x" << c.w
                        << (variant == 1 ? ", radial taps" : "");
                }
            }
        }
        // Autograd keeps LibTorch's ops (the kernels have no backward).
        torch::AutoGradMode grad(true);
        EXPECT_TRUE(block->forward(x).requires_grad());
    }
}

TEST_F(SeededTest, PiDiNetWithFusedKernelsMatchesLibTorchOps) {
    std::map<std::string, torch::Tensor> state;
    for (const auto& [key, shape] : pidinet_checkpoint_layout()) state[key] = torch::randn(shape) * 0.1;
    PiDiNet net;
    net->load_state(state, "random.pth");
    torch::NoGradGuard no_grad;
    auto x = torch::randn({2, 3, 29, 41});  // batch 2; stage 4 is 3x5, so every upsampling is real
    net->prepare_fused(nullptr);
    const auto reference = net->forward(x);
    // 97 rows: stage 1's side pass runs Winograd in a whole band of kSideBand = 90 rows (F(4, 3),
    // F(2, 3) and direct rows for the dilations) and one of 7 (direct only).
    auto tall = torch::randn({1, 3, 97, 70});
    const auto tall_reference = net->forward(tall);
    const int threads = at::get_num_threads();
    for (const auto* k : cpu_kernel_sets()) {
        net->prepare_fused(k);
        for (int winograd : {0, 2, 4}) {
            net->winograd_outputs = winograd;
            for (bool streamed : {false, true}) {
                net->stream_stages = streamed;
                for (int t : {1, 2, 3}) {  // streamed: two threads walk a segment from its two ends
                    at::set_num_threads(t);
                    const std::string what = std::string(k->isa) +
                                             (streamed ? " streamed, " : " block by block, ") +
                                             (winograd ? "Winograd F(" + std::to_string(winograd) + ", 3), "
                                                       : std::string("tap by tap, ")) +
                                             std::to_string(t) + " threads";
                    EXPECT_LT((net->forward(x) - reference).abs().max().item<double>(), 1e-5) << what;
                    if (t == 2) EXPECT_LT((net->forward(tall) - tall_reference).abs().max().item<double>(), 1e-5) << what;
                }
            }
        }
    }
    at::set_num_threads(threads);
}

// stage_rows against the block kernels one at a time: a stem convolution, a 5x5 block and a block
// with a shortcut; the output, its pooling and the side branch's z, for bands of rows shorter than
// the halo they need, walked top down and bottom up, by two threads at once, and odd heights.
TEST_F(SeededTest, StageKernelMatchesTheBlocksOneAtATime) {
    namespace pk = pidinet_kernels;
    torch::NoGradGuard no_grad;
    for (const auto* k : cpu_kernel_sets()) {
        for (int64_t h : {13, 6, 1}) {
            const int64_t w = 11, in = 20;
            auto x = torch::randn({h, w, 3});
            auto stem = torch::randn({27, pk::padded(in)}) * 0.3;
            stem.narrow(1, in, pk::padded(in) - in).zero_();
            PdcBlock b1(in, 40, PdcType::Cd, true), b2(40, 40, PdcType::Rd, false), b3(40, 40, PdcType::Ad, false);
            for (auto* b : {&b1, &b2, &b3}) (*b)->prepare_fused(k);
            pk::BlockArgs blocks[4];
            blocks[0].height = h;
            blocks[0].width = w;
            blocks[0].in_channels = 3;
            blocks[0].out_channels = in;
            blocks[0].kernel_size = 3;
            blocks[0].dense = stem.data_ptr<float>();
            blocks[1] = b1->fused_args(h, w);  // a shortcut block, as stages 2-4 begin
            blocks[2] = b2->fused_args(h, w);
            blocks[3] = b3->fused_args(h, w);
            blocks[0].x = x.data_ptr<float>();
            // Reference: the stem through LibTorch, then each block's own kernel over the whole map.
            const auto w_stem = stem.narrow(1, 0, in).t().reshape({in, 3, 3, 3}).permute({0, 3, 1, 2});
            auto t = torch::conv2d(x.permute({2, 0, 1}).unsqueeze(0), w_stem, {}, 1, 1)[0].permute({1, 2, 0}).contiguous();
            for (int i = 1; i < 4; ++i) {
                auto next = torch::empty({h, w, blocks[i].out_channels});
                auto a = blocks[i];
                a.x = t.data_ptr<float>();
                a.out = next.data_ptr<float>();
                std::vector<float> scratch(static_cast<size_t>(w * pk::padded(a.in_channels)));
                k->block_rows(a, 0, h, scratch.data());
                t = next;
            }
            const auto pooled_ref = h < 2 ? torch::empty({0, w / 2, 40})
                                          : torch::max_pool2d(t.permute({2, 0, 1}).unsqueeze(0), 2, 2)[0].permute({1, 2, 0});
            // z = W relu(f) + b through the side kernel's own row function.
            auto reduce = torch::randn({40, pk::padded(pk::kSideWidth)}) * 0.2;
            auto reduce_bias = torch::randn({pk::padded(pk::kSideWidth)});
            const int64_t stride = pk::side_z_stride(w), rows = h + 2 * pk::kSideBorder;
            pk::SideArgs side;
            side.height = h;
            side.width = w;
            side.channels = 40;
            side.reduce = reduce.data_ptr<float>();
            side.reduce_bias = reduce_bias.data_ptr<float>();
            side.z_stride = stride;
            auto z_ref = torch::zeros({pk::kSideWidth, rows, stride});
            side.z = z_ref.data_ptr<float>();
            side.f = t.data_ptr<float>();
            std::vector<float> side_scratch(static_cast<size_t>(pk::side_reduce_scratch(40)));
            k->side_reduce_rows(side, 0, h, side_scratch.data());

            // Segments of rows, each walked from its top (+1) or its bottom (-1) by one thread; and
            // the whole map by two threads at once from its two ends, meeting wherever they do.
            struct Walk {
                std::vector<int64_t> cuts;
                std::vector<int> directions;
                bool concurrent = false;
            };
            const std::vector<Walk> walks = {{{0, h}, {1}},          {{0, h}, {-1}},
                                             {{0, 2, 4, 6, h}, {1, -1, 1, -1}}, {{0, 4, h}, {-1, 1}},
                                             {{0, h}, {1, -1}, true}};
            for (const auto& walk : walks) {
                auto out = torch::full({h, w, 40}, 1e9);
                auto pooled = torch::full({h / 2, w / 2, 40}, 1e9);
                auto z = torch::zeros({pk::kSideWidth, rows, stride});
                side.z = z.data_ptr<float>();
                pk::StageArgs args;
                args.blocks = blocks;
                args.n_blocks = 4;
                args.height = h;
                args.width = w;
                args.side = &side;
                args.pooled = pooled.data_ptr<float>();
                args.out = out.data_ptr<float>();
                const auto need = static_cast<size_t>(pk::stage_scratch(args).total);
                if (walk.concurrent) {
                    pk::StageRows all{h << 32};
                    std::vector<float> s0(need), s1(need);
                    std::thread down([&] { k->stage_rows(args, &all, true, s0.data()); });
                    k->stage_rows(args, &all, false, s1.data());
                    down.join();
                } else {
                    std::vector<float> scratch(need);
                    for (size_t i = 0; i + 1 < walk.cuts.size(); ++i) {
                        const int64_t r0 = std::min(h, walk.cuts[i]);
                        const int64_t r1 = i + 2 == walk.cuts.size() ? h : std::min(h, walk.cuts[i + 1]);
                        pk::StageRows segment{(r1 << 32) | r0};
                        k->stage_rows(args, &segment, walk.directions[i] > 0, scratch.data());
                    }
                }
                const std::string what = std::string(k->isa) + " height " + std::to_string(h) + ", " +
                                         std::to_string(walk.cuts.size() - 1) + " segments" +
                                         (walk.concurrent ? ", two threads" : "");
                EXPECT_LT((out - t).abs().max().item<double>(), 1e-4) << what;
                if (h >= 2) EXPECT_LT((pooled - pooled_ref).abs().max().item<double>(), 1e-4) << what;
                EXPECT_LT((z - z_ref).abs().max().item<double>(), 1e-4) << what;
            }
        }
    }
}

}  // namespace
}  // namespace ganvas

namespace ganvas {
namespace {

// A binary map from rows of '#' (foreground) and '.' (background).
cv::Mat art(const std::vector<std::string>& rows) {
    cv::Mat m(static_cast<int>(rows.size()), static_cast<int>(rows[0].size()), CV_8UC1, cv::Scalar(0));
    for (size_t r = 0; r < rows.size(); ++r) {
        for (size_t c = 0; c < rows[r].size(); ++c) m.at<uint8_t>(r, c) = rows[r][c] == '#';
    }
    return m;
}

int count(const cv::Mat& m) { return cv::countNonZero(m); }

TEST(Morphology, ThinningMatchesScikitImageOnFixtures) {
    const fs::path dir = fs::path(GANVAS_FIXTURES_DIR) / "thin";
    for (const char* name : {"shapes", "polygon", "strokes", "noise"}) {
        cv::Mat in = cv::imread((dir / (std::string(name) + ".png")).string(), cv::IMREAD_GRAYSCALE);
        cv::Mat want = cv::imread((dir / (std::string(name) + "_thin.png")).string(), cv::IMREAD_GRAYSCALE);
        ASSERT_FALSE(in.empty()) << name;
        cv::Mat got = thin(in);
        cv::Mat diff;
        cv::compare(got * 255, want, diff, cv::CMP_NE);
        EXPECT_EQ(cv::countNonZero(diff), 0) << name << ": pixels that differ from skimage.morphology.thin";
        EXPECT_GT(count(got), 0) << name;
    }
}

TEST(Morphology, ThinningATickBarLeavesAOnePixelLine) {
    cv::Mat bar(9, 30, CV_8UC1, cv::Scalar(0));
    bar(cv::Rect(3, 2, 24, 5)).setTo(1);  // 5 rows thick
    cv::Mat t = thin(bar);
    // One pixel per column along the bar's middle part, all on one row, nothing else.
    for (int c = 6; c < 24; ++c) EXPECT_EQ(cv::countNonZero(t.col(c)), 1) << "column " << c;
    EXPECT_EQ(cv::countNonZero(t.row(4)(cv::Rect(6, 0, 18, 1))), 18);
    EXPECT_EQ(count(thin(t)), count(t)) << "thinning is idempotent";
    EXPECT_EQ(count(thin(bar, 1)) > count(t), true) << "one iteration peels, it does not finish";
}

TEST(Morphology, IsolatedPixelsSmallComponentsSpursAndShrink) {
    const cv::Mat m = art({"#.........",
                           "..........",
                           "...####...",
                           "..........",
                           "......#.#.",
                           ".......#..",
                           ".........."});
    cv::Mat clean = remove_isolated(m);
    EXPECT_EQ(clean.at<uint8_t>(0, 0), 0);
    EXPECT_EQ(count(clean), count(m) - 1);
    // Components: the 4-pixel bar and the 3-pixel V; under 4 pixels goes.
    cv::Mat big = remove_small_components(m, 4);
    EXPECT_EQ(count(big), 4);
    EXPECT_EQ(big.at<uint8_t>(2, 3), 1);
    EXPECT_EQ(count(remove_small_components(m, 5)), 0);
    // A 4-pixel component survives min 4, goes with min 5.
    // Spur: a stroke with a one-pixel branch loses the branch's end and the stroke's ends.
    const cv::Mat spur = art({".......",
                              ".#####.",
                              "...#...",
                              "...#...",
                              "......."});
    cv::Mat s = remove_spurs(spur);
    EXPECT_EQ(s.at<uint8_t>(1, 1), 0) << "left end";
    EXPECT_EQ(s.at<uint8_t>(1, 5), 0) << "right end";
    EXPECT_EQ(s.at<uint8_t>(3, 3), 0) << "the spur's tip";
    EXPECT_EQ(s.at<uint8_t>(2, 3), 1) << "the spur's root stays (two neighbours)";
    EXPECT_EQ(count(s), count(spur) - 3);
    // A spur of length 3 needs three passes.
    const cv::Mat longer = art({"........",
                                ".######.",
                                "....#...",
                                "....#...",
                                "....#...",
                                "........"});
    cv::Mat l = remove_spurs(remove_spurs(longer));
    EXPECT_EQ(l.at<uint8_t>(4, 4), 0);
    EXPECT_EQ(l.at<uint8_t>(3, 4), 0);
    EXPECT_EQ(l.at<uint8_t>(2, 4), 1) << "the root also touches the stroke diagonally: not an end point";
    EXPECT_EQ(l.at<uint8_t>(1, 4), 1);
    // Shrink: a filled square keeps shrinking towards one pixel; an isolated pixel stays.
    cv::Mat sq(9, 9, CV_8UC1, cv::Scalar(0));
    sq(cv::Rect(2, 2, 5, 5)).setTo(1);
    cv::Mat once = shrink_once(sq);
    EXPECT_LT(count(once), 25);
    EXPECT_GT(count(once), 0);
    cv::Mat prev = sq;
    for (int i = 0; i < 20; ++i) prev = shrink_once(prev);
    EXPECT_EQ(count(prev), 1) << "a simply connected object shrinks to a point";
    const cv::Mat dot = art({"...", ".#.", "..."});
    EXPECT_EQ(count(shrink_once(dot)), 1);
}

TEST(EdgeNms, KeepsTheRidgeOfABlurredLine) {
    cv::Mat e(40, 40, CV_32F, cv::Scalar(0));
    for (int r = 0; r < 40; ++r) {
        for (int c = 0; c < 40; ++c) e.at<float>(r, c) = std::exp(-0.5f * std::pow((c - 20.0f) / 2.0f, 2.0f));
    }
    cv::Mat n = suppress_non_maxima(e);
    // Inside the untapered part each row keeps only the ridge column.
    for (int r = 6; r < 34; ++r) {
        for (int c = 6; c < 34; ++c) {
            if (c == 20) EXPECT_GT(n.at<float>(r, c), 0.5f) << r;
            else EXPECT_EQ(n.at<float>(r, c), 0.0f) << r << "," << c;
        }
    }
    // Border taper: row 0 is 0, row 2 is scaled by 2/5.
    EXPECT_EQ(n.at<float>(0, 20), 0.0f);
    EXPECT_NEAR(n.at<float>(2, 20), 0.4f * n.at<float>(20, 20), 1e-4f);
    // A diagonal line: the normal is at 3 pi / 4, the ridge survives, its neighbours across go.
    // (An exactly horizontal line would not be thinned: Dollar's formula multiplies by
    // sign(-Oxy), which is 0 there, and gives the normal angle 0. Real maps are never that exact.)
    cv::Mat d(40, 40, CV_32F);
    for (int r = 0; r < 40; ++r) {
        for (int c = 0; c < 40; ++c) d.at<float>(r, c) = std::exp(-0.5f * std::pow((r - c) / 2.0f, 2.0f));
    }
    EXPECT_NEAR(edge_orientation(conv_tri(d, 1)).at<float>(20, 20), 3 * M_PI / 4, 0.01);
    cv::Mat nd = suppress_non_maxima(d);
    for (int k = 8; k < 32; ++k) {
        EXPECT_GT(nd.at<float>(k, k), 0.5f) << k;
        EXPECT_EQ(nd.at<float>(k, k + 1), 0.0f) << k;
        EXPECT_EQ(nd.at<float>(k + 1, k), 0.0f) << k;
    }
}

TEST(EdgeNms, TriangleFilterAndGradient) {
    cv::Mat ramp(5, 6, CV_32F);
    for (int r = 0; r < 5; ++r) {
        for (int c = 0; c < 6; ++c) ramp.at<float>(r, c) = static_cast<float>(3 * c + r * r);
    }
    auto [gx, gy] = gradient2(ramp);
    EXPECT_FLOAT_EQ(gx.at<float>(2, 3), 3.0f);
    EXPECT_FLOAT_EQ(gx.at<float>(2, 0), 3.0f);
    EXPECT_FLOAT_EQ(gy.at<float>(2, 1), 4.0f);  // (9 - 1) / 2
    EXPECT_FLOAT_EQ(gy.at<float>(0, 1), 1.0f);  // one-sided at the top
    cv::Mat impulse(7, 7, CV_32F, cv::Scalar(0));
    impulse.at<float>(3, 3) = 16.0f;
    cv::Mat t = conv_tri(impulse, 1);
    EXPECT_FLOAT_EQ(t.at<float>(3, 3), 4.0f);
    EXPECT_FLOAT_EQ(t.at<float>(2, 3), 2.0f);
    EXPECT_FLOAT_EQ(t.at<float>(2, 2), 1.0f);
    EXPECT_NEAR(cv::sum(conv_tri(impulse, 4))[0], 16.0, 1e-4);
}

TEST(Sketch, DistanceMapOnAKnownPattern) {
    cv::Mat sketch(5, 7, CV_8UC1, cv::Scalar(255));
    sketch.at<uint8_t>(2, 1) = 0;   // one stroke pixel
    sketch.at<uint8_t>(2, 2) = 244; // darker than 245: also stroke
    sketch.at<uint8_t>(0, 6) = 245; // not a stroke
    cv::Mat d = distance_map(sketch);
    // Farthest pixel from {(2,1), (2,2)}: (0,6) or (4,6): sqrt(4^2 + 2^2).
    const float far = std::sqrt(20.0f);
    EXPECT_NEAR(d.at<float>(2, 1), 0.0f, 1e-6f);
    EXPECT_NEAR(d.at<float>(2, 2), 0.0f, 1e-6f);
    EXPECT_NEAR(d.at<float>(0, 6), 1.0f, 1e-5f);
    EXPECT_NEAR(d.at<float>(2, 5), 3.0f / far, 1e-5f);
    EXPECT_NEAR(d.at<float>(0, 1), 2.0f / far, 1e-5f);
    EXPECT_NEAR(d.at<float>(1, 4), std::sqrt(5.0f) / far, 1e-5f);
    cv::Mat blank(4, 4, CV_8UC1, cv::Scalar(255));
    EXPECT_EQ(cv::countNonZero(distance_map(blank) != 1.0f), 0);
}

TEST(Sketch, StrokesFromABlurredSquareOutline) {
    cv::Mat outline(64, 64, CV_32F, cv::Scalar(0));
    cv::rectangle(outline, cv::Rect(16, 16, 32, 32), cv::Scalar(1.0), 2);
    cv::GaussianBlur(outline, outline, cv::Size(7, 7), 1.5);
    cv::normalize(outline, outline, 0, 1, cv::NORM_MINMAX);
    cv::Mat strokes = sketch_strokes(outline);
    // One closed one-pixel ring: thinning leaves no pixel with 4-neighbours on both sides.
    EXPECT_GT(count(strokes), 100);
    EXPECT_LT(count(strokes), 140);
    EXPECT_EQ(count(thin(strokes)), count(strokes)) << "strokes are already thin";
    cv::Mat sketch = strokes_to_sketch(strokes);
    EXPECT_EQ(sketch.at<uint8_t>(0, 0), 255);
    EXPECT_EQ(cv::countNonZero(sketch == 0), count(strokes));
}

}  // namespace
}  // namespace ganvas

namespace ganvas {
namespace {

TEST(Sha256, KnownDigests) {
    EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(sha256_hex(std::string(1000, 'a')).size(), 64u);
}

TEST(Hed, RunsFromAGeneratedCaffemodelAndChecksTheOfficialFile) {
    test::TempDir dir;
    write_random_hed_caffemodel(dir / "random.caffemodel", 3);
    auto hed = make_hed_detector(dir / "random.caffemodel", HedOptions{64, 32});
    cv::Mat rgb(40, 52, CV_8UC3);
    cv::randu(rgb, 0, 255);
    const cv::Mat p = hed->probability(rgb);
    ASSERT_EQ(p.size(), rgb.size());
    double lo, hi;
    cv::minMaxLoc(p, &lo, &hi);
    EXPECT_GT(lo, 0.0);
    EXPECT_LT(hi, 1.0);
    EXPECT_TRUE(cv::norm(p, hed->probability(rgb), cv::NORM_INF) == 0.0) << "deterministic";
    // Another seed gives other weights, so another map: the weights are really read.
    write_random_hed_caffemodel(dir / "other.caffemodel", 4);
    EXPECT_GT(cv::norm(p, make_hed_detector(dir / "other.caffemodel", HedOptions{64, 32})->probability(rgb), cv::NORM_INF), 0.0);
    // A file under the official name is checked against the published size and digest.
    fs::copy_file(dir / "random.caffemodel", dir / "hed_pretrained_bsds.caffemodel");
    try {
        make_hed_detector(dir.path(), {});
        FAIL() << "expected an error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("58876104"), std::string::npos) << e.what();
    }
    EXPECT_THROW(make_hed_detector(dir / "missing.caffemodel", {}), Error);
    test::write_bytes(dir / "junk.caffemodel", "not a protobuf at all");
    EXPECT_THROW(make_hed_detector(dir / "junk.caffemodel", {}), Error);
}

// A detector that refuses every image, as PiDiNet does one under 8x8 pixels.
class RefusingDetector : public EdgeDetector {
public:
    std::string name() const override { return "refusing"; }
    cv::Mat probability(const cv::Mat&) const override { throw Error("image too small for this detector"); }
};

TEST(EdgeFiles, ADetectorsErrorNamesTheImage) {
    test::TempDir dir;
    cv::Mat bgr(6, 6, CV_8UC3, cv::Scalar(10, 200, 30));
    cv::imwrite((dir / "small.png").string(), bgr);
    const auto summary = edge_files(RefusingDetector(), {{dir / "small.png", dir / "out" / "small.png"}}, EdgeFileOptions());
    EXPECT_EQ(summary.written, 0);
    ASSERT_EQ(summary.failures.size(), 1u);
    EXPECT_NE(summary.failures[0].find((dir / "small.png").string()), std::string::npos) << summary.failures[0];
    EXPECT_NE(summary.failures[0].find("too small"), std::string::npos) << summary.failures[0];
    EXPECT_FALSE(std::filesystem::exists(dir / "out" / "small.png"));
}

TEST(EdgeDetectors, ClassicNeedsNoWeightsAndFindsAStep) {
    cv::Mat rgb(32, 32, CV_8UC3, cv::Scalar(30, 30, 30));
    rgb(cv::Rect(16, 0, 16, 32)).setTo(cv::Scalar(220, 200, 180));
    auto classic = make_edge_detector("classic", {});
    const cv::Mat p = classic->probability(rgb);
    ASSERT_EQ(p.size(), rgb.size());
    EXPECT_GT(p.at<float>(16, 15) + p.at<float>(16, 16), 1.0f);
    EXPECT_LT(p.at<float>(16, 4), 0.05f);
    EXPECT_THROW(make_edge_detector("canny", {}), UsageError);
    EXPECT_THROW(make_edge_detector("pidinet", {}), UsageError);
}

}  // namespace
}  // namespace ganvas

namespace ganvas {
namespace {

cv::Mat pixels(int rows, int cols, const std::vector<cv::Point>& on) {
    cv::Mat m(rows, cols, CV_8UC1, cv::Scalar(0));
    for (const auto& p : on) m.at<uint8_t>(p) = 1;
    return m;
}

TEST(BsdsEval, MatchingIsOneToOneAndMaximum) {
    // Three predicted pixels, two annotated ones two rows below: two pairs at most.
    auto a = pixels(10, 10, {{5, 5}, {6, 5}, {7, 5}});
    auto b = pixels(10, 10, {{5, 7}, {6, 7}});
    auto [ma, mb] = match_boundaries(a, b, 2.5);
    EXPECT_EQ(cv::countNonZero(ma), 2);
    EXPECT_EQ(cv::countNonZero(mb), 2);
    auto [na, nb] = match_boundaries(a, b, 1.5);  // distance 2 > 1.5: nothing
    EXPECT_EQ(cv::countNonZero(na), 0);
    EXPECT_EQ(cv::countNonZero(match_boundaries(a, b, 2.0).first), 2) << "distance == tolerance counts";
    // a1 reaches b1 and b2, a2 only b1: a greedy nearest-first pass pairs a1-b1 and strands a2;
    // the maximum matching pairs a1-b2 and a2-b1.
    auto c = pixels(4, 4, {{1, 0}, {0, 1}});  // a1 = (x1, y0), a2 = (x0, y1)
    auto d = pixels(4, 4, {{1, 1}, {2, 1}});  // b1 = (x1, y1), b2 = (x2, y1)
    auto [mc, md] = match_boundaries(c, d, 1.5);
    EXPECT_EQ(cv::countNonZero(mc), 2);
    EXPECT_EQ(cv::countNonZero(md), 2);
}

TEST(BsdsEval, RecallSumsOverAnnotatorsPrecisionCountsTheUnion) {
    BsdsOptions o;
    o.thresholds = 1;  // t = 0.5
    o.thin = false;
    o.max_dist = 0.06;  // of the 28.3-pixel diagonal: 1.7 pixels
    cv::Mat map(20, 20, CV_64F, cv::Scalar(0));
    map(cv::Rect(2, 10, 10, 1)).setTo(0.9);  // a 10-pixel horizontal line, row 10, x 2..11
    cv::Mat g1(20, 20, CV_8UC1, cv::Scalar(0)), g2 = g1.clone();
    g1(cv::Rect(2, 10, 10, 1)).setTo(255);   // annotator 1: the same line
    g2(cv::Rect(2, 11, 5, 1)).setTo(255);    // annotator 2: half of it, one row lower
    g2(cv::Rect(15, 2, 3, 1)).setTo(255);    // and 3 pixels far away
    const auto c = evaluate_boundary_image(map, {g1, g2}, o)[0];
    EXPECT_EQ(c.sum_p, 10);
    EXPECT_EQ(c.cnt_p, 10) << "every predicted pixel matched by annotator 1";
    EXPECT_EQ(c.sum_r, 10 + 8);
    EXPECT_EQ(c.cnt_r, 10 + 5);
    // An empty prediction: nothing found, nothing claimed, no division by zero.
    const auto e = evaluate_boundary_image(cv::Mat(20, 20, CV_64F, cv::Scalar(0)), {g1, g2}, o)[0];
    EXPECT_EQ(e.sum_p, 0);
    EXPECT_EQ(e.cnt_r, 0);
    const auto r = summarize_bsds({"x"}, {{e}}, 1);
    EXPECT_EQ(r.ods.f, 0.0);
    EXPECT_EQ(r.ois.f, 0.0);
}

TEST(BsdsEval, OdsInterpolatesOisPoolsAndNeverFallsBelowOds) {
    // Two images, 3 thresholds; image 1 is best at t1, image 2 at t3.
    std::vector<std::vector<BoundaryCounts>> counts = {
        {{90, 100, 60, 100}, {70, 100, 65, 80}, {30, 100, 30, 30}},
        {{95, 100, 20, 100}, {80, 100, 40, 90}, {60, 100, 58, 60}}};
    const auto r = summarize_bsds({"a", "b"}, counts, 3);
    ASSERT_EQ(r.curve.size(), 3u);
    EXPECT_DOUBLE_EQ(r.curve[0].threshold, 0.25);
    EXPECT_DOUBLE_EQ(r.curve[1].recall, 150.0 / 200.0);
    EXPECT_DOUBLE_EQ(r.curve[1].precision, 105.0 / 170.0);
    double best_discrete = 0;
    for (const auto& p : r.curve) best_discrete = std::max(best_discrete, p.f);
    EXPECT_GE(r.ods.f, best_discrete) << "interpolation only adds";
    EXPECT_GE(r.ois.f, r.ods.f);
    // OIS pools the chosen rows' counts: image a at t2 (F 0.752 against 0.72 and 0.46), image b
    // at t3 (F 0.74).
    EXPECT_DOUBLE_EQ(r.ois.recall, (70.0 + 60.0) / 200.0);
    EXPECT_DOUBLE_EQ(r.ois.precision, (65.0 + 58.0) / 140.0);
    EXPECT_DOUBLE_EQ(r.images[0].second.threshold, 0.5);
    EXPECT_DOUBLE_EQ(r.images[1].second.threshold, 0.75);
    EXPECT_GT(r.ap, 0.0);
    EXPECT_LT(r.ap, 1.0);
}

}  // namespace
}  // namespace ganvas
