// Speed of SketchyGAN's edge post-processing (src/ganvas/edges/postprocess.h: sketch strokes
// and the distance map) on 8-bit probability maps, one image at a time on `--threads` threads,
// and agreement with the Python peer's sketches (bench/postprocess_peer.py) when given. One JSON
// line.
//
//   build/bench/postprocess_bench MAPS_DIR [--threads 2] [--out DIR] [--compare PEER_SKETCH_DIR]
#include "ganvas/core/process.h"
#include "ganvas/edges/postprocess.h"

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/core/utility.hpp>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>

namespace fs = std::filesystem;

int main(int argc, char** argv) {
    ganvas::init_process(argv);
    if (argc < 2) {
        std::cerr << "usage: postprocess_bench MAPS_DIR [--out DIR] [--compare DIR]\n";
        return 2;
    }
    fs::path maps = argv[1], out, compare;
    int threads = 2;
    for (int i = 2; i < argc; ++i) {
        if (!std::strcmp(argv[i], "--threads") && i + 1 < argc) threads = std::atoi(argv[++i]);
        else if (!std::strcmp(argv[i], "--out") && i + 1 < argc) out = argv[++i];
        else if (!std::strcmp(argv[i], "--compare") && i + 1 < argc) compare = argv[++i];
        else {
            std::cerr << "unknown argument " << argv[i] << "\n";
            return 2;
        }
    }
    cv::setNumThreads(threads);
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(maps)) {
        if (e.path().extension() == ".png") files.push_back(e.path());
    }
    std::sort(files.begin(), files.end());
    if (!out.empty()) fs::create_directories(out);
    std::vector<double> ms;
    int64_t pixels = 0, differing = 0, compared = 0;
    for (const auto& f : files) {
        cv::Mat png = cv::imread(f.string(), cv::IMREAD_GRAYSCALE), e;
        png.convertTo(e, CV_32F, 1.0 / 255.0);
        const auto t0 = std::chrono::steady_clock::now();
        const cv::Mat sketch = ganvas::strokes_to_sketch(ganvas::sketch_strokes(e));
        const cv::Mat dist = ganvas::distance_map(sketch);
        ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
        if (!out.empty()) cv::imwrite((out / f.filename()).string(), sketch);
        if (!compare.empty()) {
            cv::Mat peer = cv::imread((compare / f.filename()).string(), cv::IMREAD_GRAYSCALE);
            if (peer.empty()) continue;
            pixels += static_cast<int64_t>(peer.total());
            differing += cv::countNonZero(peer != sketch);
            compared += 1;
        }
    }
    std::sort(ms.begin(), ms.end());
    nlohmann::json j = {{"impl", "ganvas"}, {"threads", threads}, {"images", files.size()}, {"ms_per_image", ms[ms.size() / 2]}};
    if (compared > 0) {
        j["compared_images"] = compared;
        j["differing_pixels"] = differing;
        j["differing_share"] = static_cast<double>(differing) / static_cast<double>(pixels);
    }
    std::cout << j.dump() << std::endl;
    return 0;
}
