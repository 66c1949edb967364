// pidinet_kernels.h for AVX-512F: 16 lanes, a 6-row x 4-vector (64 output channels) register tile.
// Built with -mavx512f -mfma (src/CMakeLists.txt) and called only where the CPU has AVX-512F.
#include "ganvas/edges/pidinet_kernels.h"

#include <immintrin.h>

namespace ganvas::pidinet_kernels {
namespace avx512_impl {

using Vec = __m512;
constexpr int kLanes = 16;
constexpr int kBlockVectors = 4;
constexpr int kBlockRows = 6;
constexpr int kSideOut = 6;  // the side branch's dilated-conv tile: output channels x pixel vectors
constexpr int kSideVec = 4;

inline __mmask16 lanes(int n) { return static_cast<__mmask16>((1u << n) - 1u); }
inline Vec zero() { return _mm512_setzero_ps(); }
inline Vec load(const float* p) { return _mm512_loadu_ps(p); }
inline Vec load_n(const float* p, int n) { return _mm512_maskz_loadu_ps(lanes(n), p); }
inline void store(float* p, Vec v) { _mm512_storeu_ps(p, v); }
inline void store_n(float* p, Vec v, int n) { _mm512_mask_storeu_ps(p, lanes(n), v); }
inline Vec broadcast(const float* p) { return _mm512_set1_ps(*p); }
inline Vec fmadd(Vec a, Vec b, Vec c) { return _mm512_fmadd_ps(a, b, c); }
inline Vec vmax(Vec a, Vec b) { return _mm512_max_ps(a, b); }
inline Vec relu(Vec a) { return _mm512_maskz_max_ps(0xFFFF, a, _mm512_setzero_ps()); }  // maskz: no undefined passthrough (GCC 12 warns)
// r[i][j] <- r[j][i]: unpack pairs of floats, then pairs of pairs, then 128-bit lanes twice.
inline void transpose(Vec (&r)[kLanes]) {
    Vec t[kLanes], u[kLanes];
    for (int i = 0; i < 8; ++i) {
        t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
    for (int j = 0; j < 4; ++j) {
        const __m512d a = _mm512_castps_pd(t[4 * j]), b = _mm512_castps_pd(t[4 * j + 1]);
        const __m512d c = _mm512_castps_pd(t[4 * j + 2]), d = _mm512_castps_pd(t[4 * j + 3]);
        u[4 * j] = _mm512_castpd_ps(_mm512_unpacklo_pd(a, c));
        u[4 * j + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(a, c));
        u[4 * j + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(b, d));
        u[4 * j + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(b, d));
    }
    for (int g = 0; g < 2; ++g) {
        for (int k = 0; k < 4; ++k) {
            t[8 * g + k] = _mm512_shuffle_f32x4(u[8 * g + k], u[8 * g + k + 4], 0x88);
            t[8 * g + k + 4] = _mm512_shuffle_f32x4(u[8 * g + k], u[8 * g + k + 4], 0xdd);
        }
    }
    for (int k = 0; k < 8; ++k) {
        r[k] = _mm512_shuffle_f32x4(t[k], t[k + 8], 0x88);
        r[k + 8] = _mm512_shuffle_f32x4(t[k], t[k + 8], 0xdd);
    }
}

#include "ganvas/edges/pidinet_kernels_impl.inc"

const Kernels kernels = {"avx512", kSideVec * kLanes, &block_rows, &max_pool_rows, &side_reduce_rows, &side_dilated_rows,
                         &side_gate_rows, &stage_rows};

}  // namespace avx512_impl

const Kernels* avx512_kernels() { return &avx512_impl::kernels; }

}  // namespace ganvas::pidinet_kernels
