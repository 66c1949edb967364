// Where a pix2pix step's time goes, layer by layer, and how fast it could be with the kernels
// LibTorch has: every convolution of U-Net 256 and the 70x70 PatchGAN (batch 1, 256x256) timed
// forward, backward-data and backward-weights under each available kernel (oneDNN on NCHW,
// oneDNN on channels-last, LibTorch's own im2col + GEMM, and for transposed convolutions oneDNN's
// backward-data; ganvas's small-map and Winograd kernels where they apply), plus a fused Adam pass over all parameters and a memory-bandwidth probe.
// Prints a JSON line per layer and a summary: the step's convolution time with the best kernel per
// layer and operation (a lower bound for any program built on these kernels).
//
//   build/bench/pix2pix_layers [--threads 2] [--reps 5]
#include "bench_util.h"
#include "ganvas/core/process.h"
#include "ganvas/core/runtime.h"
#include "ganvas/nn/adam.h"
#include "ganvas/nn/small_conv.h"
#include "ganvas/nn/winograd_conv.h"

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <functional>
#include <iostream>

namespace {

using ganvas::bench::now;

double median_ms(const std::function<void()>& f, int reps) {
    f();
    std::vector<double> t;
    for (int i = 0; i < reps; ++i) {
        const double s = now();
        f();
        t.push_back(1000.0 * (now() - s));
    }
    std::sort(t.begin(), t.end());
    return t[t.size() / 2];
}

struct Layer {
    std::string name;
    int64_t cin, cout, h;  // input side
    int64_t stride;
    bool transposed;
    int fwd, bwd_data, bwd_weight;  // how often a step needs each
};

std::vector<Layer> pix2pix_layers() {
    std::vector<Layer> layers;
    // U-Net 256 encoder: 4x4 stride-2 convs; the first one's input needs no gradient.
    const int64_t down[][2] = {{3, 64}, {64, 128}, {128, 256}, {256, 512}, {512, 512}, {512, 512}, {512, 512}, {512, 512}};
    int64_t h = 256;
    for (int i = 0; i < 8; ++i, h /= 2) {
        layers.push_back({"G.down" + std::to_string(i + 1), down[i][0], down[i][1], h, 2, false, 1, i == 0 ? 0 : 1, 1});
    }
    // Decoder: transposed convs from 1x1 up to 256x256; inputs are concatenations but the innermost.
    const int64_t up[][2] = {{512, 512}, {1024, 512}, {1024, 512}, {1024, 512}, {1024, 256}, {512, 128}, {256, 64}, {128, 3}};
    h = 1;
    for (int i = 0; i < 8; ++i, h *= 2) {
        layers.push_back({"G.up" + std::to_string(8 - i), up[i][0], up[i][1], h, 2, true, 1, 1, 1});
    }
    // PatchGAN: run 3 times (D step: fake, real; G step: fake), weight gradients twice, input
    // gradients 3 times except the first layer's (once, for G).
    const int64_t d[][3] = {{6, 64, 2}, {64, 128, 2}, {128, 256, 2}, {256, 512, 1}, {512, 1, 1}};
    h = 256;
    for (int i = 0; i < 5; ++i) {
        layers.push_back({"D.conv" + std::to_string(i + 1), d[i][0], d[i][1], h, d[i][2], false, 3, i == 0 ? 1 : 3, 2});
        h = d[i][2] == 2 ? h / 2 : h - 1;
    }
    return layers;
}

struct Timing {
    double fwd = 0, bwd_data = 0, bwd_weight = 0;
};

Timing time_layer(const Layer& l, const std::string& kernel, int reps) {
    const bool cl = kernel == "onednn-cl";
    at::globalContext().setUserEnabledMkldnn(kernel != "im2col-gemm");
    const auto fmt = cl ? torch::MemoryFormat::ChannelsLast : torch::MemoryFormat::Contiguous;
    auto x = torch::randn({1, l.cin, l.h, l.h}).contiguous(fmt);
    auto w = (l.transposed ? torch::randn({l.cin, l.cout, 4, 4}) : torch::randn({l.cout, l.cin, 4, 4})) * 0.02;
    w = w.contiguous(fmt);
    const int64_t s = l.stride;
    Timing t;
    if (kernel == "small-maps" || kernel == "winograd") {  // ganvas's own kernels, through their autograd functions
        torch::AutoGradMode grad_mode(true);
        x.requires_grad_(true), w.requires_grad_(true);
        auto run = [&] {
            if (kernel == "winograd") return ganvas::winograd_conv2d(x, w, 1);
            return l.transposed ? ganvas::small_conv_transpose2d(x, w, s, 1, 0) : ganvas::small_conv2d(x, w, s, 1);
        };
        auto y = run();
        auto gy = torch::randn_like(y);
        t.fwd = median_ms([&] { run(); }, reps);
        t.bwd_data = median_ms([&] { torch::autograd::grad({y}, {x}, {gy}, true); }, reps);
        t.bwd_weight = median_ms([&] { torch::autograd::grad({y}, {w}, {gy}, true); }, reps);
    } else if (l.transposed && kernel == "onednn-backward-data") {
        auto y_shape = torch::empty({1, l.cout, l.h * 2, l.h * 2});
        auto gy = torch::randn({1, l.cout, l.h * 2, l.h * 2});
        t.fwd = median_ms([&] { at::convolution_backward(x, y_shape, w, c10::nullopt, {2, 2}, {1, 1}, {1, 1}, false, {0, 0}, 1, {true, false, false}); }, reps);
        t.bwd_data = median_ms([&] { at::convolution(gy, w, {}, {2, 2}, {1, 1}, {1, 1}, false, {0, 0}, 1); }, reps);
        t.bwd_weight = median_ms([&] { at::convolution_backward(x, gy, w, c10::nullopt, {2, 2}, {1, 1}, {1, 1}, false, {0, 0}, 1, {false, true, false}); }, reps);
    } else {
        auto y = at::convolution(x, w, {}, {s, s}, {1, 1}, {1, 1}, l.transposed, {0, 0}, 1);
        auto gy = torch::randn_like(y);
        t.fwd = median_ms([&] { at::convolution(x, w, {}, {s, s}, {1, 1}, {1, 1}, l.transposed, {0, 0}, 1); }, reps);
        t.bwd_data = median_ms([&] { at::convolution_backward(gy, x, w, c10::nullopt, {s, s}, {1, 1}, {1, 1}, l.transposed, {0, 0}, 1, {true, false, false}); }, reps);
        t.bwd_weight = median_ms([&] { at::convolution_backward(gy, x, w, c10::nullopt, {s, s}, {1, 1}, {1, 1}, l.transposed, {0, 0}, 1, {false, true, false}); }, reps);
    }
    at::globalContext().setUserEnabledMkldnn(true);
    return t;
}

}  // namespace

int main(int argc, char** argv) {
    ganvas::init_process(argv);
    int threads = 2, reps = 5;
    for (int i = 1; i < argc; ++i) {
        if (!std::strcmp(argv[i], "--threads") && i + 1 < argc) threads = std::atoi(argv[++i]);
        else if (!std::strcmp(argv[i], "--reps") && i + 1 < argc) reps = std::atoi(argv[++i]);
        else {
            std::cerr << "unknown argument " << argv[i] << "\n";
            return 2;
        }
    }
    ganvas::configure_threads(threads);
    torch::NoGradGuard no_grad;
    double best_total = 0, onednn_total = 0, chosen_total = 0;
    for (const auto& l : pix2pix_layers()) {
        std::vector<std::string> kernels{"onednn", "onednn-cl", "im2col-gemm"};
        if (l.transposed) kernels.push_back("onednn-backward-data");
        const auto probe_x = torch::empty({1, l.cin, l.h, l.h});
        const auto probe_w = l.transposed ? torch::empty({l.cin, l.cout, 4, 4}) : torch::empty({l.cout, l.cin, 4, 4});
        const bool small = l.name.rfind("G.", 0) == 0 && ganvas::small_conv_fits(probe_x, probe_w, l.transposed, l.stride, 1, 0);
        if (small) kernels.push_back("small-maps");
        const bool winograd = !l.transposed && ganvas::winograd_fits(probe_x, probe_w, l.stride, 1);
        if (winograd) kernels.push_back("winograd");
        nlohmann::json row = {{"layer", l.name}, {"cin", l.cin}, {"cout", l.cout}, {"h", l.h}};
        double best_f = 1e9, best_d = 1e9, best_w = 1e9;
        for (const auto& k : kernels) {
            const Timing t = time_layer(l, k, reps);
            row[k] = {t.fwd, t.bwd_data, t.bwd_weight};
            best_f = std::min(best_f, t.fwd), best_d = std::min(best_d, t.bwd_data), best_w = std::min(best_w, t.bwd_weight);
            const double step_ms = l.fwd * t.fwd + l.bwd_data * t.bwd_data + l.bwd_weight * t.bwd_weight;
            if (k == "onednn") onednn_total += step_ms;
            // What ganvas runs today: its small-map kernels on the U-Net's innermost levels and
            // Winograd on the PatchGAN's stride-1 layer, else oneDNN (NCHW) convolutions;
            // transposed ones through backward-data from 16x16 inputs up, LibTorch's GEMM path below.
            const bool chosen = small                ? k == "small-maps"
                                : winograd           ? k == "winograd"
                                : l.transposed       ? (l.h * l.h >= 256 ? k == "onednn-backward-data" : k == "im2col-gemm")
                                                     : k == "onednn";
            if (chosen) chosen_total += step_ms;
        }
        const double best = l.fwd * best_f + l.bwd_data * best_d + l.bwd_weight * best_w;
        best_total += best;
        row["best_step_ms"] = best;
        std::cout << row.dump() << std::endl;
    }
    // Adam over pix2pix's 57.2 M parameters in one fused pass, and a plain copy for bandwidth.
    auto p = torch::randn({57182660});
    p.mutable_grad() = torch::randn_like(p);
    p.set_requires_grad(true);
    ganvas::FusedAdam adam({p}, {});
    const double adam_ms = median_ms([&] { adam.step(); }, reps);
    auto a = torch::randn({64 << 20}), b = torch::empty_like(a);
    const double copy_ms = median_ms([&] { b.copy_(a); }, reps);
    const double gbps = 2.0 * a.numel() * 4 / (copy_ms / 1000.0) / 1e9;
    nlohmann::json summary = {{"convolutions_ms_best_kernel_per_op", best_total},
                              {"convolutions_ms_onednn_nchw", onednn_total},
                              {"convolutions_ms_ganvas_choice", chosen_total},
                              {"fused_adam_ms", adam_ms},
                              {"copy_bandwidth_gb_s", gbps},
                              {"threads", threads}};
    std::cout << summary.dump() << std::endl;
    return 0;
}
