// Training and inference speed of style2paints at its defaults (residual U-Net with guide decoders,
// ngf 32, 4 middle blocks, hint 2048, the VGG-19 relu-statistics encoder, DCGAN discriminator with
// the style head, batch 8, 128x128): the same step as bench/style2paints_peer.py on random images.
// One JSON line of medians.
//
//   build/bench/style2paints_bench [--threads 2] [--steps 8] [--size 128] [--batch 8] [--nchw]
//                                  [--ngf 32] [--middle-blocks 4] [--hint-width 2048]
// GANVAS_BENCH_TRACE=FILE writes a Chrome trace of two training steps instead, GANVAS_BENCH_TRACE_INFER
// one of two paintings (bench/trace_summary.py sums it by operator).
#include "bench_util.h"
#include "ganvas/core/process.h"
#include "ganvas/core/runtime.h"
#include "ganvas/models/style2paints/style2paints_model.h"

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
    int threads = 2, steps = 8, warmup = 2;
    int64_t size = 128, batch = 8, ngf = 32, middle_blocks = 4, hint_width = 2048;
    bool nchw = false;
    for (int i = 1; i < argc; ++i) {
        const auto next = [&] { return i + 1 < argc ? std::atoi(argv[++i]) : 0; };
        if (!std::strcmp(argv[i], "--threads")) threads = next();
        else if (!std::strcmp(argv[i], "--size")) size = next();
        else if (!std::strcmp(argv[i], "--batch")) batch = next();
        else if (!std::strcmp(argv[i], "--steps")) steps = next();
        else if (!std::strcmp(argv[i], "--ngf")) ngf = next();
        else if (!std::strcmp(argv[i], "--middle-blocks")) middle_blocks = next();
        else if (!std::strcmp(argv[i], "--hint-width")) hint_width = next();
        else if (!std::strcmp(argv[i], "--nchw")) nchw = true;
        else {
            std::cerr << "unknown argument " << argv[i] << "\n";
            return 2;
        }
    }
    ganvas::configure_threads(threads);
    torch::manual_seed(0);
    ganvas::Style2PaintsOptions options;
    options.image_size = size;
    options.load_size = size;
    options.ngf = ngf;
    options.middle_blocks = middle_blocks;
    options.hint_width = hint_width;
    options.validate();
    ganvas::Style2PaintsModel model(options);
    ganvas::Placement placement;
    placement.channels_last = !nchw;
    model.place(placement);
    ganvas::Batch b;
    b.input = placement.apply(torch::rand({batch, 3, size, size}));
    b.target = placement.apply(torch::rand({batch, 3, size, size}));
    b.extra["style"] = placement.apply(torch::rand({batch, 3, size, size}));

    if (const char* trace = std::getenv("GANVAS_BENCH_TRACE")) {  // a Chrome trace of 2 steps
        for (int i = 0; i < warmup; ++i) model.train_step(b);
        torch::autograd::profiler::RecordProfile profile(trace);
        for (int i = 0; i < 2; ++i) model.train_step(b);
        return 0;
    }
    if (const char* trace = std::getenv("GANVAS_BENCH_TRACE_INFER")) {  // a Chrome trace of 2 paintings
        for (int i = 0; i < 3; ++i) model.paint(b.input.narrow(0, 0, 1), b.extra["style"].narrow(0, 0, 1));
        torch::autograd::profiler::RecordProfile profile(trace);
        for (int i = 0; i < 2; ++i) model.paint(b.input.narrow(0, 0, 1), b.extra["style"].narrow(0, 0, 1));
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
        model.paint(b.input.narrow(0, 0, 1), b.extra["style"].narrow(0, 0, 1));
        if (i >= warmup) infer_s.push_back(now() - t);
    }
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    const nlohmann::json out = {{"impl", nchw ? "ganvas-nchw" : "ganvas"},
                                {"threads", threads},
                                {"size", size},
                                {"batch", batch},
                                {"train_step_s", median(train_s)},
                                {"infer_ms", 1000.0 * median(infer_s)},
                                {"peak_rss_mb", static_cast<double>(usage.ru_maxrss) / 1024.0}};
    std::cout << out.dump() << std::endl;
    return 0;
}
