// AVX-512 kernels of small_conv_kernels.h. Built with -mavx512f; callers check the CPU first.
#include "ganvas/nn/small_conv_kernels.h"

#include <immintrin.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>

namespace ganvas::small_conv_kernels {
namespace {

constexpr int64_t kLanes = 16;

// ---- sum_rows_scaled: a PT x V tile of out in registers, the rows of w streamed past it.
//
// A column tile sweeps every row of w. The rows are a power of two apart (8192 floats), so one
// column of lines maps to a few cache sets and would not stay cached between pixel tiles; each
// 1 KB column block is therefore first copied (1 KB runs of every row, a pattern memory serves
// well) into a panel laid out tile by tile: [column tile][row][V * 16].
constexpr int64_t kBlock = 256;  // floats: 1 KB of each row

template <int PT, int V>
void sum_rows_tile(const float* __restrict b, int64_t ldb, const float* __restrict panel, int64_t rows,
                   float* __restrict out, int64_t ldo) {
    __m512 acc[PT][V];
    for (int p = 0; p < PT; ++p)
        for (int v = 0; v < V; ++v) acc[p][v] = _mm512_setzero_ps();
    const float* br = b;
    for (int64_t r = 0; r < rows; ++r, panel += V * kLanes, br += ldb) {
        __m512 wv[V];
        for (int v = 0; v < V; ++v) wv[v] = _mm512_load_ps(panel + v * kLanes);
        for (int p = 0; p < PT; ++p) {
            const __m512 bc = _mm512_set1_ps(br[p]);
            for (int v = 0; v < V; ++v) acc[p][v] = _mm512_fmadd_ps(bc, wv[v], acc[p][v]);
        }
    }
    for (int p = 0; p < PT; ++p)
        for (int v = 0; v < V; ++v) _mm512_storeu_ps(out + p * ldo + v * kLanes, acc[p][v]);
}

float* panel_scratch(int64_t floats) {
    thread_local std::unique_ptr<float, void (*)(void*)> buffer(nullptr, std::free);
    thread_local int64_t capacity = 0;
    if (floats > capacity) {
        buffer.reset(static_cast<float*>(std::aligned_alloc(64, static_cast<size_t>(floats) * sizeof(float))));
        capacity = floats;
    }
    return buffer.get();
}

// Every pixel over the columns [begin, end), block by block: pixel tiles of PT (V column vectors
// each), the last pixels one at a time.
template <int PT, int V>
void sum_rows_all(const float* b, int64_t ldb, const float* w, int64_t rows, int64_t cols, int64_t pixels,
                  float* out, int64_t ldo, int64_t begin, int64_t end) {
    float* panel = panel_scratch(rows * kBlock);
    for (int64_t s0 = begin; s0 < end; s0 += kBlock) {
        const int64_t width = std::min(end, s0 + kBlock) - s0;
        // Tiles of V vectors, then single vectors for what is left of a short last block.
        const int64_t wide = width / (V * kLanes) * (V * kLanes);
        for (int64_t r = 0; r < rows; ++r) {
            const float* src = w + r * cols + s0;
            int64_t s = 0;
            for (; s < wide; s += V * kLanes)
                for (int v = 0; v < V; ++v)
                    _mm512_store_ps(panel + s * rows + r * V * kLanes + v * kLanes, _mm512_loadu_ps(src + s + v * kLanes));
            for (; s < width; s += kLanes) _mm512_store_ps(panel + s * rows + r * kLanes, _mm512_loadu_ps(src + s));
        }
        for (int64_t s = 0; s < width;) {
            const bool full = s < wide;
            const float* tile = panel + s * rows;
            int64_t p = 0;
            for (; p + PT <= pixels; p += PT) {
                if (full) sum_rows_tile<PT, V>(b + p, ldb, tile, rows, out + p * ldo + s0 + s, ldo);
                else sum_rows_tile<PT, 1>(b + p, ldb, tile, rows, out + p * ldo + s0 + s, ldo);
            }
            for (; p < pixels; ++p) {
                if (full) sum_rows_tile<1, V>(b + p, ldb, tile, rows, out + p * ldo + s0 + s, ldo);
                else sum_rows_tile<1, 1>(b + p, ldb, tile, rows, out + p * ldo + s0 + s, ldo);
            }
            s += full ? V * kLanes : kLanes;
        }
    }
}

// ---- row_dots: an RT x PT tile of dot products, each a vector of partial sums over s.

// out[i] = the horizontal sum of a[i], for 16 vectors at once.
__m512 sum_each(const __m512 (&a)[16]) {
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
    return _mm512_permutexvar_ps(_mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15), mixed);
}

template <int RT, int PT>
void row_dots_tile(const float* __restrict w, int64_t cols, const float* __restrict colT, int64_t ldc,
                   int64_t pixels, float* __restrict out, int64_t r0, int64_t p0, int64_t s0, int64_t s1) {
    static_assert(RT * PT <= 16);
    __m512 acc[16];
    for (int i = 0; i < 16; ++i) acc[i] = _mm512_setzero_ps();
    for (int64_t s = s0; s < s1; s += kLanes) {
        __m512 wv[RT];
        for (int r = 0; r < RT; ++r) wv[r] = _mm512_loadu_ps(w + (r0 + r) * cols + s);
        for (int p = 0; p < PT; ++p) {
            const __m512 c = _mm512_loadu_ps(colT + (p0 + p) * ldc + s);
            for (int r = 0; r < RT; ++r) acc[r * PT + p] = _mm512_fmadd_ps(wv[r], c, acc[r * PT + p]);
        }
    }
    alignas(64) float sums[16];
    _mm512_store_ps(sums, sum_each(acc));
    for (int r = 0; r < RT; ++r)
        for (int p = 0; p < PT; ++p) out[(r0 + r) * pixels + p0 + p] += sums[r * PT + p];
}

// Rows [r0, r0 + RT) against every pixel, over columns [s0, s1).
template <int RT>
void row_dots_rows(const float* w, int64_t cols, const float* colT, int64_t ldc, int64_t pixels, float* out,
                   int64_t r0, int64_t s0, int64_t s1) {
    constexpr int PT = 16 / RT;
    int64_t p = 0;
    for (; p + PT <= pixels; p += PT) row_dots_tile<RT, PT>(w, cols, colT, ldc, pixels, out, r0, p, s0, s1);
    for (; p < pixels; ++p) row_dots_tile<RT, 1>(w, cols, colT, ldc, pixels, out, r0, p, s0, s1);
}

// ---- outer_sum: an RT x V tile of out summed over every pixel, then stored past the caches.
template <int RT, int V>
void outer_tile(const float* __restrict a, int64_t pixels, const float* __restrict colT, int64_t ldc,
                int64_t cols, float* __restrict out, int64_t r0, int64_t s0) {
    __m512 acc[RT][V];
    for (int r = 0; r < RT; ++r)
        for (int v = 0; v < V; ++v) acc[r][v] = _mm512_setzero_ps();
    for (int64_t p = 0; p < pixels; ++p) {
        __m512 c[V];
        for (int v = 0; v < V; ++v) c[v] = _mm512_loadu_ps(colT + p * ldc + s0 + v * kLanes);
        for (int r = 0; r < RT; ++r) {
            const __m512 ar = _mm512_set1_ps(a[(r0 + r) * pixels + p]);
            for (int v = 0; v < V; ++v) acc[r][v] = _mm512_fmadd_ps(ar, c[v], acc[r][v]);
        }
    }
    for (int r = 0; r < RT; ++r) {
        float* o = out + (r0 + r) * cols + s0;
        // Whole aligned lines go straight to memory: the gradient is many megabytes and is next
        // read by the optimizer, after the rest of the backward pass.
        if ((reinterpret_cast<uintptr_t>(o) & 63) == 0) {
            for (int v = 0; v < V; ++v) _mm512_stream_ps(o + v * kLanes, acc[r][v]);
        } else {
            for (int v = 0; v < V; ++v) _mm512_storeu_ps(o + v * kLanes, acc[r][v]);
        }
    }
}

}  // namespace

void sum_rows_scaled(const float* b, int64_t ldb, const float* w, int64_t rows, int64_t cols, int64_t pixels,
                     float* out, int64_t ldo, int64_t begin, int64_t end) {
    // Up to 16 accumulators: 8 pixels x 2 vectors, or fewer pixels with wider column tiles.
    if (pixels >= 8) sum_rows_all<8, 2>(b, ldb, w, rows, cols, pixels, out, ldo, begin, end);
    else if (pixels >= 4) sum_rows_all<4, 4>(b, ldb, w, rows, cols, pixels, out, ldo, begin, end);
    else sum_rows_all<1, 8>(b, ldb, w, rows, cols, pixels, out, ldo, begin, end);
}

void row_dots(const float* w, int64_t cols, const float* colT, int64_t ldc, int64_t pixels, float* out,
              int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) std::memset(out + r * pixels, 0, sizeof(float) * pixels);
    // Column blocks keep colT's block (pixels x block floats) in L2 and a tile's weight rows in L1.
    const int64_t block = pixels > 16 ? 1024 : 4096;
    for (int64_t s0 = 0; s0 < cols; s0 += block) {
        const int64_t s1 = std::min(cols, s0 + block);
        int64_t r = begin;
        if (pixels >= 4) {
            for (; r + 4 <= end; r += 4) row_dots_rows<4>(w, cols, colT, ldc, pixels, out, r, s0, s1);
        } else {
            for (; r + 8 <= end; r += 8) row_dots_rows<8>(w, cols, colT, ldc, pixels, out, r, s0, s1);
        }
        for (; r < end; ++r) row_dots_rows<1>(w, cols, colT, ldc, pixels, out, r, s0, s1);
    }
}

namespace {

// One column tile of V vectors for rows [begin, end): RT rows at a time, then one by one. The
// tile's colT (pixels x V vectors) stays in L1 while every row's products are summed over it.
template <int RT, int V>
void outer_columns(const float* a, int64_t pixels, const float* colT, int64_t ldc, int64_t cols, float* out,
                   int64_t begin, int64_t end, int64_t s) {
    int64_t r = begin;
    for (; r + RT <= end; r += RT) outer_tile<RT, V>(a, pixels, colT, ldc, cols, out, r, s);
    for (; r < end; ++r) outer_tile<1, V>(a, pixels, colT, ldc, cols, out, r, s);
}

}  // namespace

void outer_sum(const float* a, int64_t pixels, const float* colT, int64_t ldc, int64_t cols, float* out,
               int64_t begin, int64_t end) {
    // 6 rows x 4 vectors: each colT vector feeds 6 products, each broadcast 4; the tile's colT is
    // 16 KB at 64 pixels (kSmallConvMaxPixels), so it stays in L1 while the rows go by.
    constexpr int64_t kWidth = 4 * kLanes;
    int64_t s = 0;
    for (; s + kWidth <= cols; s += kWidth) outer_columns<6, 4>(a, pixels, colT, ldc, cols, out, begin, end, s);
    for (; s < cols; s += kLanes) outer_columns<6, 1>(a, pixels, colT, ldc, cols, out, begin, end, s);
    _mm_sfence();
}

void unfold(const Window& g, const float* x, float* colT, int64_t ldc, int64_t begin, int64_t end) {
    const int64_t k = g.kernel, kk = k * k, plane = g.height * g.width;
    for (int64_t p = begin; p < end; ++p) {
        const int64_t n = p / (g.out_h * g.out_w), oy = p / g.out_w % g.out_h, ox = p % g.out_w;
        const float* xn = x + n * g.channels * plane;
        float* row = colT + p * ldc;
        for (int64_t i = 0; i < k; ++i) {
            const int64_t iy = oy * g.stride + i - g.pad;
            for (int64_t j = 0; j < k; ++j) {
                const int64_t ix = ox * g.stride + j - g.pad;
                float* dst = row + i * k + j;
                if (iy < 0 || iy >= g.height || ix < 0 || ix >= g.width) {
                    for (int64_t c = 0; c < g.channels; ++c) dst[c * kk] = 0.f;
                } else {
                    const float* src = xn + iy * g.width + ix;
                    for (int64_t c = 0; c < g.channels; ++c) dst[c * kk] = src[c * plane];
                }
            }
        }
    }
}

void fold(const Window& g, const float* colT, int64_t ldc, float* x, int64_t begin, int64_t end) {
    const int64_t k = g.kernel, kk = k * k, plane = g.height * g.width;
    for (int64_t n = 0; n < g.batch; ++n) {
        for (int64_t c = begin; c < end; ++c) {
            float* xc = x + (n * g.channels + c) * plane;
            std::memset(xc, 0, sizeof(float) * plane);
            for (int64_t oy = 0; oy < g.out_h; ++oy) {
                for (int64_t ox = 0; ox < g.out_w; ++ox) {
                    const float* src = colT + ((n * g.out_h + oy) * g.out_w + ox) * ldc + c * kk;
                    for (int64_t i = 0; i < k; ++i) {
                        const int64_t iy = oy * g.stride + i - g.pad;
                        if (iy < 0 || iy >= g.height) continue;
                        for (int64_t j = 0; j < k; ++j) {
                            const int64_t ix = ox * g.stride + j - g.pad;
                            if (ix >= 0 && ix < g.width) xc[iy * g.width + ix] += src[i * k + j];
                        }
                    }
                }
            }
        }
    }
}

}  // namespace ganvas::small_conv_kernels
