// Matrix kernels for convolutions whose feature maps are a few pixels (the bottom of a U-Net).
//
// At the bottom of pix2pix's U-Net 256 a 4x4 convolution has 512-1024 channels but 1-64 output
// pixels: 8-33 MB of weights and only 2-64 multiply-adds per weight. oneDNN reorders the plain
// weight tensor into its blocked layout on every call and back for the weight gradient, and
// LibTorch's im2col path hands BLAS a matrix with 1-64 columns; both run these layers at 3-40
// GFLOP/s (docs/RESULTS.md). Here each of the three products a convolution needs reads the plain
// [rows x cols] weight matrix once, in long runs, with the small operand in cache:
//
//   sum_rows_scaled  out[p][s] = sum_r b[r][p] * w[r][s]     (conv backward-data, transposed conv forward)
//   row_dots         out[r][p] = sum_s w[r][s] * colT[p][s]  (conv forward, transposed conv backward-data)
//   outer_sum        out[r][s] = sum_p a[r][p] * colT[p][s]  (the weight gradient of both)
//
// where w is the weight viewed as [rows, cols] (a convolution's [out, in*k*k], a transposed
// convolution's [in, out*k*k]), p runs over the pixels of the small side, and colT holds one
// unrolled k x k window per pixel. Each call covers a range of the split dimension so the caller
// can run ranges on threads. Plain C++ without torch types: the three products are compiled once
// per instruction set (small_conv_kernels_avx512.cpp, small_conv_kernels_avx2.cpp, each with its own
// -m flags, sharing small_conv_kernels_impl.inc) and reached through a Kernels table chosen at run
// time; unfold and fold are plain loops in small_conv.cpp.
#pragma once
#include <cstdint>

namespace ganvas::small_conv_kernels {

// Matrices of pixel rows (colT, out of sum_rows_scaled) have a leading dimension ld >= cols; a
// power-of-two ld (8192 floats is common) maps a column of them to a few cache sets, so callers
// pad it (ld_for). cols, begin and end of a column range are multiples of 16.
constexpr int64_t ld_for(int64_t cols) { return cols % 256 == 0 ? cols + 16 : cols; }

// One instruction set's products. Each covers a range of the split dimension so that the caller
// can run ranges on threads.
struct Kernels {
    const char* isa;  // "avx512" or "avx2"
    // out[p * ldo + s] = sum_r b[r * ldb + p] * w[r * cols + s] for p < pixels, s in [begin, end).
    void (*sum_rows_scaled)(const float* b, int64_t ldb, const float* w, int64_t rows, int64_t cols, int64_t pixels,
                            float* out, int64_t ldo, int64_t begin, int64_t end);
    // out[r * pixels + p] = sum_s w[r * cols + s] * colT[p * ldc + s] for r in [begin, end).
    void (*row_dots)(const float* w, int64_t cols, const float* colT, int64_t ldc, int64_t pixels, float* out,
                     int64_t begin, int64_t end);
    // out[r * cols + s] = sum_p a[r * pixels + p] * colT[p * ldc + s] for r in [begin, end); overwrites out.
    void (*outer_sum)(const float* a, int64_t pixels, const float* colT, int64_t ldc, int64_t cols, float* out,
                      int64_t begin, int64_t end);
};

const Kernels* avx512_kernels();  // nullptr where the build has no x86 kernels
const Kernels* avx2_kernels();

// A convolution's geometry. colT holds its unfolded windows: colT[p * ldc + c * k * k + i * k + j] =
// x[n][c][oy * stride + i - pad][ox * stride + j - pad] (zero outside), p = (n * out_h + oy) * out_w
// + ox (unfolding and its adjoint are plain loops in small_conv.cpp).
struct Window {
    int64_t batch = 0, channels = 0, height = 0, width = 0;  // the convolution's input x
    int64_t kernel = 0, stride = 0, pad = 0;
    int64_t out_h = 0, out_w = 0;                           // its output
    int64_t pixels() const { return batch * out_h * out_w; }
    int64_t cols() const { return channels * kernel * kernel; }
};

}  // namespace ganvas::small_conv_kernels
