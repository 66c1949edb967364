#include "ganvas/dist/process_group.h"

#include "ganvas/core/error.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <torch/csrc/autograd/custom_function.h>
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#ifdef GANVAS_WITH_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif
#include <torch/torch.h>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <thread>

namespace ganvas {
namespace {

thread_local ProcessGroup* tls_group = nullptr;

// A whole decimal integer in [lo, hi] from the environment variable `name`.
std::optional<int64_t> env_int(const char* name, int64_t lo, int64_t hi) {
    const char* text = std::getenv(name);
    if (text == nullptr) return std::nullopt;
    errno = 0;
    char* end = nullptr;
    const long long v = std::strtoll(text, &end, 10);
    if (*text == '\0' || end == nullptr || *end != '\0' || errno == ERANGE || v < lo || v > hi) {
        throw UsageError(fmt::format("environment variable {}='{}' is not a whole number in [{}, {}]", name, text,
                                     lo, hi));
    }
    return v;
}

std::string seconds_text(double s) { return fmt::format("{:g} s", s); }

bool is_loopback(const std::string& host) {
    return host == "localhost" || host.rfind("127.", 0) == 0 || host == "::1";
}

std::string step_key(int rank) { return "ganvas/step/" + std::to_string(rank); }
std::string failed_key(int rank) { return "ganvas/failed/" + std::to_string(rank); }

}  // namespace

void DistributedOptions::validate() const {
    if (world_size < 1) throw UsageError(fmt::format("WORLD_SIZE must be at least 1, got {}", world_size));
    if (rank < 0 || rank >= world_size) {
        throw UsageError(fmt::format("RANK={} is outside the group of WORLD_SIZE={}", rank, world_size));
    }
    if (local_rank < 0) throw UsageError(fmt::format("LOCAL_RANK must not be negative, got {}", local_rank));
    if (master_port < 1 || master_port > 65535) {
        throw UsageError(fmt::format("MASTER_PORT={} is not a TCP port (1-65535)", master_port));
    }
    if (master_addr.empty()) throw UsageError("MASTER_ADDR is empty");
    if (!std::isfinite(timeout_seconds) || timeout_seconds < 1 || timeout_seconds > 86400) {
        throw UsageError(fmt::format("--dist-timeout must be between 1 and 86400 seconds, got {}", timeout_seconds));
    }
    if (bucket_bytes < 1024) throw UsageError("the gradient bucket must hold at least 1 KB");
    check_one_of("--dist-backend", backend, {"auto", "gloo", "nccl"});
    if (backend == "nccl" && !nccl_available()) {
        throw UsageError("--dist-backend nccl: this build's LibTorch has no CUDA/NCCL (use gloo)");
    }
}

std::optional<DistributedOptions> distributed_from_env() {
    const auto world = env_int("WORLD_SIZE", 1, 1 << 20);
    if (!world) return std::nullopt;
    DistributedOptions o;
    o.world_size = static_cast<int>(*world);
    const auto rank = env_int("RANK", 0, 1 << 20);
    if (!rank && o.world_size > 1) throw UsageError("WORLD_SIZE is set but RANK is not (set both, as torchrun does)");
    o.rank = static_cast<int>(rank.value_or(0));
    o.local_rank = static_cast<int>(env_int("LOCAL_RANK", 0, 1 << 20).value_or(0));
    if (const char* addr = std::getenv("MASTER_ADDR")) {
        o.master_addr = addr;
    } else if (o.world_size > 1) {
        throw UsageError("WORLD_SIZE is set but MASTER_ADDR is not (the host of rank 0)");
    }
    const auto port = env_int("MASTER_PORT", 1, 65535);
    if (!port && o.world_size > 1) throw UsageError("WORLD_SIZE is set but MASTER_PORT is not");
    o.master_port = static_cast<int>(port.value_or(29500));
    o.validate();
    return o;
}

bool nccl_available() {
#ifdef GANVAS_WITH_NCCL
    return true;
#else
    return false;
#endif
}

struct ProcessGroup::Impl {
    c10::intrusive_ptr<c10d::Store> store;  // the TCPStore under a "ganvas" prefix
    c10::intrusive_ptr<c10d::ProcessGroup> pg;
    std::string backend;
};

ProcessGroup::ProcessGroup(DistributedOptions options) : options_(std::move(options)), impl_(std::make_unique<Impl>()) {}

ProcessGroup::~ProcessGroup() = default;

std::shared_ptr<ProcessGroup> ProcessGroup::join(const DistributedOptions& options, const torch::Device& device) {
    options.validate();
    std::shared_ptr<ProcessGroup> group(new ProcessGroup(options));
    auto& impl = *group->impl_;
    const auto timeout = std::chrono::milliseconds(static_cast<int64_t>(options.timeout_seconds * 1000));
    const std::string where = fmt::format("{}:{}", options.master_addr, options.master_port);
    c10::intrusive_ptr<c10d::Store> tcp;
    try {
        c10d::TCPStoreOptions so;
        so.port = static_cast<uint16_t>(options.master_port);
        so.isServer = options.rank == 0;
        so.numWorkers = options.world_size;
        so.waitWorkers = true;
        so.timeout = timeout;
        tcp = c10::make_intrusive<c10d::TCPStore>(options.master_addr, so);
    } catch (const std::exception& e) {
        throw Error(fmt::format(
            "rank {} of {}: the rendezvous store at {} (MASTER_ADDR:MASTER_PORT) could not be {} within {}: {}",
            options.rank, options.world_size, where, options.rank == 0 ? "opened" : "reached",
            seconds_text(options.timeout_seconds), e.what()));
    }
    impl.store = c10::make_intrusive<c10d::PrefixStore>("ganvas", tcp);
    const bool cuda = device.is_cuda();
    const std::string backend = options.backend == "auto" ? (cuda && nccl_available() ? "nccl" : "gloo") : options.backend;
    try {
        if (backend == "nccl") {
#ifdef GANVAS_WITH_NCCL
            auto o = c10d::ProcessGroupNCCL::Options::create();
            o->timeout = timeout;
            impl.pg = c10::make_intrusive<c10d::ProcessGroupNCCL>(impl.store, options.rank, options.world_size, o);
#else
            throw UsageError("NCCL is not in this build");
#endif
        } else {
            auto o = c10d::ProcessGroupGloo::Options::create(timeout);
            if (const char* iface = std::getenv("GLOO_SOCKET_IFNAME")) {
                o->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(iface));
            } else if (is_loopback(options.master_addr)) {
                o->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
            } else {
                o->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
            }
            o->threads = 2;
            impl.pg = c10::make_intrusive<c10d::ProcessGroupGloo>(impl.store, options.rank, options.world_size, o);
        }
    } catch (const UsageError&) {
        throw;
    } catch (const std::exception& e) {
        throw Error(fmt::format("rank {} of {}: the {} process group did not form within {} (store {}): {}",
                                options.rank, options.world_size, backend, seconds_text(options.timeout_seconds),
                                where, e.what()));
    }
    impl.backend = backend;
    spdlog::debug("rank {} of {} joined the {} group at {}", options.rank, options.world_size, backend, where);
    return group;
}

std::string ProcessGroup::backend_name() const { return impl_->backend; }

void ProcessGroup::fail(const char* what, const std::string& cause) {
    // Say which ranks are gone: every survivor posts a mark, waits a little for the others' marks,
    // and names the ranks that posted none. When the store itself is gone, rank 0 (its host) is.
    std::string lost;
    try {
        impl_->store->set(failed_key(rank()), std::vector<uint8_t>{1});
        const auto deadline = std::chrono::steady_clock::now() +
                              std::chrono::milliseconds(static_cast<int64_t>(std::min(3.0, options_.timeout_seconds) * 1000));
        std::vector<int> missing;
        do {
            missing.clear();
            for (int r = 0; r < size(); ++r) {
                if (!impl_->store->check({failed_key(r)})) missing.push_back(r);
            }
            if (missing.empty()) break;
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        } while (std::chrono::steady_clock::now() < deadline);
        for (int r : missing) {
            std::string last = "never posted a step";
            try {
                if (impl_->store->check({step_key(r)})) {
                    const auto v = impl_->store->get(step_key(r));
                    last = "last seen in step " + std::string(v.begin(), v.end());
                }
            } catch (const std::exception&) {
            }
            lost += fmt::format("{}rank {} ({})", lost.empty() ? "" : ", ", r, last);
        }
        if (lost.empty()) lost = "no rank is missing from the store; a peer's connection broke";
    } catch (const std::exception&) {
        lost = "rank 0 (it hosts the rendezvous store, which no longer answers)";
    }
    throw Error(fmt::format("distributed training: rank {} of {} lost the group during {} in step {}: {} stopped "
                            "answering within the {} timeout ({})",
                            rank(), size(), what, step_ + 1, lost, seconds_text(options_.timeout_seconds), cause));
}

template <typename F>
void ProcessGroup::guarded(const char* what, F&& collective) {
    const auto t0 = std::chrono::steady_clock::now();
    try {
        collective();
    } catch (const Error&) {
        throw;
    } catch (const std::exception& e) {
        std::string cause = e.what();
        if (const auto* c10 = dynamic_cast<const c10::Error*>(&e)) cause = c10->what_without_backtrace();
        if (const auto nl = cause.find('\n'); nl != std::string::npos) cause.resize(nl);
        fail(what, cause);
    }
    comm_seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

void ProcessGroup::allreduce_sum(std::vector<torch::Tensor>& tensors) {
    if (size() == 1 || tensors.empty()) return;
    guarded("an all-reduce", [&] {
        for (auto& t : tensors) {
            TORCH_CHECK(t.is_contiguous(), "allreduce_sum: tensors must be contiguous");
            std::vector<at::Tensor> one{t};
            impl_->pg->allreduce(one, c10d::AllreduceOptions{})->wait();
            bytes_reduced_ += t.numel() * static_cast<int64_t>(t.element_size());
        }
    });
}

void ProcessGroup::allreduce_max(torch::Tensor& tensor) {
    if (size() == 1) return;
    guarded("an all-reduce", [&] {
        std::vector<at::Tensor> one{tensor};
        c10d::AllreduceOptions o;
        o.reduceOp = c10d::ReduceOp::MAX;
        impl_->pg->allreduce(one, o)->wait();
    });
}

void ProcessGroup::broadcast_bytes(std::string& bytes, int root) {
    if (size() == 1) return;
    guarded("a broadcast", [&] {
        auto length = torch::tensor({static_cast<int64_t>(bytes.size())}, torch::kInt64);
        std::vector<at::Tensor> one{length};
        c10d::BroadcastOptions o;
        o.rootRank = root;
        impl_->pg->broadcast(one, o)->wait();
        const int64_t n = length.item<int64_t>();
        if (n < 0 || n > (int64_t{1} << 40)) throw Error(fmt::format("broadcast of {} bytes refused", n));
        auto data = torch::empty({std::max<int64_t>(n, 1)}, torch::kUInt8);
        if (rank() == root && n > 0) std::memcpy(data.data_ptr<uint8_t>(), bytes.data(), n);
        std::vector<at::Tensor> payload{data};
        impl_->pg->broadcast(payload, o)->wait();
        if (rank() != root) bytes.assign(reinterpret_cast<const char*>(data.data_ptr<uint8_t>()), n);
    });
}

void ProcessGroup::barrier() {
    if (size() == 1) return;
    // An all-reduce of one value: Gloo's barrier has no timeout of its own in every version.
    auto one = torch::ones({1});
    guarded("a barrier", [&] {
        std::vector<at::Tensor> t{one};
        impl_->pg->allreduce(t, c10d::AllreduceOptions{})->wait();
    });
}

void ProcessGroup::set_step(int64_t step) {
    step_ = step;
    if (size() == 1) return;
    const std::string text = std::to_string(step + 1);
    guarded("posting its step", [&] { impl_->store->set(step_key(rank()), std::vector<uint8_t>(text.begin(), text.end())); });
}

void ProcessGroup::average_gradients(const std::vector<torch::Tensor>& params) {
    if (size() == 1) return;
    torch::NoGradGuard no_grad;
    std::vector<torch::Tensor> grads;
    for (const auto& p : params) {
        if (p.grad().defined()) grads.push_back(p.grad());
    }
    size_t i = 0;
    while (i < grads.size()) {
        // One bucket: consecutive gradients of one dtype and device, up to bucket_bytes.
        std::vector<torch::Tensor> bucket{grads[i]};
        int64_t bytes = grads[i].numel() * static_cast<int64_t>(grads[i].element_size());
        size_t j = i + 1;
        while (j < grads.size() && grads[j].scalar_type() == grads[i].scalar_type() &&
               grads[j].device() == grads[i].device() &&
               bytes + grads[j].numel() * static_cast<int64_t>(grads[j].element_size()) <= options_.bucket_bytes) {
            bytes += grads[j].numel() * static_cast<int64_t>(grads[j].element_size());
            bucket.push_back(grads[j++]);
        }
        std::vector<torch::Tensor> flat_parts;
        flat_parts.reserve(bucket.size());
        for (const auto& g : bucket) flat_parts.push_back(g.reshape({-1}));
        std::vector<torch::Tensor> flat{torch::cat(flat_parts)};
        allreduce_sum(flat);
        flat[0].div_(static_cast<double>(size()));
        int64_t offset = 0;
        for (auto& g : bucket) {
            g.copy_(flat[0].narrow(0, offset, g.numel()).view(g.sizes()));
            offset += g.numel();
        }
        i = j;
    }
}

ProcessGroup* current_process_group() { return tls_group; }

ScopedProcessGroup::ScopedProcessGroup(ProcessGroup* group) : previous_(tls_group) { tls_group = group; }
ScopedProcessGroup::~ScopedProcessGroup() { tls_group = previous_; }

// ---- Synchronised batch norm --------------------------------------------------------------------

namespace {

// Per-channel sums over N, H, W as [C].
torch::Tensor channel_sum(const torch::Tensor& t) { return t.sum({0, 2, 3}); }
torch::Tensor per_channel(const torch::Tensor& v) { return v.view({1, -1, 1, 1}); }

struct SyncBatchNormFunction : public torch::autograd::Function<SyncBatchNormFunction> {
    static torch::Tensor forward(torch::autograd::AutogradContext* ctx, torch::Tensor x, torch::Tensor weight,
                                 torch::Tensor bias, int64_t group_address, torch::Tensor running_mean,
                                 torch::Tensor running_var, double momentum, double eps) {
        auto* group = reinterpret_cast<ProcessGroup*>(group_address);
        const auto xf = x.to(torch::kFloat);
        const double local_count = static_cast<double>(x.numel() / x.size(1));
        // [sum | sum of squares | count] in one all-reduce, in double precision: the variance as
        // E[x^2] - E[x]^2 would lose digits in float.
        const auto xd = x.to(torch::kDouble);
        std::vector<torch::Tensor> stats{torch::cat({channel_sum(xd), channel_sum(xd * xd),
                                                     torch::full({1}, local_count, xd.options())})};
        group->allreduce_sum(stats);
        const int64_t c = x.size(1);
        const double n = stats[0][2 * c].item<double>();
        const auto mean_d = stats[0].narrow(0, 0, c) / n;
        const auto var_d = (stats[0].narrow(0, c, c) / n - mean_d * mean_d).clamp_min(0);
        const auto mean = mean_d.to(torch::kFloat), var = var_d.to(torch::kFloat);
        const auto invstd = (var_d + eps).rsqrt().to(torch::kFloat);
        if (running_mean.defined()) {
            running_mean.mul_(1 - momentum).add_(mean.to(running_mean.scalar_type()), momentum);
            const double unbias = n > 1 ? n / (n - 1) : 1.0;
            running_var.mul_(1 - momentum).add_((var * unbias).to(running_var.scalar_type()), momentum);
        }
        const auto xhat = (xf - per_channel(mean)) * per_channel(invstd);
        ctx->save_for_backward({xhat, weight, invstd});
        ctx->saved_data["group"] = group_address;
        ctx->saved_data["n"] = n;
        return (xhat * per_channel(weight) + per_channel(bias)).to(x.scalar_type());
    }

    static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                   torch::autograd::variable_list grad_outputs) {
        auto* group = reinterpret_cast<ProcessGroup*>(ctx->saved_data["group"].toInt());
        const double n = ctx->saved_data["n"].toDouble();
        const auto saved = ctx->get_saved_variables();
        const auto& xhat = saved[0];
        const auto& weight = saved[1];
        const auto& invstd = saved[2];
        const auto dy = grad_outputs[0].to(torch::kFloat);
        const auto sum_dy = channel_sum(dy);
        const auto sum_dy_xhat = channel_sum(dy * xhat);
        // The parameters' gradients are this rank's (the optimizer averages them over the ranks);
        // the input's needs the sums of every rank.
        const auto grad_weight = sum_dy_xhat.clone();
        const auto grad_bias = sum_dy.clone();
        const int64_t c = xhat.size(1);
        std::vector<torch::Tensor> sums{torch::cat({sum_dy, sum_dy_xhat}).to(torch::kDouble)};
        group->allreduce_sum(sums);
        const auto mean_dy = (sums[0].narrow(0, 0, c) / n).to(torch::kFloat);
        const auto mean_dy_xhat = (sums[0].narrow(0, c, c) / n).to(torch::kFloat);
        const auto dx = (dy - per_channel(mean_dy) - xhat * per_channel(mean_dy_xhat)) * per_channel(invstd * weight);
        return {dx.to(grad_outputs[0].scalar_type()), grad_weight, grad_bias, torch::Tensor(), torch::Tensor(),
                torch::Tensor(), torch::Tensor(), torch::Tensor()};
    }
};

}  // namespace

torch::Tensor sync_batch_norm(ProcessGroup& group, const torch::Tensor& x, const torch::Tensor& weight,
                              const torch::Tensor& bias, torch::Tensor& running_mean, torch::Tensor& running_var,
                              double momentum, double eps) {
    TORCH_CHECK(x.dim() == 4, "sync_batch_norm: expected a 4-D input, got ", x.dim(), "-D");
    // Running statistics are buffers: updated outside autograd.
    torch::Tensor rm = running_mean, rv = running_var;
    auto w = weight.defined() ? weight : torch::ones({x.size(1)}, x.options());
    auto b = bias.defined() ? bias : torch::zeros({x.size(1)}, x.options());
    return SyncBatchNormFunction::apply(x, w, b, reinterpret_cast<int64_t>(&group), rm, rv, momentum, eps);
}

}  // namespace ganvas
