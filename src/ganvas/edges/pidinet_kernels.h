// Fused CPU kernels for PiDiNet's residual block, channels-last (NHWC) float32, inference only.
//
// One block is depthwise conv -> ReLU -> 1x1 conv -> + shortcut (identity, or a 1x1 conv with bias
// on the pooled input). Run as separate LibTorch ops, each of the four streams the whole feature map
// through memory; at 481x321x60 that is ~27 ms a block, most of it memory traffic. These kernels
// compute one image row at a time: the depthwise result of a row stays in cache and the 1x1
// convolution (with the shortcut's 1x1 as a second K segment) runs as a register-blocked product
// that adds the residual or bias in its first load, so each block reads its input once and writes
// its output once.
//
// This header is plain C++ with no torch types: the kernels are compiled per instruction set
// (pidinet_kernels_avx512.cpp, pidinet_kernels_avx2.cpp, each with its own -m flags) and must not
// instantiate any shared inline code. Callers pick one with pidinet_kernels() at run time.
#pragma once
#include <cstdint>

namespace ganvas::pidinet_kernels {

// Channel counts are padded to a multiple of this in packed weights and scratch rows.
constexpr int64_t kPad = 16;
constexpr int64_t padded(int64_t c) { return (c + kPad - 1) / kPad * kPad; }

// The nine taps of a 5x5 window that a radial-difference PDC (PdcType::Rd) leaves at zero: its
// eight weights go to the outer ring at distance 2 and, negated, to the inner ring; the positions
// between them and the centre stay zero (pidinet.cpp, convert_pdc).
constexpr uint32_t kRadialZeros = (1u << 1) | (1u << 3) | (1u << 5) | (1u << 9) | (1u << 12) | (1u << 15) |
                                  (1u << 19) | (1u << 21) | (1u << 23);

struct BlockArgs {
    const float* x = nullptr;  // [height, width, in_channels], already pooled for a downsampling block
    int64_t height = 0, width = 0, in_channels = 0, out_channels = 0;
    const float* depthwise = nullptr;  // [kernel_size^2][padded(in)], tap-major, zero padding lanes
    int kernel_size = 3;               // 3 (padding 1) or 5 (padding 2)
    const float* pointwise = nullptr;  // [in][padded(out)]: out += relu(dw(x)) . pointwise
    const float* shortcut = nullptr;   // [in][padded(out)] or nullptr for the identity shortcut
    const float* bias = nullptr;       // [padded(out)], with shortcut only
    float* out = nullptr;              // [height, width, out_channels]
    // Taps whose depthwise weights are zero for every channel (bit i * kernel_size + j); the kernels
    // leave out those of kRadialZeros.
    uint32_t zero_taps = 0;
    // When set, the block is a plain kernel_size^2 convolution without bias (PiDiNet's first layer):
    // out = conv(x) with dense [kernel_size^2 * in][padded(out)], rows tap-major then channel;
    // depthwise, pointwise and shortcut are not used. Only stage_rows runs it.
    const float* dense = nullptr;
};

// A side branch (CDCM -> CSAM -> 1x1 to one channel) up to its last element-wise step:
//   z = W_z relu(f) + b_z (24 ch); z' = sum over dilations 5, 7, 9, 11 of a 3x3 conv of z (no bias);
//   t = W_t relu(z') + b_t (4 ch, CSAM's first 1x1); s = w_s . z' (the map's 1x1 without its bias);
//   g = conv3x3(t) (CSAM's second conv, 4 -> 1, padding 1).
// The caller finishes e = sigmoid(g) * s + b_s, which equals conv_reduce(z' * attention).
// z goes to a zero-bordered planar buffer so the dilated taps run as unaligned vector loads over
// pixels; z' never leaves cache.
constexpr int64_t kSideWidth = 24;   // CDCM channels
constexpr int64_t kSideBorder = 11;  // the largest dilation
constexpr int kSideTaps = 33;        // 4 x 8 off-centre taps + the four centres summed

struct SideArgs {
    const float* f = nullptr;  // [height, width, channels], the stage's output
    int64_t height = 0, width = 0, channels = 0;
    const float* reduce = nullptr;       // [channels][padded(24)]
    const float* reduce_bias = nullptr;  // [padded(24)]
    float* z = nullptr;  // [24][height + 2 border][z_stride], z at (border + h, border + w)
    int64_t z_stride = 0;  // >= side_z_stride(width)
    const float* dilated = nullptr;  // [kSideTaps][24 in][24 out]; tap order in side_tap_offset
    const float* attention = nullptr;       // [4][24]
    const float* attention_bias = nullptr;  // [4]
    const float* map = nullptr;             // [24]
    float* s = nullptr;  // [height][width]
    float* t = nullptr;  // [4][height + 2][t_stride], t at (1 + h, 1 + w); the caller zeroes it first
    int64_t t_stride = 0;  // >= side_t_stride(width)
    const float* gate = nullptr;  // [4][3][3]
    float* g = nullptr;           // [height][width]
    // When set, side_dilated_rows runs Winograd down the columns of each dilation
    // (pidinet_kernels_impl.inc, side_winograd_rows), grouping rows within the range it is given:
    // call it with bands of kSideBand rows. winograd: F(2, 3)'s kernels, [4 dilations][4][3 columns]
    // [24 in][24 out], the transforms (g0, (g0+g1+g2)/2, (g0-g1+g2)/2, g2) of each column of taps;
    // winograd4 (optional): F(4, 3)'s, [4 dilations][6][3 columns][24 in][24 out], (g0/4,
    // -(g0+g1+g2)/6, -(g0-g1+g2)/6, (g0+2g1+4g2)/24, (g0-2g1+4g2)/24, g2); direct: [4 dilations]
    // [9 taps, row-major][24 in][24 out] for the rows left over.
    const float* winograd = nullptr;
    const float* winograd4 = nullptr;
    const float* direct = nullptr;
};

// Rows per call of side_dilated_rows on the Winograd path: every dilation d groups its rows from the
// band's start in blocks of 4d (F(4, 3)), then 2d (F(2, 3)), and the rest run directly (9 products a
// row instead of 4.5 or 6). 90 rows leave 8 of 360 to run directly (d = 5: 4 x 20 + 10; 7: 3 x 28,
// 6 left; 9: 2 x 36 + 18; 11: 2 x 44, 2 left); at 481x321, 56 of stage 1's 1284 row-dilations.
constexpr int64_t kSideBand = 90;
// Scratch floats side_reduce_rows needs for a stage output of `channels` channels (a chunk of at
// most 64 pixels, transposed).
constexpr int64_t side_reduce_scratch(int64_t channels) { return padded(channels) * 64; }
// Scratch floats side_dilated_rows needs for `rows` rows.
constexpr int64_t side_dilated_scratch(int64_t rows) {
    return kSideWidth * 64 * rows + 6 * kSideWidth * 96 + 1024;
}

constexpr int64_t side_t_stride(int64_t width) { return (width + 2 + 15) / 16 * 16 + 16; }

// Row stride of SideArgs::z for an image `width` wide (room for whole vectors past the right edge).
constexpr int64_t side_z_stride(int64_t width) { return (width + 2 * kSideBorder + 63) / 16 * 16 + 16; }
// Tap k < 32: dilation 5 + 2 (k / 8), position k % 8 of the ring (row-major, centre skipped); k = 32: centre.
inline void side_tap_offset(int k, int* dy, int* dx) {
    if (k == 32) {
        *dy = *dx = 0;
        return;
    }
    const int d = 5 + 2 * (k / 8), r = k % 8, pos = r < 4 ? r : r + 1;
    *dy = (pos / 3 - 1) * d;
    *dx = (pos % 3 - 1) * d;
}

// A stage streamed row by row: its blocks in order, then its output consumed as each row appears
// (side branch's z, 2x2 max-pool for the next stage, or a copy). Each block's rows live in a ring of
// as many rows as the next block's window, so the stage's feature maps never go through memory: at
// 481x321x60 each map is 37 MB, and the blocks one at a time spend much of their time moving them.
constexpr int kMaxStageBlocks = 4;

struct StageArgs {
    const BlockArgs* blocks = nullptr;  // blocks[0].x: the stage's input [height][width][channels];
    int n_blocks = 0;                   // the other blocks' x and out are not used
    int64_t height = 0, width = 0;      // every block's height and width (none pools inside the stage)
    const SideArgs* side = nullptr;     // when set: z of the stage's output (SideArgs' reduce, z, z_stride)
    float* pooled = nullptr;            // when set: [height / 2][width / 2][out channels], 2x2 max, floor
    float* out = nullptr;               // when set: the stage's output [height][width][out channels]
};

// Where stage_rows keeps its rows, in floats from the start of its scratch.
struct StageScratch {
    int64_t ring[kMaxStageBlocks] = {};       // block b's output rows
    int64_t ring_rows[kMaxStageBlocks] = {};  // how many: the next block's kernel size, 2 for the last
    int64_t depthwise = 0, side = 0, total = 0;
};
StageScratch stage_scratch(const StageArgs& args);

// The rows of a stage, or of one segment of it, that no thread has claimed yet: [top, bottom),
// packed as bottom << 32 | top in one word that the threads working on it update by
// compare-and-swap. Two threads share a segment, one walking down from its top and the other up from
// its bottom, each claiming rows as it goes: on a machine whose cores run at different speeds (a
// laptop's performance and efficiency cores, or a virtual machine's shared ones) they meet wherever
// their speeds put them, where a fixed split would leave the faster one waiting.
struct StageRows {
    int64_t word = 0;
};

struct Kernels {
    const char* isa;
    int64_t side_columns;  // side_dilated_rows' block of pixel columns (its register tile's width)
    // Output rows [row_begin, row_end); scratch holds width * padded(in_channels) floats, 64-byte aligned.
    void (*block_rows)(const BlockArgs& args, int64_t row_begin, int64_t row_end, float* scratch);
    // 2x2 max-pool, stride 2, floor: x [height, width, channels] -> out rows [row_begin, row_end)
    // of [height / 2, width / 2, channels].
    void (*max_pool_rows)(const float* x, int64_t height, int64_t width, int64_t channels, float* out,
                          int64_t row_begin, int64_t row_end);
    // z for rows [row_begin, row_end), with the row's left and right zero borders (not the top and
    // bottom border rows: the caller zeroes those). scratch: width * padded(channels) + width * 32 floats.
    void (*side_reduce_rows)(const SideArgs& args, int64_t row_begin, int64_t row_end, float* scratch);
    // s and t for rows [row_begin, row_end) and pixel columns [x_begin, x_end): x_begin a multiple of
    // side_columns, x_end one too or the width. Needs z complete. scratch: side_dilated_scratch(rows).
    void (*side_dilated_rows)(const SideArgs& args, int64_t row_begin, int64_t row_end, int64_t x_begin,
                              int64_t x_end, float* scratch);
    // g for rows [row_begin, row_end); needs t complete.
    void (*side_gate_rows)(const SideArgs& args, int64_t row_begin, int64_t row_end);
    // The stage's output rows into its consumers, claimed from `rows` (top down when from_top, else
    // bottom up) until none are left; each block also makes the rows past the walk's first row that
    // later blocks need (made again by whoever walks the rows there). The rows' top, and their bottom
    // unless it is the height, are even when args.pooled is set. scratch: stage_scratch(args).total
    // floats.
    void (*stage_rows)(const StageArgs& args, StageRows* rows, bool from_top, float* scratch);
};

const Kernels* avx512_kernels();  // nullptr when not compiled in
const Kernels* avx2_kernels();

// The best set this CPU runs (AVX-512F, else AVX2+FMA), or nullptr: callers then use LibTorch ops.
// GANVAS_PIDINET_KERNELS=avx2|avx512|none overrides the choice (benchmarks and tests).
const Kernels* select_kernels();

}  // namespace ganvas::pidinet_kernels
