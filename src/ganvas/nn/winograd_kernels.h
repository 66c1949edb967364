// Winograd F(3x3, 4x4): the tile transforms of a 4x4 stride-1 convolution computed as 36
// independent matrix products (Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks",
// CVPR 2016; the Toom-Cook points 0, 1, -1, 1/2, -1/2 and infinity).
//
// The output is cut into 3x3 tiles; each reads a 6x6 input tile (overlapping its neighbours by 3).
// With U = G w G^T (6x6 per filter) and V = B^T d B (6x6 per input tile), a tile's output is
// A^T [sum over input channels of U (.) V] A, so each of the 36 tile positions p is one product
//
//   M[p] (K x tiles) = U[p] (K x C) . V[p] (C x tiles)
//
// 2.25 multiplies per output instead of 16 (the products run on oneDNN's matmul, winograd_conv.cpp).
// Here are the six linear maps around them: the input, output and weight transforms and their
// adjoints, which give the input and weight gradients. Plain C++ without torch types, compiled once
// per instruction set (winograd_kernels_avx512.cpp, winograd_kernels_avx2.cpp, sharing
// winograd_kernels_impl.inc) and reached through a Kernels table chosen at run time: a vector holds
// 16 (AVX-512) or 8 (AVX2) tiles of a row, or as many filters for the weight transforms, so each
// transform is a few dozen vector operations per tile, gathered from and scattered to the image.
#pragma once
#include <cstdint>

namespace ganvas::winograd_kernels {

inline constexpr int64_t kPositions = 36;  // 6x6 tile positions: the number of products

// The convolution's shapes and the tiling. Transformed tensors are [36][rows][ld] with the tiles
// of every image side by side in a row (tile t = (n * tiles_h + ty) * tiles_w + tx), and ld = tiles
// rounded up to kLdMultiple; the columns past the last tile are zero.
inline constexpr int64_t kLdMultiple = 16;
struct Tiling {
    int64_t batch = 0, channels = 0, out_channels = 0, height = 0, width = 0, pad = 0;
    int64_t out_h = 0, out_w = 0, tiles_h = 0, tiles_w = 0, ld = 0;
    int64_t tiles() const { return batch * tiles_h * tiles_w; }
};

// The tiling of a 4x4, stride-1 convolution of [batch, channels, height, width] padded by pad
// (winograd_conv.cpp).
Tiling tiling_for(int64_t batch, int64_t channels, int64_t out_channels, int64_t height, int64_t width, int64_t pad);

// One instruction set's transforms. Each covers a range of channels so that the caller can run
// ranges on threads.
struct Kernels {
    const char* isa;  // "avx512" or "avx2"
    // V[p][c][t] from x [N, C, H, W] (zero padding outside), for channels c in [begin, end).
    void (*input_transform)(const Tiling& g, const float* x, float* V, int64_t begin, int64_t end);
    // Its adjoint: dx [N, C, H, W] from dV, for channels c in [begin, end) (dx overwritten there).
    void (*input_grad_transform)(const Tiling& g, const float* dV, float* dx, int64_t begin, int64_t end);
    // y [N, K, out_h, out_w] from M[p][k][t], for output channels k in [begin, end).
    void (*output_transform)(const Tiling& g, const float* M, float* y, int64_t begin, int64_t end);
    // Its adjoint: dM[p][k][t] from dy [N, K, out_h, out_w], for k in [begin, end).
    void (*output_grad_transform)(const Tiling& g, const float* dy, float* dM, int64_t begin, int64_t end);
    // U[p][k][c] from the weight w [K, C, 4, 4], for k in [begin, end).
    void (*weight_transform)(const float* w, int64_t out_channels, int64_t channels, float* U, int64_t begin,
                             int64_t end);
    // Its adjoint: dw [K, C, 4, 4] from dU[p][k][c], for k in [begin, end).
    void (*weight_grad_transform)(const float* dU, int64_t out_channels, int64_t channels, float* dw, int64_t begin,
                                  int64_t end);
};

const Kernels* avx512_kernels();  // nullptr where the build has no x86 kernels
const Kernels* avx2_kernels();


// Winograd F(4x4, 3x3) on channels-last maps: the 3x3 stride-1 convolutions of SketchyGAN's MRUs and
// the VGG loss network (winograd_conv.h). Points 0, 1, -1, 1/2, -1/2 and infinity, so the input
// transform B^T is the one above; a tile reads 6x6 input pixels for 4x4 outputs (neighbours overlap
// by 2), 2.25 multiplies per output instead of 9. A vector holds 16 (AVX-512) or 8 (AVX2) channels
// of one pixel, so tiles are read and written in contiguous runs without gathers. Layouts:
//   x [N][H][W][C], y [N][out_h][out_w][K]     (channels-last maps)
//   V [36][tiles][C], M [36][tiles][K]          (tile t = (n * tiles_h + ty) * tiles_w + tx)
//   U [36][C][K] from w [K][C][3][3]
// so that M[p] = V[p] . U[p] is a plain row-major product.
struct Tiling43 {
    int64_t batch = 0, channels = 0, out_channels = 0, height = 0, width = 0, pad = 0;
    int64_t out_h = 0, out_w = 0, tiles_h = 0, tiles_w = 0;
    int64_t tiles() const { return batch * tiles_h * tiles_w; }
};
Tiling43 tiling43_for(int64_t batch, int64_t channels, int64_t out_channels, int64_t height, int64_t width, int64_t pad);

struct Kernels43 {
    const char* isa;
    // V from x, for tiles [begin, end).
    void (*input_transform)(const Tiling43& g, const float* x, float* V, int64_t begin, int64_t end);
    // dx += the adjoint of input_transform applied to dV, for images [begin, end) (dx zeroed by the
    // caller; tiles of one image overlap, tiles of two never do).
    void (*input_grad_transform)(const Tiling43& g, const float* dV, float* dx, int64_t begin, int64_t end);
    // y from M (plus bias[k] where bias is not null), for tiles [begin, end).
    void (*output_transform)(const Tiling43& g, const float* M, const float* bias, float* y, int64_t begin,
                             int64_t end);
    // dM from dy, for tiles [begin, end).
    void (*output_grad_transform)(const Tiling43& g, const float* dy, float* dM, int64_t begin, int64_t end);
    // U from w, for input channels [begin, end).
    void (*weight_transform)(const float* w, int64_t out_channels, int64_t channels, float* U, int64_t begin,
                             int64_t end);
    // dw from dU, for input channels [begin, end).
    void (*weight_grad_transform)(const float* dU, int64_t out_channels, int64_t channels, float* dw, int64_t begin,
                                  int64_t end);
};

const Kernels43* avx512_kernels43();  // nullptr where the build has no x86 kernels
const Kernels43* avx2_kernels43();

}  // namespace ganvas::winograd_kernels
