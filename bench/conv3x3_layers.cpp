// Each 3x3, stride-1 convolution shape of a network, trained both ways: Winograd F(4x4, 3x3)
// (winograd3x3_conv2d) and LibTorch's convolution (oneDNN), on channels-last maps: forward and
// backward (input and weight gradients together, as in training), milliseconds, medians of
// interleaved repetitions. What decides
// winograd3x3_fits' thresholds.
//
//   build/bench/conv3x3_layers [--threads 2] [--reps 7] [--batch 8] [C:K:H ...]
// A shape C:K:H is C input and K output channels on an HxH map (padding 1); without shapes, those
// of style2paints at ngf 16 and 32 and of the VGG-19 encoder at 128x128.
#include "bench_util.h"
#include "ganvas/core/process.h"
#include "ganvas/core/runtime.h"
#include "ganvas/nn/winograd_conv.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

using ganvas::bench::median;
using ganvas::bench::now;

namespace {

struct Shape {
    int64_t c, k, h;
};

struct Passes {
    std::vector<double> fwd, bwd;
};

void time_once(const Shape& s, int64_t batch, bool winograd, Passes& p) {
    const auto cl = torch::MemoryFormat::ChannelsLast;
    auto x = torch::randn({batch, s.c, s.h, s.h}).contiguous(cl).requires_grad_(true);
    auto w = (torch::randn({s.k, s.c, 3, 3}) * 0.05).requires_grad_(true);
    double t = now();
    auto y = winograd ? ganvas::winograd3x3_conv2d(x, w, {}, 1) : torch::conv2d(x, w, {}, 1, 1);
    p.fwd.push_back(1e3 * (now() - t));
    const auto dy = torch::randn_like(y);
    t = now();
    const auto grads = torch::autograd::grad({y}, {x, w}, {dy});
    p.bwd.push_back(1e3 * (now() - t));
}

}  // namespace

int main(int argc, char** argv) {
    ganvas::init_process(argv);
    int threads = 2, reps = 7;
    int64_t batch = 8;
    std::vector<Shape> shapes;
    for (int i = 1; i < argc; ++i) {
        const auto next = [&] { return i + 1 < argc ? std::atoi(argv[++i]) : 0; };
        if (!std::strcmp(argv[i], "--threads")) threads = next();
        else if (!std::strcmp(argv[i], "--reps")) reps = next();
        else if (!std::strcmp(argv[i], "--batch")) batch = next();
        else {
            Shape s{};
            if (std::sscanf(argv[i], "%ld:%ld:%ld", &s.c, &s.k, &s.h) != 3) {
                std::fprintf(stderr, "unknown argument %s (a shape is C:K:H)\n", argv[i]);
                return 2;
            }
            shapes.push_back(s);
        }
    }
    if (shapes.empty()) {
        shapes = {{16, 16, 128}, {32, 16, 128}, {32, 32, 64}, {64, 32, 64}, {64, 64, 32}, {128, 64, 32},
                  {128, 128, 16}, {256, 128, 16}, {128, 128, 8}, {32, 32, 128}, {64, 64, 64}, {256, 256, 8},
                  {64, 64, 130}, {64, 128, 66}, {128, 128, 66}, {128, 256, 34}};
    }
    ganvas::configure_threads(threads);
    torch::manual_seed(0);
    std::printf("%d threads, batch %ld, winograd %s; ms, medians of %d interleaved repetitions\n", threads, batch,
                ganvas::winograd_isa().c_str(), reps);
    std::printf("%-16s %20s %20s %8s\n", "C:K:H", "oneDNN fwd / bwd", "Winograd fwd / bwd", "speed-up");
    for (const auto& s : shapes) {
        Passes direct, wino;
        for (int r = 0; r < reps + 1; ++r) {
            time_once(s, batch, false, direct);
            time_once(s, batch, true, wino);
        }
        const auto trim = [](std::vector<double> v) { return std::vector<double>(v.begin() + 1, v.end()); };
        const double d[2] = {median(trim(direct.fwd)), median(trim(direct.bwd))};
        const double w[2] = {median(trim(wino.fwd)), median(trim(wino.bwd))};
        std::printf("%-16s %20s %20s %7.2fx\n", fmt::format("{}:{}:{}", s.c, s.k, s.h).c_str(),
                    fmt::format("{:.2f} / {:.2f}", d[0], d[1]).c_str(), fmt::format("{:.2f} / {:.2f}", w[0], w[1]).c_str(),
                    (d[0] + d[1]) / (w[0] + w[1]));
    }
    return 0;
}
