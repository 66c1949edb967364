// small_conv_kernels.h for AVX-512F: 16 lanes, 32 registers. Built with -mavx512f -mfma
// (src/CMakeLists.txt) and called only where the CPU has AVX-512F.
#include "ganvas/nn/small_conv_kernels.h"

#include <immintrin.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>

namespace ganvas::small_conv_kernels {
namespace avx512_impl {
namespace {

constexpr const char* kIsa = "avx512";
using Vec = __m512;
constexpr int64_t kLanes = 16;

inline Vec zero() { return _mm512_setzero_ps(); }
inline Vec load(const float* p) { return _mm512_loadu_ps(p); }
inline Vec load_aligned(const float* p) { return _mm512_load_ps(p); }
inline void store(float* p, Vec v) { _mm512_storeu_ps(p, v); }
inline void store_aligned(float* p, Vec v) { _mm512_store_ps(p, v); }
inline void stream(float* p, Vec v) { _mm512_stream_ps(p, v); }
inline void store_fence() { _mm_sfence(); }
inline Vec broadcast(float f) { return _mm512_set1_ps(f); }
inline Vec fmadd(Vec a, Vec b, Vec c) { return _mm512_fmadd_ps(a, b, c); }

// Register tiles: up to 16 accumulators of the 32 registers, the rest for operands.
constexpr int kDotAccumulators = 16;
constexpr int kDotRowsWide = 4, kDotRowsNarrow = 8;
constexpr int kSumRowsAPixels = 8, kSumRowsAVectors = 2;
constexpr int kSumRowsBPixels = 4, kSumRowsBVectors = 4;
constexpr int kSumRowsCVectors = 8;
constexpr int kOuterRows = 6, kOuterVectors = 4;

// sums[i] = the horizontal sum of acc[i], for all 16 at once: three rounds of shuffles that add
// halves of pairs, then one permutation.
void horizontal_sums(const Vec (&a)[16], float* sums) {
    __m512 s[8], u[4], w[2];
    for (int i = 0; i < 8; ++i)
        s[i] = _mm512_add_ps(_mm512_shuffle_f32x4(a[2 * i], a[2 * i + 1], 0x44),
                             _mm512_shuffle_f32x4(a[2 * i], a[2 * i + 1], 0xEE));
    for (int i = 0; i < 4; ++i)
        u[i] = _mm512_add_ps(_mm512_shuffle_f32x4(s[2 * i], s[2 * i + 1], 0x88),
                             _mm512_shuffle_f32x4(s[2 * i], s[2 * i + 1], 0xDD));
    for (int i = 0; i < 2; ++i)
        w[i] = _mm512_add_ps(_mm512_shuffle_ps(u[2 * i], u[2 * i + 1], 0x88),
                             _mm512_shuffle_ps(u[2 * i], u[2 * i + 1], 0xDD));
    const __m512 mixed = _mm512_add_ps(_mm512_shuffle_ps(w[0], w[1], 0x88), _mm512_shuffle_ps(w[0], w[1], 0xDD));
    // The shuffles leave the sum of a[i] in lane (i % 4) * 4 + i / 4; that map is its own inverse.
    _mm512_store_ps(sums, _mm512_permutexvar_ps(
                              _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15), mixed));
}

#include "ganvas/nn/small_conv_kernels_impl.inc"

}  // namespace
}  // namespace avx512_impl

const Kernels* avx512_kernels() { return &avx512_impl::kernels; }

}  // namespace ganvas::small_conv_kernels
