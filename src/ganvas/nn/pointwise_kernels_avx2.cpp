// pointwise_kernels.h for AVX2 + FMA: 8 floats per vector, tails through masked loads and stores
// (masks as the sign bits of 32-bit lanes). Built with -mavx2 -mfma (src/CMakeLists.txt) and
// called only where the CPU has both.
#include "ganvas/nn/pointwise_kernels.h"

#include <immintrin.h>

namespace ganvas::pointwise_kernels {
namespace avx2_impl {
namespace {

constexpr const char* kIsa = "avx2";
using Vec = __m256;
using Mask = __m256i;
constexpr int64_t kLanes = 8;

inline Mask first(int64_t count) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(count)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}
inline Vec load(Mask m, const float* p) { return _mm256_maskload_ps(p, m); }
inline void store(float* p, Mask m, Vec v) { _mm256_maskstore_ps(p, m, v); }
inline Vec set1(float f) { return _mm256_set1_ps(f); }
inline Vec add(Vec a, Vec b) { return _mm256_add_ps(a, b); }
inline Vec sub(Vec a, Vec b) { return _mm256_sub_ps(a, b); }
inline Vec mul(Vec a, Vec b) { return _mm256_mul_ps(a, b); }
inline Vec div(Vec a, Vec b) { return _mm256_div_ps(a, b); }
inline Vec fmadd(Vec a, Vec b, Vec c) { return _mm256_fmadd_ps(a, b, c); }
inline Vec vmin(Vec a, Vec b) { return _mm256_min_ps(a, b); }
inline Vec vmax(Vec a, Vec b) { return _mm256_max_ps(a, b); }
inline Vec vsqrt(Vec a) { return _mm256_sqrt_ps(a); }
inline Vec vfloor(Vec a) { return _mm256_floor_ps(a); }
inline Vec select_positive(Vec x, Vec a, Vec b) {
    return _mm256_blendv_ps(b, a, _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_GT_OQ));
}
inline Vec pow2(Vec k) {
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(k), _mm256_set1_epi32(127)), 23));
}
inline double hsum(Vec v) {
    alignas(32) float lanes[8];
    _mm256_store_ps(lanes, v);
    double s = 0;
    for (float f : lanes) s += f;
    return s;
}

#include "ganvas/nn/pointwise_kernels_impl.inc"

}  // namespace
}  // namespace avx2_impl

const Kernels* avx2_kernels() { return &avx2_impl::kernels; }

}  // namespace ganvas::pointwise_kernels
