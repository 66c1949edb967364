#include "ganvas/core/runtime.h"

#include "ganvas/core/error.h"

#include <sched.h>
#include <spdlog/spdlog.h>
#include <torch/cuda.h>
#include <torch/utils.h>

#include <cmath>
#include <cstdlib>
#include <system_error>
#include <cstring>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>
#include <regex>
#include <thread>

namespace ganvas {

torch::Device parse_device(const std::string& name) {
    static const std::regex pattern(R"(cpu|cuda(:\d+)?)");
    if (!std::regex_match(name, pattern)) {
        throw UsageError("--device: '" + name + "' is not a device (expected cpu, cuda or cuda:N)");
    }
    torch::Device device(name);
    if (device.is_cuda() && !torch::cuda::is_available()) {
        throw UsageError("--device " + name + ": no CUDA device is available to this build");
    }
    if (device.is_cuda() && device.has_index() &&
        device.index() >= static_cast<int>(torch::cuda::device_count())) {
        throw UsageError("--device " + name + ": only " +
                         std::to_string(torch::cuda::device_count()) + " CUDA device(s) present");
    }
    return device;
}

int available_cores() {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof(set), &set) == 0) {
        const int count = CPU_COUNT(&set);
        if (count > 0) return count;
    }
    return std::max(1u, std::thread::hardware_concurrency());
}

int configure_threads(int threads) {
    check_count("--threads", threads, 0, kMaxThreads);
    const int n = threads > 0 ? threads : available_cores();
    torch::set_num_threads(n);
    return n;
}

std::optional<std::string> preferred_openblas_coretype() {
    // The kernel's view of the CPU (features it has enabled), not __builtin_cpu_supports: in a
    // process linked with LibTorch that reads an interposed, uninitialised copy of __cpu_model.
    const auto has = [](const char* f) { return cpu_has(f); };
    if (has("avx512f") && has("avx512bw") && has("avx512vl") && has("avx512dq")) return "SkylakeX";
    if (has("avx2") && has("fma")) return "Haswell";
    return std::nullopt;
}

bool env_switch_on(const char* name) {
    const char* env = std::getenv(name);
    return !env || std::strcmp(env, "0") != 0;
}

bool cpu_has(const std::string& flag) {
    static const std::set<std::string> flags = [] {
        std::ifstream cpuinfo("/proc/cpuinfo");
        std::string line;
        while (std::getline(cpuinfo, line)) {
            if (line.rfind("flags", 0) != 0) continue;
            std::istringstream words(line.substr(line.find(':') + 1));
            return std::set<std::string>{std::istream_iterator<std::string>(words), {}};
        }
        return std::set<std::string>{};
    }();
    return flags.count(flag) > 0;
}

std::string loaded_blas_library() {
    std::ifstream maps("/proc/self/maps");
    std::string line;
    static const std::regex blas(R"((/\S*lib(open)?blas[^/\s]*\.so[^/\s]*))");
    std::smatch match;
    while (std::getline(maps, line)) {
        if (std::regex_search(line, match, blas)) return match[1];
    }
    return "";
}

void check_count(const char* flag, int64_t value, int64_t min, int64_t max) {
    if (value < min || value > max) {
        throw UsageError(std::string(flag) + ": " + std::to_string(value) + " is out of range (" + std::to_string(min) +
                         " to " + std::to_string(max) + ")");
    }
}

void check_finite(const char* flag, double value) {
    if (!std::isfinite(value)) throw UsageError(std::string(flag) + ": expected a finite number");
}

void run_threads(int n, const std::function<void(int)>& body, const std::string& what) {
    std::vector<std::thread> pool;
    pool.reserve(static_cast<size_t>(std::max(n, 0)));
    std::string failure;
    for (int i = 0; i < n; ++i) {
        try {
            pool.emplace_back(body, i);
        } catch (const std::system_error& e) {
            failure = e.what();
            break;
        }
    }
    if (!failure.empty() && !pool.empty()) {
        spdlog::warn("{}: the system started {} of {} threads ({}); running on those", what, pool.size(), n, failure);
    }
    for (auto& t : pool) t.join();
    if (!failure.empty() && pool.empty()) throw Error("cannot start a thread for " + what + ": " + failure);
}

std::string exception_text(const std::exception& e) {
    if (const auto* torch_error = dynamic_cast<const c10::Error*>(&e)) return torch_error->what_without_backtrace();
    if (dynamic_cast<const std::bad_alloc*>(&e)) return "out of memory";
    return e.what();
}

}  // namespace ganvas
