// One optimizer interface for every model: Adam either fused (nn/adam.h, one pass per parameter)
// or LibTorch's torch::optim::Adam, chosen when it is built. Both follow PyTorch's update rule.
// Inside a distributed group (dist/process_group.h), step() first averages the gradients over the
// ranks, so that every model's networks train data-parallel without code of their own.
#pragma once
#include "ganvas/nn/adam.h"
#include "ganvas/nn/placement.h"

#include <torch/optim/adam.h>
#include <torch/serialize/input-archive.h>
#include <torch/serialize/output-archive.h>

#include <memory>
#include <string>
#include <vector>

namespace ganvas {

enum class AdamKind { Fused, Stock };

class Optimizer {
public:
    Optimizer(std::vector<torch::Tensor> params, AdamConfig config, AdamKind kind);

    void zero_grad();
    // Averages the gradients over the thread's process group, if any, then updates.
    void step();
    // The learning rate of every parameter (schedules scale the base rate and set it here).
    void set_lr(double lr);
    AdamKind kind() const { return kind_; }
    void place(const Placement& placement);  // the moments follow their parameters

    // Fused: keys <key>.step, <key>.exp_avg.<i>, ...; stock: a sub-archive <key>.
    void save(torch::serialize::OutputArchive& archive, const std::string& key) const;
    void load(torch::serialize::InputArchive& archive, const std::string& key);

private:
    AdamKind kind_;
    std::vector<torch::Tensor> params_;
    std::unique_ptr<FusedAdam> fused_;
    std::unique_ptr<torch::optim::Adam> stock_;
};

}  // namespace ganvas
