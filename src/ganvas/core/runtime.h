// Process-wide compute settings: device selection, intra-op threads, BLAS kernel choice.
#pragma once
#include <torch/types.h>

#include <optional>
#include <string>

namespace ganvas {

// "cpu", "cuda" or "cuda:N". Throws UsageError naming --device for anything else, or for
// CUDA when this build or machine has none.
torch::Device parse_device(const std::string& name);

// Number of logical cores this process may run on (sched affinity, at least 1).
int available_cores();

// Sets LibTorch's intra-op threads: `threads` when positive, else available_cores().
// Returns the number set.
int configure_threads(int threads);

// A default that benchmarks can turn off: true unless the environment variable `name` is "0".
bool env_switch_on(const char* name);

// Whether the CPU reports `flag` (as named in /proc/cpuinfo, e.g. "avx2"); read once.
// (__builtin_cpu_supports cannot be trusted in a LibTorch-linked process: see runtime.cpp.)
bool cpu_has(const std::string& flag);

// The OPENBLAS_CORETYPE that suits this CPU, or nullopt when OpenBLAS's own detection is fine.
// OpenBLAS 0.3.21 (Debian 12) misdetects AVX-512 server CPUs under some hypervisors and falls
// back to a slow generic kernel; naming the core type restores the fast one.
std::optional<std::string> preferred_openblas_coretype();

// The BLAS library mapped into this process (from /proc/self/maps), for logs; "" if none found.
std::string loaded_blas_library();

}  // namespace ganvas
