// PiDiNet with the real checkpoint: the reference's synthetic test vector (SPEC.md section 8.1,
// values computed by the spec's author with PyTorch) and inference speed on a 481x321 input.
// Exits 1 when an output differs from the reference by more than 1e-5.
//
//   build/bench/pidinet_bench --weights ../shared/weights/pidinet/table5_pidinet.pth [--threads 2]
#include "ganvas/core/process.h"
#include "ganvas/core/runtime.h"
#include "ganvas/edges/pidinet.h"

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <iostream>

int main(int argc, char** argv) {
    ganvas::init_process(argv);
    std::string weights;
    int threads = 2, reps = 10;
    for (int i = 1; i < argc; ++i) {
        if (!std::strcmp(argv[i], "--weights") && i + 1 < argc) weights = argv[++i];
        else if (!std::strcmp(argv[i], "--threads") && i + 1 < argc) threads = std::atoi(argv[++i]);
        else if (!std::strcmp(argv[i], "--reps") && i + 1 < argc) reps = std::atoi(argv[++i]);
        else {
            std::cerr << "unknown argument " << argv[i] << "\n";
            return 2;
        }
    }
    if (weights.empty()) {
        std::cerr << "--weights FILE is required\n";
        return 2;
    }
    ganvas::configure_threads(threads);
    auto net = ganvas::load_pidinet(weights);
    torch::InferenceMode guard;
    // x[0,c,h,w] = 2 sin(0.31 h + 0.17 w + 1.3 c) + cos(0.005 h w + c), computed in float64.
    const int64_t H = 75, W = 101;
    auto h = torch::arange(H, torch::kDouble).view({1, 1, H, 1});
    auto w = torch::arange(W, torch::kDouble).view({1, 1, 1, W});
    auto c = torch::arange(3, torch::kDouble).view({1, 3, 1, 1});
    auto x = (2 * torch::sin(0.31 * h + 0.17 * w + 1.3 * c) + torch::cos(0.005 * h * w + c)).to(torch::kFloat);
    const auto outs = net->forward_all(x);
    // Reference rows: mean, [0,0], [37,50], [74,100], max for sigmoid(e_0..e_3), sigmoid(fused).
    const double ref[5][5] = {{0.2966894, 0.4501585, 0.4276997, 0.4358936, 0.9902605},
                              {0.1477816, 0.0610174, 0.0224523, 0.9399133, 0.9983178},
                              {0.3913210, 0.3457453, 0.3365654, 0.3515613, 0.9766109},
                              {0.1533156, 0.3614562, 0.0000000, 0.8939928, 0.9488940},
                              {0.1486160, 0.2129580, 0.0000033, 0.8028338, 0.9311477}};
    double worst = 0;
    for (int i = 0; i < 5; ++i) {
        const auto m = outs[i][0][0];
        const double got[5] = {m.mean().item<double>(), m[0][0].item<double>(), m[37][50].item<double>(),
                               m[74][100].item<double>(), m.max().item<double>()};
        for (int j = 0; j < 5; ++j) worst = std::max(worst, std::abs(got[j] - ref[i][j]));
        std::printf("output %d: mean %.7f [0,0] %.7f [37,50] %.7f [74,100] %.7f max %.7f\n", i, got[0], got[1],
                    got[2], got[3], got[4]);
    }
    std::printf("largest difference from the reference values: %.2e (tolerance 1e-5)\n", worst);
    // Speed on a BSDS-sized input (321 x 481), batch 1.
    auto img = torch::rand({1, 3, 321, 481}).contiguous(torch::MemoryFormat::ChannelsLast);
    net->forward(img);
    if (const char* trace = std::getenv("GANVAS_BENCH_TRACE")) {  // a Chrome trace of 3 images
        torch::autograd::profiler::RecordProfile profile(trace);
        for (int i = 0; i < 3; ++i) net->forward(img);
        return 0;
    }
    std::vector<double> ms;
    for (int i = 0; i < reps; ++i) {
        const auto t0 = std::chrono::steady_clock::now();
        net->forward(img);
        ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    }
    std::sort(ms.begin(), ms.end());
    std::cout << nlohmann::json({{"impl", "ganvas-pidinet"}, {"threads", threads}, {"size", "481x321"},
                                 {"ms_per_image", ms[ms.size() / 2]}, {"ms_min", ms.front()}, {"max_abs_diff_test_vector", worst}})
                     .dump()
              << std::endl;
    return worst <= 1e-5 ? 0 : 1;
}
