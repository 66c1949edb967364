// Data-parallel training on PyTorch's own distributed engine (c10d): processes meet through a
// TCPStore and all-reduce over ProcessGroupGloo on CPU (ProcessGroupNCCL where LibTorch has CUDA).
//
// A process joins when the launcher's environment says so (torchrun, Slurm via srun, a Kubernetes
// PyTorchJob all set WORLD_SIZE, RANK, LOCAL_RANK, MASTER_ADDR, MASTER_PORT). The trainer then
// installs the group for its thread (ScopedProcessGroup) and the pieces that must agree across
// ranks find it there: Optimizer::step averages gradients before every update, and batch norm
// synchronises its statistics when asked to.
//
// Every collective is bounded by the group's timeout. When a peer dies or hangs the call fails
// with an Error naming the rank(s) that stopped answering, so the survivors exit instead of
// waiting forever.
#pragma once
#include <torch/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ganvas {

struct DistributedOptions {
    int rank = 0;
    int world_size = 1;
    int local_rank = 0;
    std::string master_addr = "127.0.0.1";
    int master_port = 29500;
    // Bound on every collective and on the rendezvous; a rank silent for longer is declared lost.
    double timeout_seconds = 300.0;
    // Batch norm on the statistics of the global batch (every rank's examples) instead of each
    // rank's own.
    bool sync_batch_norm = false;
    // Gradient buckets: all-reduced one flat tensor at a time (DDP's default is 25 MB).
    int64_t bucket_bytes = 25 << 20;
    // auto: NCCL when the tensors live on CUDA and LibTorch has it, Gloo otherwise.
    std::string backend = "auto";

    void validate() const;  // UsageError naming the variable or flag
};

// The launcher's variables, or nullopt when WORLD_SIZE is unset. A set but malformed or
// inconsistent variable is a UsageError naming it.
std::optional<DistributedOptions> distributed_from_env();

// Whether this build can use NCCL (LibTorch with CUDA and c10d's NCCL backend).
bool nccl_available();

class ProcessGroup {
public:
    // Rendezvous through the TCPStore at master_addr:master_port (rank 0 hosts it) and builds the
    // backend. Error naming the address when the store cannot be reached within the timeout.
    // `device` decides the backend under backend=auto (CUDA: NCCL; CPU: Gloo).
    static std::shared_ptr<ProcessGroup> join(const DistributedOptions& options,
                                              const torch::Device& device = torch::kCPU);
    ~ProcessGroup();
    ProcessGroup(const ProcessGroup&) = delete;
    ProcessGroup& operator=(const ProcessGroup&) = delete;

    int rank() const { return options_.rank; }
    int size() const { return options_.world_size; }
    const DistributedOptions& options() const { return options_; }
    std::string backend_name() const;

    // Sums each tensor over the ranks, in place.
    void allreduce_sum(std::vector<torch::Tensor>& tensors);
    // Element-wise maximum over the ranks, in place.
    void allreduce_max(torch::Tensor& tensor);
    // Bytes from `root` to every rank (their `bytes` is replaced).
    void broadcast_bytes(std::string& bytes, int root = 0);
    void barrier();

    // Averages the gradients of `params` over the ranks: grads packed into flat buckets of at most
    // options().bucket_bytes, one all-reduce per bucket, unpacked. Parameters without a gradient
    // are skipped (every rank must skip the same ones, as DDP requires).
    void average_gradients(const std::vector<torch::Tensor>& params);

    // The training step this rank is in, posted to the store so that a failure can say who is
    // missing; also counts the collectives' time.
    void set_step(int64_t step);
    double communication_seconds() const { return comm_seconds_; }
    int64_t bytes_reduced() const { return bytes_reduced_; }
    void reset_counters() { comm_seconds_ = 0.0, bytes_reduced_ = 0; }

private:
    struct Impl;
    explicit ProcessGroup(DistributedOptions options);
    // Runs a collective; on failure finds the ranks that stopped answering and throws Error.
    template <typename F>
    void guarded(const char* what, F&& collective);
    [[noreturn]] void fail(const char* what, const std::string& cause);

    DistributedOptions options_;
    std::unique_ptr<Impl> impl_;
    int64_t step_ = 0;
    double comm_seconds_ = 0.0;
    int64_t bytes_reduced_ = 0;
};

// The group of the training running on this thread (nullptr: single process).
ProcessGroup* current_process_group();

class ScopedProcessGroup {
public:
    explicit ScopedProcessGroup(ProcessGroup* group);
    ~ScopedProcessGroup();
    ScopedProcessGroup(const ScopedProcessGroup&) = delete;
    ScopedProcessGroup& operator=(const ScopedProcessGroup&) = delete;

private:
    ProcessGroup* previous_;
};

// Batch norm in training mode on the statistics of every rank's batch (PyTorch's SyncBatchNorm):
// per-channel sums and counts all-reduced in the forward pass, the two gradient sums in the
// backward pass. Updates the running statistics with the global batch's mean and unbiased
// variance. x: [N, C, H, W] (any memory format); weight, bias: [C].
torch::Tensor sync_batch_norm(ProcessGroup& group, const torch::Tensor& x, const torch::Tensor& weight,
                              const torch::Tensor& bias, torch::Tensor& running_mean, torch::Tensor& running_var,
                              double momentum, double eps);

}  // namespace ganvas
