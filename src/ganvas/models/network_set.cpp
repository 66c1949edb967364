#include "ganvas/models/network_set.h"

#include "ganvas/core/error.h"

#include <torch/torch.h>

namespace ganvas {
namespace {

thread_local PayloadKind t_save_kind = PayloadKind::Training;

// The payload's kind, a scalar under this key; absent in training checkpoints (and in every
// checkpoint written before exports existed).
constexpr const char* kPayloadKey = "ganvas_payload";

// A module's parameters and buffers, recursively, as Module::save lays them out, floating-point
// tensors converted to `dtype`.
void save_as(const torch::nn::Module& module, torch::serialize::OutputArchive& archive, torch::ScalarType dtype) {
    const auto convert = [&](const torch::Tensor& t) {
        return t.is_floating_point() ? t.detach().to(torch::kCPU, dtype) : t.detach().to(torch::kCPU);
    };
    for (const auto& p : module.named_parameters(/*recurse=*/false)) archive.write(p.key(), convert(p.value()));
    for (const auto& b : module.named_buffers(/*recurse=*/false)) {
        archive.write(b.key(), convert(b.value()), /*is_buffer=*/true);
    }
    for (const auto& child : module.named_children()) {
        torch::serialize::OutputArchive sub;
        save_as(*child.value(), sub, dtype);
        archive.write(child.key(), sub);
    }
}

// The reverse: each stored tensor copied into the module's own (converted back to its dtype), so
// the module keeps its float32 parameters whatever the file stored.
void load_converting(torch::nn::Module& module, torch::serialize::InputArchive& archive, const std::string& where) {
    torch::NoGradGuard no_grad;
    const auto read_into = [&](const std::string& key, torch::Tensor& target, bool is_buffer) {
        torch::Tensor stored;
        if (!archive.try_read(key, stored, is_buffer)) throw Error(where + "." + key + " is missing");
        if (stored.sizes() != target.sizes()) {
            throw Error(where + "." + key + " has shape " + c10::str(stored.sizes()) + ", the network " +
                        c10::str(target.sizes()));
        }
        if (!stored.is_floating_point() && target.is_floating_point()) {
            throw Error(where + "." + key + " is not floating point");
        }
        target.copy_(stored);
    };
    for (auto& p : module.named_parameters(/*recurse=*/false)) read_into(p.key(), p.value(), false);
    for (auto& b : module.named_buffers(/*recurse=*/false)) read_into(b.key(), b.value(), true);
    for (const auto& child : module.named_children()) {
        torch::serialize::InputArchive sub;
        if (!archive.try_read(child.key(), sub)) throw Error(where + "." + child.key() + " is missing");
        load_converting(*child.value(), sub, where + "." + child.key());
    }
}

}  // namespace

ExportPayloadGuard::ExportPayloadGuard(PayloadKind kind) : previous_(t_save_kind) { t_save_kind = kind; }
ExportPayloadGuard::~ExportPayloadGuard() { t_save_kind = previous_; }

void NetworkSet::add_network(const std::string& key, torch::nn::Module& network, bool trained, NetworkUse use) {
    networks_.push_back({key, &network, trained, trained, use});
}

void NetworkSet::add_frozen(const std::string& key, torch::nn::Module& network) {
    network.eval();
    networks_.push_back({key, &network, false, true, NetworkUse::Always});
}

void NetworkSet::add_optimizer(const std::string& key, Optimizer& optimizer) {
    optimizers_.emplace_back(key, &optimizer);
}

void NetworkSet::clear() {
    networks_.clear();
    optimizers_.clear();
}

void NetworkSet::save(torch::serialize::OutputArchive& archive) const {
    const PayloadKind kind = t_save_kind;
    if (kind != PayloadKind::Training) {
        const auto dtype = kind == PayloadKind::InferenceHalf ? torch::kHalf : torch::kFloat;
        archive.write(kPayloadKey, torch::tensor(static_cast<int64_t>(kind)), /*is_buffer=*/true);
        for (const auto& n : networks_) {
            if (!n.saved || n.use == NetworkUse::TrainingOnly) continue;
            torch::serialize::OutputArchive sub;
            save_as(*n.module, sub, dtype);
            archive.write(n.key, sub);
        }
        return;
    }
    for (const auto& n : networks_) {
        if (!n.saved) continue;
        torch::serialize::OutputArchive sub;
        n.module->save(sub);
        archive.write(n.key, sub);
    }
    for (const auto& [key, optimizer] : optimizers_) optimizer->save(archive, key);
}

void NetworkSet::load(torch::serialize::InputArchive& archive) {
    torch::Tensor marker;
    if (archive.try_read(kPayloadKey, marker, /*is_buffer=*/true)) {
        const int64_t kind = marker.numel() == 1 && !marker.is_floating_point() ? marker.item<int64_t>() : -1;
        if (kind != static_cast<int64_t>(PayloadKind::Inference) && kind != static_cast<int64_t>(PayloadKind::InferenceHalf)) {
            throw Error("unknown payload kind in the checkpoint");
        }
        for (const auto& n : networks_) {
            if (!n.saved || n.use == NetworkUse::TrainingOnly) continue;
            torch::serialize::InputArchive sub;
            if (!archive.try_read(n.key, sub)) throw Error("network " + n.key + " is missing");
            load_converting(*n.module, sub, n.key);
        }
        loaded_kind_ = static_cast<PayloadKind>(kind);
        return;
    }
    for (const auto& n : networks_) {
        if (!n.saved) continue;
        torch::serialize::InputArchive sub;
        archive.read(n.key, sub);
        n.module->load(sub);
    }
    for (const auto& [key, optimizer] : optimizers_) optimizer->load(archive, key);
    loaded_kind_ = PayloadKind::Training;
}

void NetworkSet::place(const Placement& placement) {
    for (const auto& n : networks_) place_module(*n.module, placement);
    for (const auto& [key, optimizer] : optimizers_) optimizer->place(placement);
}

void NetworkSet::set_training(bool training) {
    for (const auto& n : networks_) {
        if (n.trained) n.module->train(training);
    }
}

int64_t NetworkSet::parameter_count() const {
    int64_t n = 0;
    for (const auto& net : networks_) {
        if (net.trained) n += count_parameters(*net.module);
    }
    return n;
}

}  // namespace ganvas
