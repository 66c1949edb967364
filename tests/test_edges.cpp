// Edge maps: PiDiNet's pixel-difference convolutions and network.
#include "test_util.h"

#include "ganvas/core/error.h"
#include "ganvas/edges/pidinet.h"
#include "ganvas/nn/placement.h"

namespace ganvas {
namespace {

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
}

}  // namespace
}  // namespace ganvas
