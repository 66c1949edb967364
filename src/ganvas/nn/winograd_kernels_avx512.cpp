// winograd_kernels.h for AVX-512F: 16 tiles or filters per vector, mask registers, hardware gather
// and scatter. Built with -mavx512f -mfma (src/CMakeLists.txt) and called only where the CPU has
// AVX-512F.
#include "ganvas/nn/winograd_kernels.h"

#include <immintrin.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>

namespace ganvas::winograd_kernels {
namespace avx512_impl {
namespace {

constexpr const char* kIsa = "avx512";
using Vec = __m512;
using IVec = __m512i;
using Mask = __mmask16;
constexpr int64_t kLanes = 16;

inline Mask first(int64_t count) { return static_cast<Mask>((1u << count) - 1); }
inline IVec lane_offsets(int64_t scale, int64_t offset) {
    const IVec lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    return _mm512_add_epi32(_mm512_mullo_epi32(lane, _mm512_set1_epi32(static_cast<int>(scale))),
                            _mm512_set1_epi32(static_cast<int>(offset)));
}
inline Mask within(Mask mask, IVec index, int64_t limit) {
    return mask & _mm512_cmpge_epi32_mask(index, _mm512_setzero_si512()) &
           _mm512_cmplt_epi32_mask(index, _mm512_set1_epi32(static_cast<int>(limit)));
}
inline Vec zero() { return _mm512_setzero_ps(); }
inline Vec set1(float f) { return _mm512_set1_ps(f); }
inline Vec add(Vec a, Vec b) { return _mm512_add_ps(a, b); }
inline Vec sub(Vec a, Vec b) { return _mm512_sub_ps(a, b); }
inline Vec fmadd(Vec a, Vec b, Vec c) { return _mm512_fmadd_ps(a, b, c); }
inline Vec load_masked(Mask mask, const float* p) { return _mm512_maskz_loadu_ps(mask, p); }
inline void store_masked(float* p, Mask mask, Vec v) { _mm512_mask_storeu_ps(p, mask, v); }
inline Vec gather(Mask mask, IVec index, const float* base) {
    return _mm512_mask_i32gather_ps(_mm512_setzero_ps(), mask, index, base, 4);
}
inline void scatter(float* base, Mask mask, IVec index, Vec v) { _mm512_mask_i32scatter_ps(base, mask, index, v, 4); }

#include "ganvas/nn/winograd_kernels_impl.inc"

namespace f43 {
#include "ganvas/nn/winograd43_kernels_impl.inc"
}  // namespace f43

}  // namespace
}  // namespace avx512_impl

const Kernels* avx512_kernels() { return &avx512_impl::kernels; }
const Kernels43* avx512_kernels43() { return &avx512_impl::f43::kernels; }

}  // namespace ganvas::winograd_kernels
