// Fused element-wise kernels of the MRU (SketchyGAN's unit) and its activations: each forward is
// one pass over memory and each backward one more, where LibTorch's ops make three to six passes
// (one per operator, forward and backward). Plain C++ without torch types over flat float arrays,
// compiled once per instruction set (pointwise_kernels_avx512.cpp, pointwise_kernels_avx2.cpp,
// sharing pointwise_kernels_impl.inc) and reached through a Kernels table chosen at run time
// (pointwise.h). The caller splits the arrays into ranges for its threads.
//
//   smooth ReLU  y = (x + sqrt(0.09 + x^2)) / 2          dy/dx = (1 + x / sqrt(0.09 + x^2)) / 2
//   PReLU        y = x > 0 ? x : a x (one slope a)       dy/dx = x > 0 ? 1 : a, dy/da = min(x, 0)
//   gate         y = sigmoid(p) x                        the MRU's masked input m * x
//   mix          y = (1 - n) s + n z, n = sigmoid(p)    the MRU's output
#pragma once
#include <cstdint>

namespace ganvas::pointwise_kernels {

struct Kernels {
    const char* isa;  // "avx512" or "avx2"
    void (*smooth_relu)(const float* x, float* y, int64_t n);
    void (*smooth_relu_grad)(const float* x, const float* g, float* gx, int64_t n);
    void (*prelu)(const float* x, float a, float* y, int64_t n);
    // Returns the range's share of dL/da: the sum of g * min(x, 0).
    double (*prelu_grad)(const float* x, float a, const float* g, float* gx, int64_t n);
    void (*gate)(const float* x, const float* p, float* y, int64_t n);
    void (*gate_grad)(const float* x, const float* p, const float* g, float* gx, float* gp, int64_t n);
    void (*mix)(const float* s, const float* z, const float* p, float* y, int64_t n);
    void (*mix_grad)(const float* s, const float* z, const float* p, const float* g, float* gs, float* gz, float* gp,
                     int64_t n);
};

const Kernels* avx512_kernels();  // nullptr where the build has no x86 kernels
const Kernels* avx2_kernels();

}  // namespace ganvas::pointwise_kernels
