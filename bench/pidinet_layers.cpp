// PiDiNet's residual blocks one by one at the sizes a 481x321 image gives (random weights): LibTorch's
// ops (depthwise conv, ReLU, 1x1 conv, add; channels-last, oneDNN) against the fused kernels of
// pidinet_kernels.h for each instruction set this CPU has. Medians of --reps runs, ms and GFLOP/s.
//
//   build/bench/pidinet_layers [--threads 2] [--reps 20]
#include "bench_util.h"
#include "ganvas/core/process.h"
#include "ganvas/core/runtime.h"
#include "ganvas/edges/pidinet.h"

#include <torch/torch.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

int main(int argc, char** argv) {
    ganvas::init_process(argv);
    int threads = 2, reps = 20;
    for (int i = 1; i < argc; ++i) {
        if (!std::strcmp(argv[i], "--threads") && i + 1 < argc) threads = std::atoi(argv[++i]);
        else if (!std::strcmp(argv[i], "--reps") && i + 1 < argc) reps = std::atoi(argv[++i]);
        else {
            std::fprintf(stderr, "unknown argument %s\n", argv[i]);
            return 2;
        }
    }
    ganvas::configure_threads(threads);
    namespace pk = ganvas::pidinet_kernels;
    struct Case {
        const char* name;
        int64_t in, out, h, w;
        ganvas::PdcType type;
        bool down;
    };
    const Case cases[] = {{"block1_1", 60, 60, 321, 481, ganvas::PdcType::Ad, false},
                          {"block1_2 (5x5)", 60, 60, 321, 481, ganvas::PdcType::Rd, false},
                          {"block2_1 (pool)", 60, 120, 321, 481, ganvas::PdcType::Cd, true},
                          {"block2_2", 120, 120, 160, 240, ganvas::PdcType::Ad, false},
                          {"block3_1 (pool)", 120, 240, 160, 240, ganvas::PdcType::Cd, true},
                          {"block3_2", 240, 240, 80, 120, ganvas::PdcType::Ad, false},
                          {"block4_2", 240, 240, 40, 60, ganvas::PdcType::Ad, false},
                          {"block1_1 40 rows", 60, 60, 40, 481, ganvas::PdcType::Ad, false}};
    std::vector<std::pair<const char*, const pk::Kernels*>> impls = {{"libtorch", nullptr}};
    if (ganvas::cpu_has("avx2") && ganvas::cpu_has("fma")) impls.emplace_back("avx2", pk::avx2_kernels());
    if (ganvas::cpu_has("avx512f")) impls.emplace_back("avx512", pk::avx512_kernels());
    torch::manual_seed(0);
    torch::NoGradGuard no_grad;
    std::printf("%-16s %-9s %9s %9s %12s\n", "block", "impl", "ms", "GFLOP/s", "max |diff|");
    for (const auto& c : cases) {
        ganvas::PdcBlock block(c.in, c.out, c.type, c.down);
        for (auto& p : block->parameters()) if (p.dim() == 4) p.set_data(p.contiguous(torch::MemoryFormat::ChannelsLast));
        auto x = torch::randn({1, c.in, c.h, c.w}).contiguous(torch::MemoryFormat::ChannelsLast);
        const int64_t h = c.down ? c.h / 2 : c.h, w = c.down ? c.w / 2 : c.w, taps = c.type == ganvas::PdcType::Rd ? 25 : 9;
        const double flop = 2.0 * h * w * (c.in * taps + c.in * c.out * (c.down ? 2 : 1));
        torch::Tensor reference;
        for (const auto& [name, kernels] : impls) {
            block->prepare_fused(kernels);
            auto y = block->forward(x);
            if (!reference.defined()) reference = y;
            std::vector<double> s;
            for (int r = 0; r < reps; ++r) {
                const double t0 = ganvas::bench::now();
                y = block->forward(x);
                s.push_back(ganvas::bench::now() - t0);
            }
            const double med = ganvas::bench::median(s);
            std::printf("%-16s %-9s %9.2f %9.1f %12.2e\n", c.name, name, med * 1e3, flop / med * 1e-9,
                        (y - reference).abs().max().item<double>());
        }
    }
    return 0;
}
