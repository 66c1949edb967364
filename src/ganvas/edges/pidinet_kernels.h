// Fused CPU kernels for PiDiNet's residual block, channels-last (NHWC) float32, inference only.
//
// One block is depthwise conv -> ReLU -> 1x1 conv -> + shortcut (identity, or a 1x1 conv with bias
// on the pooled input). Run as separate LibTorch ops, each of the four streams the whole feature map
// through memory; at 481x321x60 that is ~27 ms a block, most of it memory traffic. These kernels
// compute one image row at a time: the depthwise result of a row stays in cache and the 1x1
// convolution (with the shortcut's 1x1 as a second K segment) runs as a register-blocked product
// that adds the residual or bias in its first load, so each block reads its input once and writes
// its output once.
//
// This header is plain C++ with no torch types: the kernels are compiled per instruction set
// (pidinet_kernels_avx512.cpp, pidinet_kernels_avx2.cpp, each with its own -m flags) and must not
// instantiate any shared inline code. Callers pick one with pidinet_kernels() at run time.
#pragma once
#include <cstdint>

namespace ganvas::pidinet_kernels {

// Channel counts are padded to a multiple of this in packed weights and scratch rows.
constexpr int64_t kPad = 16;
constexpr int64_t padded(int64_t c) { return (c + kPad - 1) / kPad * kPad; }

struct BlockArgs {
    const float* x = nullptr;  // [height, width, in_channels], already pooled for a downsampling block
    int64_t height = 0, width = 0, in_channels = 0, out_channels = 0;
    const float* depthwise = nullptr;  // [kernel_size^2][padded(in)], tap-major, zero padding lanes
    int kernel_size = 3;               // 3 (padding 1) or 5 (padding 2)
    const float* pointwise = nullptr;  // [in][padded(out)]: out += relu(dw(x)) . pointwise
    const float* shortcut = nullptr;   // [in][padded(out)] or nullptr for the identity shortcut
    const float* bias = nullptr;       // [padded(out)], with shortcut only
    float* out = nullptr;              // [height, width, out_channels]
};

struct Kernels {
    const char* isa;
    // Output rows [row_begin, row_end); scratch holds width * padded(in_channels) floats, 64-byte aligned.
    void (*block_rows)(const BlockArgs& args, int64_t row_begin, int64_t row_end, float* scratch);
    // 2x2 max-pool, stride 2, floor: x [height, width, channels] -> out rows [row_begin, row_end)
    // of [height / 2, width / 2, channels].
    void (*max_pool_rows)(const float* x, int64_t height, int64_t width, int64_t channels, float* out,
                          int64_t row_begin, int64_t row_end);
};

const Kernels* avx512_kernels();  // nullptr when not compiled in
const Kernels* avx2_kernels();

// The best set this CPU runs (AVX-512F, else AVX2+FMA), or nullptr: callers then use LibTorch ops.
// GANVAS_PIDINET_KERNELS=avx2|avx512|none overrides the choice (benchmarks and tests).
const Kernels* select_kernels();

}  // namespace ganvas::pidinet_kernels
