// Training and inference speed of SketchyGAN at its defaults (64x64, batch 16, one class, MRU
// networks, the diversity pair, the VGG perceptual term): the same step as bench/sketchygan_peer.py
// on random images, with a random frozen VGG-19 (the work is that of the real one). One JSON line
// of medians; inference is one sketch, one sample.
//
//   build/bench/sketchygan_bench [--threads 2] [--width 1] [--steps 5] [--batch 16]
//                                [--isa avx512|avx2|none] [--contiguous]
// --isa none: LibTorch's operators throughout (no fused MRU kernels).
#include "bench_util.h"
#include "ganvas/core/process.h"
#include "ganvas/core/runtime.h"
#include "ganvas/models/sketchygan/sketchygan_model.h"
#include "ganvas/nn/inference_context.h"

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <sys/resource.h>

#include <cstdlib>
#include <cstring>
#include <iostream>

using ganvas::bench::median;
using ganvas::bench::now;

int main(int argc, char** argv) {
    ganvas::init_process(argv);
    int threads = 2, steps = 5, warmup = 2;
    int64_t batch = 16;
    ganvas::SketchyGanOptions options;
    ganvas::Placement placement;
    std::string label = "ganvas";
    for (int i = 1; i < argc; ++i) {
        const auto has_value = i + 1 < argc;
        if (!std::strcmp(argv[i], "--threads") && has_value) threads = std::atoi(argv[++i]);
        else if (!std::strcmp(argv[i], "--steps") && has_value) steps = std::atoi(argv[++i]);
        else if (!std::strcmp(argv[i], "--batch") && has_value) batch = std::atoi(argv[++i]);
        else if (!std::strcmp(argv[i], "--width") && has_value) options.width = std::atof(argv[++i]);
        else if (!std::strcmp(argv[i], "--contiguous")) placement.channels_last = false, label += "-contiguous";
        else if (!std::strcmp(argv[i], "--isa") && has_value) {
            ::setenv("GANVAS_SMALL_CONV_KERNELS", argv[i + 1], 1);
            ::setenv("GANVAS_WINOGRAD_KERNELS", argv[i + 1], 1);
            ::setenv("GANVAS_POINTWISE_KERNELS", argv[i + 1], 1);
            label += std::string("-") + argv[++i];
        } else {
            std::cerr << "sketchygan_bench: unknown argument " << argv[i] << "\n";
            return 2;
        }
    }
    if (threads < 1 || steps < 1 || batch < 1 || !(options.width > 0)) {
        std::cerr << "sketchygan_bench: --threads, --steps, --batch and --width must be positive\n";
        return 2;
    }
    ganvas::configure_threads(threads);
    torch::manual_seed(0);
    ganvas::SketchyGanModel model(options);
    model.place(placement);
    model.set_feature_network(ganvas::Vgg19Relu31());
    const int64_t size = options.image_size;
    ganvas::Batch b;
    b.input = placement.apply(torch::rand({batch, 1, size, size}));
    b.target = placement.apply(torch::rand({batch, 3, size, size}));
    b.label = torch::zeros({batch}, torch::kLong);
    model.begin_step(0, 1000);

    if (const char* trace = std::getenv("GANVAS_BENCH_TRACE")) {  // a Chrome trace of 2 steps
        for (int i = 0; i < warmup; ++i) model.train_step(b);
        torch::autograd::profiler::RecordProfile profile(trace);
        for (int i = 0; i < 2; ++i) model.train_step(b);
        return 0;
    }
    if (const char* trace = std::getenv("GANVAS_BENCH_TRACE_INFER")) {  // a Chrome trace of 10 translations
        const auto one = b.input.narrow(0, 0, 1);
        auto generator = ganvas::make_cpu_generator(1);
        for (int i = 0; i < 3; ++i) model.generate(one, torch::zeros({1}, torch::kLong), generator);
        torch::autograd::profiler::RecordProfile profile(trace);
        for (int i = 0; i < 10; ++i) model.generate(one, torch::zeros({1}, torch::kLong), generator);
        return 0;
    }
    std::vector<double> train_s, infer_s;
    for (int i = 0; i < warmup + steps; ++i) {
        const double t = now();
        model.train_step(b);
        if (i >= warmup) train_s.push_back(now() - t);
    }
    const auto one = b.input.narrow(0, 0, 1);
    const auto labels = torch::zeros({1}, torch::kLong);
    auto generator = ganvas::make_cpu_generator(1);
    for (int i = 0; i < warmup + 3 * steps; ++i) {
        const double t = now();
        model.generate(one, labels, generator);
        if (i >= warmup) infer_s.push_back(now() - t);
    }
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    nlohmann::json out = {{"impl", label},
                          {"threads", threads},
                          {"width", options.width},
                          {"batch", batch},
                          {"train_step_s", median(train_s)},
                          {"infer_ms", 1000.0 * median(infer_s)},
                          {"peak_rss_mb", static_cast<double>(usage.ru_maxrss) / 1024.0}};
    std::cout << out.dump() << std::endl;
    return 0;
}
