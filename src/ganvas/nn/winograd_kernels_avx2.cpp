// winograd_kernels.h for AVX2 + FMA: 8 tiles or filters per vector. AVX2 has masked loads, stores
// and gathers (masks as the sign bits of 32-bit lanes) but no scatter: scatters go through memory
// lane by lane. Built with -mavx2 -mfma (src/CMakeLists.txt) and called only where the CPU has both.
#include "ganvas/nn/winograd_kernels.h"

#include <immintrin.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>

namespace ganvas::winograd_kernels {
namespace avx2_impl {
namespace {

constexpr const char* kIsa = "avx2";
using Vec = __m256;
using IVec = __m256i;
using Mask = __m256i;
constexpr int64_t kLanes = 8;

inline Mask first(int64_t count) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(count)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}
inline IVec lane_offsets(int64_t scale, int64_t offset) {
    const IVec lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    return _mm256_add_epi32(_mm256_mullo_epi32(lane, _mm256_set1_epi32(static_cast<int>(scale))),
                            _mm256_set1_epi32(static_cast<int>(offset)));
}
inline Mask within(Mask mask, IVec index, int64_t limit) {
    const IVec nonnegative = _mm256_cmpgt_epi32(index, _mm256_set1_epi32(-1));
    const IVec below = _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(limit)), index);
    return _mm256_and_si256(mask, _mm256_and_si256(nonnegative, below));
}
inline Vec zero() { return _mm256_setzero_ps(); }
inline Vec set1(float f) { return _mm256_set1_ps(f); }
inline Vec add(Vec a, Vec b) { return _mm256_add_ps(a, b); }
inline Vec sub(Vec a, Vec b) { return _mm256_sub_ps(a, b); }
inline Vec fmadd(Vec a, Vec b, Vec c) { return _mm256_fmadd_ps(a, b, c); }
inline Vec load_masked(Mask mask, const float* p) { return _mm256_maskload_ps(p, mask); }
inline void store_masked(float* p, Mask mask, Vec v) { _mm256_maskstore_ps(p, mask, v); }
inline Vec gather(Mask mask, IVec index, const float* base) {
    return _mm256_mask_i32gather_ps(_mm256_setzero_ps(), base, index, _mm256_castsi256_ps(mask), 4);
}
inline void scatter(float* base, Mask mask, IVec index, Vec v) {
    alignas(32) float values[8];
    alignas(32) int32_t offsets[8];
    _mm256_store_ps(values, v);
    _mm256_store_si256(reinterpret_cast<__m256i*>(offsets), index);
    const int set = _mm256_movemask_ps(_mm256_castsi256_ps(mask));
    for (int l = 0; l < 8; ++l) {
        if (set >> l & 1) base[offsets[l]] = values[l];
    }
}

#include "ganvas/nn/winograd_kernels_impl.inc"

namespace f43 {
#include "ganvas/nn/winograd43_kernels_impl.inc"
}  // namespace f43

}  // namespace
}  // namespace avx2_impl

const Kernels* avx2_kernels() { return &avx2_impl::kernels; }
const Kernels43* avx2_kernels43() { return &avx2_impl::f43::kernels; }

}  // namespace ganvas::winograd_kernels
