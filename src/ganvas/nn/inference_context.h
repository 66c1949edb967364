// Per-request state of one inference call, visible to the layers it runs through on the calling
// thread: the request's random generator and whether stochastic layers sample as in training.
//
// This is what lets one loaded model serve concurrent requests: modules stay in eval mode and
// nothing shared is written. A request's dropout masks and noise come from its own generator
// (seeded from the request), and batch norm "as in training" normalises with the batch's own
// statistics without touching the running ones.
#pragma once
#include <ATen/core/Generator.h>
#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

#include <cstdint>

namespace ganvas {

struct InferenceContext {
    at::Generator generator;  // CPU generator of this request
    // Dropout on and batch norm on batch statistics (pix2pix's test.py), running statistics
    // untouched; false: plain eval mode.
    bool train_mode_layers = false;
};

// The context of the request running on this thread, nullptr outside one.
const InferenceContext* current_inference();

// Installs a context for the calling thread for its lifetime (nests: the previous one comes back).
class ScopedInference {
public:
    ScopedInference(uint64_t seed, bool train_mode_layers);
    ~ScopedInference();
    ScopedInference(const ScopedInference&) = delete;
    ScopedInference& operator=(const ScopedInference&) = delete;
    at::Generator& generator() { return context_.generator; }

private:
    InferenceContext context_;
    const InferenceContext* previous_;
};

// A CPU generator seeded with `seed`.
at::Generator make_cpu_generator(uint64_t seed);

// Dropout that in training draws from the global generator (checkpointed with the run) and in
// eval mode, inside a request with train_mode_layers, from the request's generator.
class ContextDropoutImpl : public torch::nn::Module {
public:
    explicit ContextDropoutImpl(double p = 0.5) : p_(p) {}
    torch::Tensor forward(const torch::Tensor& x);

private:
    double p_;
};
TORCH_MODULE(ContextDropout);

// BatchNorm2d with running statistics (and affine parameters unless `affine` is false): in training
// and in plain eval mode exactly LibTorch's BatchNorm2d (same parameters, buffers and state-dict
// keys, so checkpoints and the reference's state dicts map key for key); in eval mode inside a
// request with train_mode_layers, it normalises with the batch's own statistics and leaves the
// running ones alone. In training inside a distributed group with sync_batch_norm on
// (dist/process_group.h), it normalises with the statistics of every rank's batch. (Its own module rather than a subclass: LibTorch does not export the pieces a subclass of
// BatchNorm2dImpl links against.)
class ContextBatchNorm2dImpl : public torch::nn::Module {
public:
    explicit ContextBatchNorm2dImpl(int64_t channels, double eps = 1e-5, double momentum = 0.1, bool affine = true);
    torch::Tensor forward(const torch::Tensor& x);
    void pretty_print(std::ostream& stream) const override;
    // The weight of a new batch in the running statistics (re-estimating them: 1 / (k + 1) for
    // the k-th batch gives their plain mean).
    double momentum() const { return momentum_; }
    void set_momentum(double momentum) { momentum_ = momentum; }

    torch::Tensor weight, bias;                                   // [C]; undefined unless affine
    torch::Tensor running_mean, running_var, num_batches_tracked;  // buffers

private:
    int64_t channels_;
    double eps_, momentum_;
};
TORCH_MODULE(ContextBatchNorm2d);

}  // namespace ganvas
