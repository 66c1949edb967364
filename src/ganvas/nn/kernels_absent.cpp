// Built instead of the hand-written x86 kernels where they are left out (GANVAS_X86_KERNELS=0):
// every family's tables are absent, so small_conv_enabled(), winograd_enabled(), pointwise_isa() and PiDiNet's
// select_kernels() find none and the callers run LibTorch's ops.
#include "ganvas/config.h"
#include "ganvas/edges/pidinet_kernels.h"
#include "ganvas/nn/pointwise_kernels.h"
#include "ganvas/nn/small_conv_kernels.h"
#include "ganvas/nn/winograd_kernels.h"

#if GANVAS_X86_KERNELS
#error "kernels_absent.cpp is for builds without the x86 kernels"
#endif

namespace ganvas {
namespace pidinet_kernels {
const Kernels* avx512_kernels() { return nullptr; }
const Kernels* avx2_kernels() { return nullptr; }
}  // namespace pidinet_kernels

namespace small_conv_kernels {
const Kernels* avx512_kernels() { return nullptr; }
const Kernels* avx2_kernels() { return nullptr; }
}  // namespace small_conv_kernels

namespace pointwise_kernels {
const Kernels* avx512_kernels() { return nullptr; }
const Kernels* avx2_kernels() { return nullptr; }
}  // namespace pointwise_kernels

namespace winograd_kernels {
const Kernels* avx512_kernels() { return nullptr; }
const Kernels* avx2_kernels() { return nullptr; }
const Kernels43* avx512_kernels43() { return nullptr; }
const Kernels43* avx2_kernels43() { return nullptr; }
}  // namespace winograd_kernels

}  // namespace ganvas
