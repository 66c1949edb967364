// Process-wide compute settings: device selection, intra-op threads, BLAS kernel choice.
#pragma once
#include <torch/types.h>

#include <cstdint>
#include <functional>
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

// Upper bounds of the thread and job counts a user can ask for: far beyond any machine's cores,
// low enough that a typo cannot exhaust the process's threads.
inline constexpr int kMaxThreads = 1024;  // --threads, --jobs
inline constexpr int kMaxWorkers = 256;   // --workers (data-loading threads)

// UsageError "<flag>: <value> is out of range (<min> to <max>)" unless min <= value <= max.
void check_count(const char* flag, int64_t value, int64_t min, int64_t max);
// UsageError naming `flag` unless `value` is a finite number (NaN passes every comparison).
void check_finite(const char* flag, double value);

// Runs `body(i)` on `n` new threads and joins them; each body pulls its work from a shared queue.
// When the system refuses a thread, the ones started do all the work (with a warning); when it
// refuses the first, an Error names `what`. Never std::terminate.
void run_threads(int n, const std::function<void(int)>& body, const std::string& what);

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
