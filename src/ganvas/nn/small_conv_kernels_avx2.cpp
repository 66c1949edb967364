// small_conv_kernels.h for AVX2 + FMA: 8 lanes, 16 registers, so register tiles of half the
// accumulators of the AVX-512 file. Built with -mavx2 -mfma (src/CMakeLists.txt) and called only
// where the CPU has both.
#include "ganvas/nn/small_conv_kernels.h"

#include <immintrin.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>

namespace ganvas::small_conv_kernels {
namespace avx2_impl {
namespace {

constexpr const char* kIsa = "avx2";
using Vec = __m256;
constexpr int64_t kLanes = 8;

inline Vec zero() { return _mm256_setzero_ps(); }
inline Vec load(const float* p) { return _mm256_loadu_ps(p); }
inline Vec load_aligned(const float* p) { return _mm256_load_ps(p); }
inline void store(float* p, Vec v) { _mm256_storeu_ps(p, v); }
inline void store_aligned(float* p, Vec v) { _mm256_store_ps(p, v); }
inline void stream(float* p, Vec v) { _mm256_stream_ps(p, v); }
inline void store_fence() { _mm_sfence(); }
inline Vec broadcast(float f) { return _mm256_set1_ps(f); }
inline Vec fmadd(Vec a, Vec b, Vec c) { return _mm256_fmadd_ps(a, b, c); }

// Register tiles: 8 to 12 accumulators of the 16 registers, the rest for operands.
constexpr int kDotAccumulators = 8;
constexpr int kDotRowsWide = 2, kDotRowsNarrow = 8;
constexpr int kSumRowsAPixels = 6, kSumRowsAVectors = 2;
constexpr int kSumRowsBPixels = 2, kSumRowsBVectors = 4;
constexpr int kSumRowsCVectors = 8;
constexpr int kOuterRows = 6, kOuterVectors = 2;

// sums[i] = the horizontal sum of acc[i], for all 8 at once: pairwise horizontal adds, then the
// two 128-bit halves added (lane i then holds the sum of acc[i]).
void horizontal_sums(const Vec (&a)[8], float* sums) {
    const __m256 h01 = _mm256_hadd_ps(a[0], a[1]), h23 = _mm256_hadd_ps(a[2], a[3]);
    const __m256 h45 = _mm256_hadd_ps(a[4], a[5]), h67 = _mm256_hadd_ps(a[6], a[7]);
    const __m256 q0 = _mm256_hadd_ps(h01, h23), q1 = _mm256_hadd_ps(h45, h67);
    // q0 = [s0 s1 s2 s3 | s0' s1' s2' s3'] (low and high halves of each vector), likewise q1.
    const __m256 low = _mm256_permute2f128_ps(q0, q1, 0x20), high = _mm256_permute2f128_ps(q0, q1, 0x31);
    _mm256_store_ps(sums, _mm256_add_ps(low, high));
}

#include "ganvas/nn/small_conv_kernels_impl.inc"

}  // namespace
}  // namespace avx2_impl

const Kernels* avx2_kernels() { return &avx2_impl::kernels; }

}  // namespace ganvas::small_conv_kernels
