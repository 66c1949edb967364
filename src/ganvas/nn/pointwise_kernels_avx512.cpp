// pointwise_kernels.h for AVX-512F: 16 floats per vector, masked tails. Built with -mavx512f -mfma
// (src/CMakeLists.txt) and called only where the CPU has AVX-512F.
#include "ganvas/nn/pointwise_kernels.h"

#include <immintrin.h>

namespace ganvas::pointwise_kernels {
namespace avx512_impl {
namespace {

constexpr const char* kIsa = "avx512";
using Vec = __m512;
using Mask = __mmask16;
constexpr int64_t kLanes = 16;

inline Mask first(int64_t count) { return static_cast<Mask>((1u << count) - 1u); }
inline Vec load(Mask m, const float* p) { return _mm512_maskz_loadu_ps(m, p); }
inline void store(float* p, Mask m, Vec v) { _mm512_mask_storeu_ps(p, m, v); }
inline Vec set1(float f) { return _mm512_set1_ps(f); }
inline Vec add(Vec a, Vec b) { return _mm512_add_ps(a, b); }
inline Vec sub(Vec a, Vec b) { return _mm512_sub_ps(a, b); }
inline Vec mul(Vec a, Vec b) { return _mm512_mul_ps(a, b); }
inline Vec div(Vec a, Vec b) { return _mm512_div_ps(a, b); }
inline Vec fmadd(Vec a, Vec b, Vec c) { return _mm512_fmadd_ps(a, b, c); }
inline Vec vmin(Vec a, Vec b) { return _mm512_min_ps(a, b); }
inline Vec vmax(Vec a, Vec b) { return _mm512_max_ps(a, b); }
inline Vec vsqrt(Vec a) { return _mm512_sqrt_ps(a); }
inline Vec vfloor(Vec a) { return _mm512_roundscale_ps(a, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC); }
inline Vec select_positive(Vec x, Vec a, Vec b) {
    return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_GT_OQ), b, a);
}
inline Vec pow2(Vec k) {
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(_mm512_cvtps_epi32(k), _mm512_set1_epi32(127)), 23));
}
inline double hsum(Vec v) { return _mm512_reduce_add_ps(v); }

#include "ganvas/nn/pointwise_kernels_impl.inc"

}  // namespace
}  // namespace avx512_impl

const Kernels* avx512_kernels() { return &avx512_impl::kernels; }

}  // namespace ganvas::pointwise_kernels
