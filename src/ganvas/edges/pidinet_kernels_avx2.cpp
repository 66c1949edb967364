// pidinet_kernels.h for AVX2 + FMA: 8 lanes, a 6-row x 2-vector (16 output channels) register tile.
// Built with -mavx2 -mfma (src/CMakeLists.txt) and called only where the CPU has both.
#include "ganvas/edges/pidinet_kernels.h"

#include <immintrin.h>

namespace ganvas::pidinet_kernels {
namespace avx2_impl {

using Vec = __m256;
constexpr int kLanes = 8;
constexpr int kBlockVectors = 2;
constexpr int kBlockRows = 6;
constexpr int kSideOut = 4;  // the side branch's dilated-conv tile: output channels x pixel vectors
constexpr int kSideVec = 3;

// maskload/maskstore take a lane mask as the sign bits of 32-bit integers.
inline __m256i lanes(int n) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}
inline Vec zero() { return _mm256_setzero_ps(); }
inline Vec load(const float* p) { return _mm256_loadu_ps(p); }
inline Vec load_n(const float* p, int n) { return n == kLanes ? _mm256_loadu_ps(p) : _mm256_maskload_ps(p, lanes(n)); }
inline void store(float* p, Vec v) { _mm256_storeu_ps(p, v); }
inline void store_n(float* p, Vec v, int n) {
    if (n == kLanes) _mm256_storeu_ps(p, v);
    else _mm256_maskstore_ps(p, lanes(n), v);
}
inline Vec broadcast(const float* p) { return _mm256_broadcast_ss(p); }
inline Vec fmadd(Vec a, Vec b, Vec c) { return _mm256_fmadd_ps(a, b, c); }
inline Vec vmax(Vec a, Vec b) { return _mm256_max_ps(a, b); }
inline Vec relu(Vec a) { return _mm256_max_ps(a, _mm256_setzero_ps()); }
// r[i][j] <- r[j][i]: unpack pairs of floats, then pairs of pairs, then swap 128-bit halves.
inline void transpose(Vec (&r)[kLanes]) {
    Vec t[kLanes], u[kLanes];
    for (int i = 0; i < 4; ++i) {
        t[2 * i] = _mm256_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm256_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
    for (int j = 0; j < 2; ++j) {
        u[4 * j] = _mm256_shuffle_ps(t[4 * j], t[4 * j + 2], 0x44);
        u[4 * j + 1] = _mm256_shuffle_ps(t[4 * j], t[4 * j + 2], 0xee);
        u[4 * j + 2] = _mm256_shuffle_ps(t[4 * j + 1], t[4 * j + 3], 0x44);
        u[4 * j + 3] = _mm256_shuffle_ps(t[4 * j + 1], t[4 * j + 3], 0xee);
    }
    for (int k = 0; k < 4; ++k) {
        r[k] = _mm256_permute2f128_ps(u[k], u[k + 4], 0x20);
        r[k + 4] = _mm256_permute2f128_ps(u[k], u[k + 4], 0x31);
    }
}

#include "ganvas/edges/pidinet_kernels_impl.inc"

const Kernels kernels = {"avx2", kSideVec * kLanes, &block_rows, &max_pool_rows, &side_reduce_rows, &side_dilated_rows,
                         &side_gate_rows, &stage_rows};

}  // namespace avx2_impl

const Kernels* avx2_kernels() { return &avx2_impl::kernels; }

}  // namespace ganvas::pidinet_kernels
