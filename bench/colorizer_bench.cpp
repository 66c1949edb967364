// Training and inference speed of the colorizer recipes on random 64x64 inputs, batch 16, medians
// over timed steps. One JSON line. --recipe:
//   blocks    the five-block network, RGB head, L1 + 0.1 GAN: the step bench/colorizer_peer.py mirrors
//   unet-ab   U-Net trunk, a, b head, L1 x 100 + 0.03 GAN (the default of 2026-12-06; --unet)
//   default   the default recipe now (ColorizerOptions{}: U-Net trunk, rebalanced bins + L1 x 100)
//
//   build/bench/colorizer_bench [--threads 2] [--batch 16] [--size 64] [--steps 20] [--nchw] [--recipe R]
#include "ganvas/core/process.h"
#include "ganvas/core/color.h"
#include "bench_util.h"
#include "ganvas/core/runtime.h"
#include "ganvas/models/colorizer/colorizer_model.h"

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>

using ganvas::bench::median;
using ganvas::bench::now;

int main(int argc, char** argv) {
    ganvas::init_process(argv);
    int threads = 2, steps = 20, warmup = 3;
    int64_t batch = 16, size = 64;
    bool channels_last = true;
    std::string recipe = "blocks";
    for (int i = 1; i < argc; ++i) {
        const auto next = [&] { return i + 1 < argc ? std::atoi(argv[++i]) : 0; };
        if (!std::strcmp(argv[i], "--threads")) threads = next();
        else if (!std::strcmp(argv[i], "--batch")) batch = next();
        else if (!std::strcmp(argv[i], "--size")) size = next();
        else if (!std::strcmp(argv[i], "--steps")) steps = next();
        else if (!std::strcmp(argv[i], "--nchw")) channels_last = false;
        else if (!std::strcmp(argv[i], "--unet")) recipe = "unet-ab";
        else if (!std::strcmp(argv[i], "--recipe") && i + 1 < argc) recipe = argv[++i];
        else {
            std::cerr << "unknown argument " << argv[i] << "\n";
            return 2;
        }
    }
    ganvas::configure_threads(threads);
    torch::manual_seed(0);
    ganvas::ColorizerOptions options;
    options.image_size = size;
    if (recipe == "blocks") {
        options.trunk = ganvas::ColorTrunk::Blocks;
        options.head = ganvas::ChromaHead::Rgb;
        options.adv_weight = 0.1;
    } else if (recipe == "unet-ab") {
        options.trunk = ganvas::ColorTrunk::Unet;
        options.head = ganvas::ChromaHead::Ab;
        options.adv_weight = 0.03;
    } else if (recipe != "default") {
        std::cerr << "--recipe: blocks, unet-ab or default\n";
        return 2;
    }
    ganvas::ColorizerModel model(options);
    ganvas::Placement placement;
    placement.channels_last = channels_last;
    model.place(placement);
    ganvas::Batch b;
    b.target = placement.apply(torch::rand({batch, 3, size, size}));
    b.input = placement.apply(ganvas::rgb_to_gray3(b.target));

    std::vector<double> train_s, infer_s;
    for (int i = 0; i < warmup + steps; ++i) {
        const double t = now();
        model.train_step(b);
        if (i >= warmup) train_s.push_back(now() - t);
    }
    for (int i = 0; i < warmup + steps; ++i) {
        const double t = now();
        model.colorize(b.input);
        if (i >= warmup) infer_s.push_back(now() - t);
    }
    const double step = median(train_s);
    nlohmann::json out = {{"impl", channels_last ? "ganvas" : "ganvas-nchw"},
                          {"recipe", recipe},
                          {"threads", threads},
                          {"batch", batch},
                          {"size", size},
                          {"train_step_s", step},
                          {"train_images_per_s", static_cast<double>(batch) / step},
                          {"infer_ms_per_image", 1000.0 * median(infer_s) / static_cast<double>(batch)},
                          {"openblas_coretype", std::getenv("OPENBLAS_CORETYPE") ? std::getenv("OPENBLAS_CORETYPE") : ""}};
    std::cout << out.dump() << std::endl;
    return 0;
}
