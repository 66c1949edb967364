// Which instruction set a family of hand-written kernels runs on, chosen at run time.
//
// Each family (the small-map convolutions, the Winograd transforms) is compiled once per
// instruction set into a table of function pointers; a table exists where the build has the x86
// kernels and the CPU runs its instructions. On first use the best one is taken (AVX-512F, else
// AVX2 + FMA, else none: the callers then run LibTorch's ops); an environment variable forces one
// (`avx512`, `avx2` or `none`), and tests and benchmarks switch between them with set().
#pragma once
#include "ganvas/core/error.h"
#include "ganvas/core/runtime.h"

#include <atomic>
#include <cstdlib>
#include <string>
#include <vector>

namespace ganvas {

template <typename Kernels>
class KernelChoice {
public:
    // avx512 / avx2: the family's tables (nullptr where not built). variable: the forcing
    // environment variable; off_switch: an older variable whose "0" means none.
    KernelChoice(const Kernels* avx512, const Kernels* avx2, const char* variable, const char* off_switch)
        : avx512_(avx512 && cpu_has("avx512f") ? avx512 : nullptr),
          avx2_(avx2 && cpu_has("avx2") && cpu_has("fma") ? avx2 : nullptr),
          variable_(variable) {
        const char* env = std::getenv(variable);
        if (env && *env) {
            set(env);
        } else {
            active_ = env_switch_on(off_switch) ? (avx512_ ? avx512_ : avx2_) : nullptr;
        }
    }

    // The table in use, or nullptr for LibTorch's ops.
    const Kernels* active() const { return active_.load(std::memory_order_acquire); }
    std::string isa() const { return active() ? active()->isa : "none"; }

    // The instruction sets this CPU and build can run, best first.
    std::vector<std::string> available() const {
        std::vector<std::string> names;
        if (avx512_) names.push_back("avx512");
        if (avx2_) names.push_back("avx2");
        return names;
    }

    // Switches to `isa` ("avx512", "avx2" or "none"); an Error naming the variable when this CPU
    // or build lacks it. Not for use while convolutions run on other threads.
    void set(const std::string& isa) {
        if (isa == "none") return active_.store(nullptr, std::memory_order_release);
        const Kernels* chosen = isa == "avx512" ? avx512_ : isa == "avx2" ? avx2_ : nullptr;
        if (!chosen) {
            throw Error(std::string(variable_) + "=" + isa +
                        ": expected avx512, avx2 or none, and a CPU and a build that have it (here: " +
                        join(available()) + ")");
        }
        active_.store(chosen, std::memory_order_release);
    }

private:
    static std::string join(const std::vector<std::string>& names) {
        std::string out = "none";
        for (const auto& n : names) out += ", " + n;
        return out;
    }

    const Kernels* avx512_;
    const Kernels* avx2_;
    const char* variable_;
    std::atomic<const Kernels*> active_{nullptr};
};

}  // namespace ganvas
