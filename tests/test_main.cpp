#include "test_util.h"

#include "ganvas/data/synth.h"
#include "ganvas/config.h"
#include "ganvas/core/image.h"
#include "ganvas/nn/pointwise.h"
#include "ganvas/nn/small_conv.h"
#include "ganvas/nn/winograd_conv.h"

#include <fmt/format.h>
#include <algorithm>

#include <fstream>
#include <random>

namespace ganvas::test {
namespace fs = std::filesystem;

TempDir::TempDir() {
    std::random_device rd;
    path_ = fs::temp_directory_path() / fmt::format("ganvas-test-{:x}", (uint64_t(rd()) << 32) | rd());
    fs::create_directories(path_);
}

TempDir::~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
}

ColorizerOptions tiny_colorizer_options() {
    ColorizerOptions o;
    o.image_size = 16;
    o.widths = {4, 4, 8, 8};
    o.d_width = 4;
    return o;
}

void write_tiny_images(const fs::path& dir, int count, int size) {
    write_synth_dataset(dir, count, size, /*seed=*/7);
}

void write_bytes(const fs::path& path, const std::string& bytes) {
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << bytes;
}

}  // namespace ganvas::test

int main(int argc, char** argv) {
    ::testing::InitGoogleTest(&argc, argv);
    // CUDA tests run where a GPU exists and are filtered out (not skipped) where none does,
    // as LibTorch's own C++ test main does.
    auto exclude = [](const char* pattern) {
        auto& filter = ::testing::GTEST_FLAG(filter);
        filter += (filter.find('-') == std::string::npos ? "-" : ":") + std::string(pattern);
    };
    if (!torch::cuda::is_available()) exclude("Cuda*");
    // Likewise each instruction set of the convolution kernels where the build or the CPU lacks it.
    for (const char* isa : {"avx512", "avx2"}) {
        const auto has = [isa](const std::vector<std::string>& sets) {
            return std::find(sets.begin(), sets.end(), isa) != sets.end();
        };
        if (!has(ganvas::small_conv_isas()) || !has(ganvas::winograd_isas()) || !has(ganvas::pointwise_isas())) {
            exclude(("Isa/X86Kernels.*/" + std::string(isa)).c_str());
        }
    }
    // PiDiNet's fused kernels exist only in builds with the x86 kernels (GANVAS_X86_KERNELS).
    if (!GANVAS_X86_KERNELS) exclude("SeededTest.FusedPdcBlock*");
    // ctest runs tests two at a time on two cores; one intra-op thread each.
    torch::set_num_threads(1);
    return RUN_ALL_TESTS();
}
