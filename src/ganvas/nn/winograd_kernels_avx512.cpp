#include "ganvas/nn/winograd_kernels.h"

#include <immintrin.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>

namespace ganvas::winograd_kernels {
namespace {

constexpr int kLanes = 16;

// y = A^T [(G g G^T) (.) (B^T d B)] A for a 3x3 output tile, 4x4 filter g and 6x6 input tile d.
// A^T's columns are the points' powers 0..2 and G's rows their powers 0..3 over prod_{q != p} (p - q)
// (infinity taking the last row and column); B^T is the one matrix with
// sum_j A^T[i][j] G[j][k] B^T[j][l] = [l == i + k], which makes each 1-D tile an exact correlation.
constexpr float AT[3][6] = {
    {1, 1, 1, 1, 1, 0},
    {0, 1, -1, 0.5f, -0.5f, 0},
    {0, 1, 1, 0.25f, 0.25f, 1},
};
constexpr float G[6][4] = {
    {4, 0, 0, 0},
    {2.f / 3, 2.f / 3, 2.f / 3, 2.f / 3},
    {2.f / 3, -2.f / 3, 2.f / 3, -2.f / 3},
    {-8.f / 3, -4.f / 3, -2.f / 3, -1.f / 3},
    {-8.f / 3, 4.f / 3, -2.f / 3, 1.f / 3},
    {0, 0, 0, 1},
};
constexpr float BT[6][6] = {
    {0.25f, 0, -1.25f, 0, 1, 0},
    {0, -0.25f, -0.25f, 1, 1, 0},
    {0, 0.25f, -0.25f, -1, 1, 0},
    {0, -0.5f, -1, 0.5f, 1, 0},
    {0, 0.5f, -1, -0.5f, 1, 0},
    {0, 0.25f, 0, -1.25f, 0, 1},
};

// out = m . in (Transposed: m^T . in), a vector per row, for an R x S matrix m of constants (its
// zeros and ones folded away once the loops are unrolled).
template <bool Transposed, int R, int S>
inline void product(const float (&m)[R][S], const __m512* in, __m512* out) {
    constexpr int rows = Transposed ? S : R, cols = Transposed ? R : S;
#pragma GCC unroll 8
    for (int r = 0; r < rows; ++r) {
        __m512 acc = _mm512_setzero_ps();
#pragma GCC unroll 8
        for (int s = 0; s < cols; ++s) {
            const float f = Transposed ? m[s][r] : m[r][s];
            if (f == 1) acc = _mm512_add_ps(acc, in[s]);
            else if (f == -1) acc = _mm512_sub_ps(acc, in[s]);
            else if (f != 0) acc = _mm512_fmadd_ps(_mm512_set1_ps(f), in[s], acc);
        }
        out[r] = acc;
    }
}

template <int R, int S>
inline void apply(const float (&m)[R][S], const __m512* in, __m512* out) {
    product<false>(m, in, out);
}

template <int R, int S>
inline void apply_transposed(const float (&m)[R][S], const __m512* in, __m512* out) {
    product<true>(m, in, out);
}

__mmask16 first(int64_t count) { return static_cast<__mmask16>((1u << count) - 1); }

// Zeroes columns [tiles, ld) of rows [begin, end) of each of the 36 [rows][ld] matrices.
void zero_tails(const Tiling& g, float* T, int64_t rows, int64_t begin, int64_t end) {
    const int64_t tail = g.ld - g.tiles();
    if (tail == 0) return;
    for (int64_t p = 0; p < kPositions; ++p) {
        for (int64_t r = begin; r < end; ++r) std::memset(T + (p * rows + r) * g.ld + g.tiles(), 0, tail * sizeof(float));
    }
}

// Scratch rows of one image plane: (3 * tiles_h + 3) padded rows, 6 row-transformed vectors each
// (a thread's own buffer, grown as needed; no std::vector, whose code this file would compile with
// AVX-512 instructions for every file to share).
__m512* row_scratch(const Tiling& g, int64_t* vectors) {
    thread_local std::unique_ptr<float, void (*)(void*)> buffer(nullptr, std::free);
    thread_local int64_t capacity = 0;
    *vectors = (3 * g.tiles_h + 3) * 6;
    if (*vectors > capacity) {
        buffer.reset(static_cast<float*>(std::aligned_alloc(64, static_cast<size_t>(*vectors) * sizeof(__m512))));
        capacity = *vectors;
    }
    return reinterpret_cast<__m512*>(buffer.get());
}

// Column offsets 3 * (tx0 + l) + a - shift of a row of tiles, lane l, and which lie in [0, width)
// for lanes l < count.
struct RowWindow {
    __m512i index[6];
    __mmask16 valid[6];
    RowWindow(int64_t tx0, int64_t count, int64_t shift, int64_t width, int columns) {
        const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
        const __m512i base = _mm512_add_epi32(_mm512_mullo_epi32(lane, _mm512_set1_epi32(3)),
                                              _mm512_set1_epi32(static_cast<int>(3 * tx0 - shift)));
        for (int a = 0; a < columns; ++a) {
            index[a] = _mm512_add_epi32(base, _mm512_set1_epi32(a));
            valid[a] = first(count) & _mm512_cmpge_epi32_mask(index[a], _mm512_setzero_si512()) &
                       _mm512_cmplt_epi32_mask(index[a], _mm512_set1_epi32(static_cast<int>(width)));
        }
    }
};

}  // namespace

Tiling tiling_for(int64_t batch, int64_t channels, int64_t out_channels, int64_t height, int64_t width, int64_t pad) {
    Tiling g;
    g.batch = batch, g.channels = channels, g.out_channels = out_channels;
    g.height = height, g.width = width, g.pad = pad;
    g.out_h = height + 2 * pad - 3, g.out_w = width + 2 * pad - 3;
    g.tiles_h = (g.out_h + 2) / 3, g.tiles_w = (g.out_w + 2) / 3;
    g.ld = (g.tiles() + kLanes - 1) / kLanes * kLanes;
    return g;
}

void input_transform(const Tiling& g, const float* x, float* V, int64_t begin, int64_t end) {
    const int64_t C = g.channels, rows = 3 * g.tiles_h + 3;
    int64_t vectors = 0;
    __m512* R = row_scratch(g, &vectors);  // [rows][6]
    for (int64_t tx0 = 0; tx0 < g.tiles_w; tx0 += kLanes) {
        const int64_t count = std::min<int64_t>(kLanes, g.tiles_w - tx0);
        const RowWindow win(tx0, count, g.pad, g.width, 6);
        for (int64_t c = begin; c < end; ++c) {
            for (int64_t n = 0; n < g.batch; ++n) {
                const float* plane = x + (n * C + c) * g.height * g.width;
                // Each padded row: its six columns per tile, transformed along the row.
                for (int64_t r = 0; r < rows; ++r) {
                    __m512 d[6];
                    const int64_t iy = r - g.pad;
                    for (int a = 0; a < 6; ++a) {
                        d[a] = iy >= 0 && iy < g.height
                                   ? _mm512_mask_i32gather_ps(_mm512_setzero_ps(), win.valid[a], win.index[a], plane + iy * g.width, 4)
                                   : _mm512_setzero_ps();
                    }
                    apply(BT, d, R + r * 6);
                }
                // Then down the columns of each tile.
                const __mmask16 mask = first(count);
                for (int64_t ty = 0; ty < g.tiles_h; ++ty) {
                    float* out = V + c * g.ld + (n * g.tiles_h + ty) * g.tiles_w + tx0;
                    for (int j = 0; j < 6; ++j) {
                        __m512 col[6], v[6];
                        for (int b = 0; b < 6; ++b) col[b] = R[(3 * ty + b) * 6 + j];
                        apply(BT, col, v);
                        for (int i = 0; i < 6; ++i) _mm512_mask_storeu_ps(out + (i * 6 + j) * C * g.ld, mask, v[i]);
                    }
                }
            }
        }
    }
    zero_tails(g, V, C, begin, end);
}

void input_grad_transform(const Tiling& g, const float* dV, float* dx, int64_t begin, int64_t end) {
    const int64_t C = g.channels, rows = 3 * g.tiles_h + 3;
    int64_t vectors = 0;
    __m512* R = row_scratch(g, &vectors);
    for (int64_t c = begin; c < end; ++c) {
        for (int64_t n = 0; n < g.batch; ++n) {
            float* plane = dx + (n * C + c) * g.height * g.width;
            std::memset(plane, 0, g.height * g.width * sizeof(float));
            for (int64_t tx0 = 0; tx0 < g.tiles_w; tx0 += kLanes) {
                const int64_t count = std::min<int64_t>(kLanes, g.tiles_w - tx0);
                const __mmask16 mask = first(count);
                for (int64_t v = 0; v < vectors; ++v) R[v] = _mm512_setzero_ps();
                // Up the columns of each tile, overlapping tiles adding into the shared rows.
                for (int64_t ty = 0; ty < g.tiles_h; ++ty) {
                    const float* in = dV + c * g.ld + (n * g.tiles_h + ty) * g.tiles_w + tx0;
                    for (int j = 0; j < 6; ++j) {
                        __m512 v[6], col[6];
                        for (int i = 0; i < 6; ++i) v[i] = _mm512_maskz_loadu_ps(mask, in + (i * 6 + j) * C * g.ld);
                        apply_transposed(BT, v, col);
                        for (int b = 0; b < 6; ++b) R[(3 * ty + b) * 6 + j] = _mm512_add_ps(R[(3 * ty + b) * 6 + j], col[b]);
                    }
                }
                // Then along each row, adding into the tiles' overlapping columns (one column
                // offset at a time: within one, the lanes' columns are distinct).
                const RowWindow win(tx0, count, g.pad, g.width, 6);
                for (int64_t r = 0; r < rows; ++r) {
                    const int64_t iy = r - g.pad;
                    if (iy < 0 || iy >= g.height) continue;
                    __m512 d[6];
                    apply_transposed(BT, R + r * 6, d);
                    float* row = plane + iy * g.width;
                    for (int a = 0; a < 6; ++a) {
                        const __m512 old = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), win.valid[a], win.index[a], row, 4);
                        _mm512_mask_i32scatter_ps(row, win.valid[a], win.index[a], _mm512_add_ps(old, d[a]), 4);
                    }
                }
            }
        }
    }
}

// Calls fn(plane, column, ty, mask, win) for each row ty of each group of 16 tiles of the output
// channels k in [begin, end): plane is the offset of image n's channel k in [N, K, out_h, out_w],
// column that of the group's first tile in the position-0 matrix of a transformed [36][K][ld]
// tensor, mask the group's tiles, win their output columns.
template <typename Fn>
void for_each_output_tile_group(const Tiling& g, int64_t begin, int64_t end, Fn fn) {
    const int64_t K = g.out_channels;
    for (int64_t tx0 = 0; tx0 < g.tiles_w; tx0 += kLanes) {
        const int64_t count = std::min<int64_t>(kLanes, g.tiles_w - tx0);
        const RowWindow win(tx0, count, 0, g.out_w, 3);
        for (int64_t k = begin; k < end; ++k) {
            for (int64_t n = 0; n < g.batch; ++n) {
                for (int64_t ty = 0; ty < g.tiles_h; ++ty) {
                    fn((n * K + k) * g.out_h * g.out_w, k * g.ld + (n * g.tiles_h + ty) * g.tiles_w + tx0, ty,
                       first(count), win);
                }
            }
        }
    }
}

void output_transform(const Tiling& g, const float* M, float* y, int64_t begin, int64_t end) {
    const int64_t stride = g.out_channels * g.ld;  // between positions
    for_each_output_tile_group(g, begin, end, [&](int64_t plane, int64_t column, int64_t ty, __mmask16 mask,
                                                  const RowWindow& win) {
        // q[a][j] = sum_i AT[a][i] m[i][j], then o[a][b] = sum_j AT[b][j] q[a][j].
        __m512 q[3][6];
        for (int j = 0; j < 6; ++j) {
            __m512 col[6], out[3];
            for (int i = 0; i < 6; ++i) col[i] = _mm512_maskz_loadu_ps(mask, M + column + (i * 6 + j) * stride);
            apply(AT, col, out);
            for (int a = 0; a < 3; ++a) q[a][j] = out[a];
        }
        for (int a = 0; a < 3; ++a) {
            const int64_t oy = 3 * ty + a;
            if (oy >= g.out_h) break;
            __m512 o[3];
            apply(AT, q[a], o);
            for (int b = 0; b < 3; ++b) _mm512_mask_i32scatter_ps(y + plane + oy * g.out_w, win.valid[b], win.index[b], o[b], 4);
        }
    });
}

void output_grad_transform(const Tiling& g, const float* dy, float* dM, int64_t begin, int64_t end) {
    const int64_t stride = g.out_channels * g.ld;
    for_each_output_tile_group(g, begin, end, [&](int64_t plane, int64_t column, int64_t ty, __mmask16 mask,
                                                  const RowWindow& win) {
        __m512 q[3][6];
        for (int a = 0; a < 3; ++a) {
            const int64_t oy = 3 * ty + a;
            __m512 o[3];
            for (int b = 0; b < 3; ++b) {
                o[b] = oy < g.out_h ? _mm512_mask_i32gather_ps(_mm512_setzero_ps(), win.valid[b], win.index[b], dy + plane + oy * g.out_w, 4)
                                    : _mm512_setzero_ps();
            }
            apply_transposed(AT, o, q[a]);
        }
        for (int j = 0; j < 6; ++j) {
            __m512 in[3], col[6];
            for (int a = 0; a < 3; ++a) in[a] = q[a][j];
            apply_transposed(AT, in, col);
            for (int i = 0; i < 6; ++i) _mm512_mask_storeu_ps(dM + column + (i * 6 + j) * stride, mask, col[i]);
        }
    });
    zero_tails(g, dM, g.out_channels, begin, end);
}

// The 16 taps of filters c0 .. c0 + count of output channel k, a vector per tap, and back.
struct FilterLanes {
    __m512i index;
    __mmask16 mask;
    FilterLanes(int64_t count)
        : index(_mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                   _mm512_set1_epi32(16))),
          mask(first(count)) {}
};

void weight_transform(const float* w, int64_t out_channels, int64_t channels, float* U, int64_t begin, int64_t end) {
    const int64_t K = out_channels, C = channels;
    for (int64_t k = begin; k < end; ++k) {
        for (int64_t c0 = 0; c0 < C; c0 += kLanes) {
            const FilterLanes lanes(std::min<int64_t>(kLanes, C - c0));
            const float* filters = w + (k * C + c0) * 16;
            __m512 f[4][4], t[6][4];
            for (int e = 0; e < 16; ++e) {
                f[e / 4][e % 4] = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), lanes.mask, lanes.index, filters + e, 4);
            }
            // t[i][v] = sum_u G[i][u] f[u][v], then u[i][j] = sum_v G[j][v] t[i][v].
            for (int v = 0; v < 4; ++v) {
                __m512 col[4], out[6];
                for (int r = 0; r < 4; ++r) col[r] = f[r][v];
                apply(G, col, out);
                for (int i = 0; i < 6; ++i) t[i][v] = out[i];
            }
            for (int i = 0; i < 6; ++i) {
                __m512 u[6];
                apply(G, t[i], u);
                for (int j = 0; j < 6; ++j) _mm512_mask_storeu_ps(U + ((i * 6 + j) * K + k) * C + c0, lanes.mask, u[j]);
            }
        }
    }
}

void weight_grad_transform(const float* dU, int64_t out_channels, int64_t channels, float* dw, int64_t begin,
                           int64_t end) {
    const int64_t K = out_channels, C = channels;
    for (int64_t k = begin; k < end; ++k) {
        for (int64_t c0 = 0; c0 < C; c0 += kLanes) {
            const FilterLanes lanes(std::min<int64_t>(kLanes, C - c0));
            __m512 t[6][4];
            for (int i = 0; i < 6; ++i) {
                __m512 u[6];
                for (int j = 0; j < 6; ++j) u[j] = _mm512_maskz_loadu_ps(lanes.mask, dU + ((i * 6 + j) * K + k) * C + c0);
                apply_transposed(G, u, t[i]);
            }
            float* filters = dw + (k * C + c0) * 16;
            for (int v = 0; v < 4; ++v) {
                __m512 col[6], out[4];
                for (int i = 0; i < 6; ++i) col[i] = t[i][v];
                apply_transposed(G, col, out);
                for (int r = 0; r < 4; ++r) _mm512_mask_i32scatter_ps(filters + r * 4 + v, lanes.mask, lanes.index, out[r], 4);
            }
        }
    }
}

}  // namespace ganvas::winograd_kernels
