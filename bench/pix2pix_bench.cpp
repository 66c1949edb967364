// Training and inference speed of pix2pix at the reference defaults (U-Net 256, 70x70 PatchGAN,
// batch norm, vanilla GAN + 100 L1, batch 1, 256x256): the same step as bench/pix2pix_peer.py on
// random images. One JSON line of medians.
//
//   build/bench/pix2pix_bench [--threads 2] [--steps 10] [--size 256] [--channels-last]
//                             [--reference-transpose | --onednn-transpose] [--stock-adam]
//                             [--no-small-conv] [--no-winograd]
#include "bench_util.h"
#include "ganvas/core/process.h"
#include "ganvas/core/runtime.h"
#include "ganvas/models/pix2pix/pix2pix_model.h"

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <iostream>

using ganvas::bench::median;
using ganvas::bench::now;

int main(int argc, char** argv) {
    ganvas::init_process(argv);
    int threads = 2, steps = 10, warmup = 3;
    int64_t size = 256;
    ganvas::Pix2PixOptions options;
    std::string label = "ganvas";
    for (int i = 1; i < argc; ++i) {
        const auto next = [&] { return i + 1 < argc ? std::atoi(argv[++i]) : 0; };
        if (!std::strcmp(argv[i], "--threads")) threads = next();
        else if (!std::strcmp(argv[i], "--size")) size = next();
        else if (!std::strcmp(argv[i], "--steps")) steps = next();
        else if (!std::strcmp(argv[i], "--channels-last")) options.channels_last = true, label += "-channels-last";
        else if (!std::strcmp(argv[i], "--reference-transpose")) options.transpose_kernel = "reference", label += "-reftconv";
        else if (!std::strcmp(argv[i], "--onednn-transpose")) options.transpose_kernel = "onednn", label += "-onednntconv";
        else if (!std::strcmp(argv[i], "--stock-adam")) options.fused_adam = false, label += "-stockadam";
        else if (!std::strcmp(argv[i], "--no-small-conv")) ::setenv("GANVAS_SMALL_CONV", "0", 1), label += "-nosmallconv";
        else if (!std::strcmp(argv[i], "--no-winograd")) ::setenv("GANVAS_WINOGRAD", "0", 1), label += "-nowinograd";
        else if (!std::strcmp(argv[i], "--isa") && i + 1 < argc) {
            // One instruction set for both kernel families (avx512, avx2 or none).
            ::setenv("GANVAS_SMALL_CONV_KERNELS", argv[i + 1], 1);
            ::setenv("GANVAS_WINOGRAD_KERNELS", argv[i + 1], 1);
            label += std::string("-") + argv[++i];
        }
        else {
            std::cerr << "unknown argument " << argv[i] << "\n";
            return 2;
        }
    }
    ganvas::configure_threads(threads);
    torch::manual_seed(0);
    options.crop_size = size;
    options.load_size = size;
    options.netG = size == 256 ? "unet_256" : "unet_128";
    ganvas::Pix2PixModel model(options);
    ganvas::Placement placement;  // the model picks its memory format (options.channels_last)
    model.place(placement);
    placement = model.placement();
    ganvas::Batch b;
    b.input = placement.apply(torch::rand({1, 3, size, size}));
    b.target = placement.apply(torch::rand({1, 3, size, size}));

    if (const char* trace = std::getenv("GANVAS_BENCH_TRACE")) {  // a Chrome trace of 3 steps
        for (int i = 0; i < warmup; ++i) model.train_step(b);
        torch::autograd::profiler::RecordProfile profile(trace);
        for (int i = 0; i < 3; ++i) model.train_step(b);
        return 0;
    }
    std::vector<double> train_s, infer_s;
    for (int i = 0; i < warmup + steps; ++i) {
        const double t = now();
        model.train_step(b);
        if (i >= warmup) train_s.push_back(now() - t);
    }
    for (int i = 0; i < warmup + steps; ++i) {
        const double t = now();
        model.translate(b.input);
        if (i >= warmup) infer_s.push_back(now() - t);
    }
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    nlohmann::json out = {{"impl", label},
                          {"threads", threads},
                          {"size", size},
                          {"train_step_s", median(train_s)},
                          {"infer_ms", 1000.0 * median(infer_s)},
                          {"peak_rss_mb", static_cast<double>(usage.ru_maxrss) / 1024.0},
                          {"openblas_coretype", std::getenv("OPENBLAS_CORETYPE") ? std::getenv("OPENBLAS_CORETYPE") : ""}};
    std::cout << out.dump() << std::endl;
    return 0;
}
