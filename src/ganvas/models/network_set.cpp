#include "ganvas/models/network_set.h"

namespace ganvas {

void NetworkSet::add_network(const std::string& key, torch::nn::Module& network, bool trained) {
    networks_.push_back({key, &network, trained, trained});
}

void NetworkSet::add_frozen(const std::string& key, torch::nn::Module& network) {
    network.eval();
    networks_.push_back({key, &network, false, true});
}

void NetworkSet::add_optimizer(const std::string& key, Optimizer& optimizer) {
    optimizers_.emplace_back(key, &optimizer);
}

void NetworkSet::clear() {
    networks_.clear();
    optimizers_.clear();
}

void NetworkSet::save(torch::serialize::OutputArchive& archive) const {
    for (const auto& n : networks_) {
        if (!n.saved) continue;
        torch::serialize::OutputArchive sub;
        n.module->save(sub);
        archive.write(n.key, sub);
    }
    for (const auto& [key, optimizer] : optimizers_) optimizer->save(archive, key);
}

void NetworkSet::load(torch::serialize::InputArchive& archive) {
    for (const auto& n : networks_) {
        if (!n.saved) continue;
        torch::serialize::InputArchive sub;
        archive.read(n.key, sub);
        n.module->load(sub);
    }
    for (const auto& [key, optimizer] : optimizers_) optimizer->load(archive, key);
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
