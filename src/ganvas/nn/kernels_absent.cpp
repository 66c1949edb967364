// Built instead of the hand-written x86 kernels where they are left out (GANVAS_X86_KERNELS=0):
// the kernel sets are absent, and small_conv_enabled() / winograd_enabled() are false, so the entry
// points below are never reached; they exist for the linker and fail loudly if that ever changes.
#include "ganvas/config.h"
#include "ganvas/edges/pidinet_kernels.h"
#include "ganvas/nn/small_conv_kernels.h"
#include "ganvas/nn/winograd_kernels.h"

#include <stdexcept>

#if GANVAS_X86_KERNELS
#error "kernels_absent.cpp is for builds without the x86 kernels"
#endif

namespace ganvas {
namespace {
[[noreturn]] void absent(const char* kernel) {
    throw std::logic_error(std::string(kernel) + ": this build has no hand-written x86 kernels");
}
}  // namespace

namespace pidinet_kernels {
const Kernels* avx512_kernels() { return nullptr; }
const Kernels* avx2_kernels() { return nullptr; }
}  // namespace pidinet_kernels

namespace small_conv_kernels {
void sum_rows_scaled(const float*, int64_t, const float*, int64_t, int64_t, int64_t, float*, int64_t, int64_t,
                     int64_t) {
    absent("small_conv_kernels::sum_rows_scaled");
}
void row_dots(const float*, int64_t, const float*, int64_t, int64_t, float*, int64_t, int64_t) {
    absent("small_conv_kernels::row_dots");
}
void outer_sum(const float*, int64_t, const float*, int64_t, int64_t, float*, int64_t, int64_t) {
    absent("small_conv_kernels::outer_sum");
}
void unfold(const Window&, const float*, float*, int64_t, int64_t, int64_t) { absent("small_conv_kernels::unfold"); }
void fold(const Window&, const float*, int64_t, float*, int64_t, int64_t) { absent("small_conv_kernels::fold"); }
}  // namespace small_conv_kernels

namespace winograd_kernels {
Tiling tiling_for(int64_t, int64_t, int64_t, int64_t, int64_t, int64_t) { absent("winograd tiling_for"); }
void input_transform(const Tiling&, const float*, float*, int64_t, int64_t) { absent("winograd input_transform"); }
void input_grad_transform(const Tiling&, const float*, float*, int64_t, int64_t) {
    absent("winograd input_grad_transform");
}
void output_transform(const Tiling&, const float*, float*, int64_t, int64_t) { absent("winograd output_transform"); }
void output_grad_transform(const Tiling&, const float*, float*, int64_t, int64_t) {
    absent("winograd output_grad_transform");
}
void weight_transform(const float*, int64_t, int64_t, float*, int64_t, int64_t) { absent("winograd weight_transform"); }
void weight_grad_transform(const float*, int64_t, int64_t, float*, int64_t, int64_t) {
    absent("winograd weight_grad_transform");
}
}  // namespace winograd_kernels

}  // namespace ganvas
