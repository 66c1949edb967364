#include "ganvas/data/loader.h"

#include "ganvas/core/error.h"

#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include <chrono>
#include <random>

namespace ganvas {

Batch Batch::to(const torch::Device& device) const {
    Batch out;
    out.input = input.to(device);
    out.target = target.to(device);
    out.label = label.defined() ? label.to(device) : label;
    for (const auto& [name, t] : extra) out.extra[name] = t.to(device);
    return out;
}

Batch collate(const std::vector<Example>& examples) {
    TORCH_CHECK(!examples.empty(), "collate needs at least one example");
    std::vector<torch::Tensor> inputs, targets;
    std::vector<int64_t> labels;
    for (const auto& e : examples) {
        inputs.push_back(e.input);
        targets.push_back(e.target);
        labels.push_back(e.label);
    }
    Batch batch;
    for (const auto& [name, first] : examples.front().extra) {
        std::vector<torch::Tensor> stack;
        for (const auto& e : examples) {
            auto it = e.extra.find(name);
            if (it == e.extra.end() || !it->second.defined()) break;
            stack.push_back(it->second);
        }
        if (stack.size() == examples.size()) batch.extra[name] = torch::stack(stack);
    }
    batch.input = torch::stack(inputs);
    batch.target = torch::stack(targets);
    batch.label = torch::tensor(labels, torch::kInt64);
    return batch;
}

namespace {
uint64_t mix_seed(uint64_t a, uint64_t b) {
    uint64_t z = a * 0x9E3779B97F4A7C15ull + b + 0x632BE59BD9B4E019ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}
}  // namespace

std::vector<size_t> BatchLoader::epoch_order(size_t count, uint64_t seed, int64_t epoch,
                                             bool shuffle) {
    std::vector<size_t> order(count);
    for (size_t i = 0; i < count; ++i) order[i] = i;
    if (!shuffle) return order;
    // Fisher-Yates with mt19937_64, whose output the standard fixes (std::shuffle's is not).
    std::mt19937_64 rng(mix_seed(seed, static_cast<uint64_t>(epoch)));
    for (size_t i = count; i > 1; --i) {
        const size_t j = static_cast<size_t>(rng() % i);
        std::swap(order[i - 1], order[j]);
    }
    return order;
}

BatchLoader::BatchLoader(std::shared_ptr<const Dataset> dataset, LoaderOptions options,
                         LoaderPosition start)
    : dataset_(std::move(dataset)), options_(options), position_(start) {
    if (options_.batch_size < 1) throw UsageError("--batch must be at least 1");
    if (options_.world_size < 1 || options_.rank < 0 || options_.rank >= options_.world_size) {
        throw UsageError("loader: rank " + std::to_string(options_.rank) + " is outside a group of " +
                         std::to_string(options_.world_size));
    }
    const auto n = static_cast<int64_t>(dataset_->size());
    global_batch_ = options_.batch_size * options_.world_size;
    if (n < global_batch_) {
        throw Error("the dataset holds " + std::to_string(n) + " images, fewer than one batch of " +
                    std::to_string(options_.batch_size) +
                    (options_.world_size > 1 ? " per rank on " + std::to_string(options_.world_size) + " ranks" : ""));
    }
    if (position_.epoch < 0 || position_.example < 0) throw Error("loader: negative start position");
    if (position_.example + global_batch_ > n) position_ = {position_.epoch + 1, 0};
    batches_per_epoch_ = n / global_batch_;
    first_epoch_batches_ = (n - position_.example) / global_batch_;
    start_ = position_;
    consumed_ = 0;
    const int workers = std::max(1, options_.workers);
    for (int w = 0; w < workers; ++w) threads_.emplace_back([this, w] { worker_loop(w); });
}

BatchLoader::~BatchLoader() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stop_ = true;
    }
    space_.notify_all();
    for (auto& t : threads_) t.join();
}

int64_t BatchLoader::failed_files() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return static_cast<int64_t>(failed_.size());
}

Example BatchLoader::load_example(size_t index, uint64_t seed) {
    const size_t n = dataset_->size();
    for (size_t attempt = 0; attempt < n; ++attempt) {
        const size_t i = (index + attempt) % n;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            if (failed_.count(i)) continue;
        }
        try {
            return dataset_->get(i, seed);
        } catch (const std::exception& e) {  // one bad file (its decoder's error, its size) is skipped
            std::lock_guard<std::mutex> lock(mutex_);
            if (failed_.insert(i).second) spdlog::warn("skipping {}", exception_text(e));
        }
    }
    throw Error("no example of the dataset could be loaded (" + std::to_string(n) + " failed)");
}

Batch BatchLoader::load_batch(int64_t index) {
    int64_t epoch = 0, first_slot = 0;
    if (index < first_epoch_batches_) {
        epoch = start_.epoch;
        first_slot = start_.example + index * global_batch_;
    } else {
        const int64_t later = index - first_epoch_batches_;
        epoch = start_.epoch + 1 + later / batches_per_epoch_;
        first_slot = (later % batches_per_epoch_) * global_batch_;
    }
    first_slot += static_cast<int64_t>(options_.rank) * options_.batch_size;
    std::shared_ptr<const std::vector<size_t>> order;  // shared, not copied per batch
    {
        std::lock_guard<std::mutex> lock(mutex_);
        auto it = orders_.find(epoch);
        if (it == orders_.end()) {
            it = orders_.emplace(epoch, std::make_shared<const std::vector<size_t>>(epoch_order(
                                            dataset_->size(), options_.seed, epoch, options_.shuffle)))
                     .first;
            while (orders_.size() > 3) orders_.erase(orders_.begin());
        }
        order = it->second;
    }
    std::vector<Example> examples;
    examples.reserve(options_.batch_size);
    for (int64_t k = 0; k < options_.batch_size; ++k) {
        const auto slot = static_cast<size_t>(first_slot + k);
        const uint64_t seed = mix_seed(mix_seed(options_.seed, static_cast<uint64_t>(epoch)), slot);
        examples.push_back(load_example((*order)[slot], seed));
    }
    return collate(examples);
}

void BatchLoader::worker_loop(int worker) {
    const int64_t stride = std::max(1, options_.workers);
    for (int64_t b = worker;; b += stride) {
        {
            std::unique_lock<std::mutex> lock(mutex_);
            space_.wait(lock, [&] {
                return stop_ || b < consumed_ + stride * std::max(1, options_.prefetch);
            });
            if (stop_) return;
        }
        Batch batch;
        std::exception_ptr error;
        try {
            batch = load_batch(b);
        } catch (...) {
            error = std::current_exception();
        }
        {
            std::lock_guard<std::mutex> lock(mutex_);
            if (error) errors_[b] = error;
            else done_[b] = std::move(batch);
        }
        ready_.notify_all();
        if (error) return;
    }
}

Batch BatchLoader::next() {
    const auto start = std::chrono::steady_clock::now();
    Batch batch;
    {
        std::unique_lock<std::mutex> lock(mutex_);
        ready_.wait(lock, [&] { return done_.count(consumed_) || errors_.count(consumed_); });
        if (auto it = errors_.find(consumed_); it != errors_.end()) std::rethrow_exception(it->second);
        batch = std::move(done_[consumed_]);
        done_.erase(consumed_);
        ++consumed_;
    }
    space_.notify_all();
    wait_seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    position_.example += global_batch_;
    if (position_.example + global_batch_ > static_cast<int64_t>(dataset_->size())) {
        position_.example = 0;
        position_.epoch += 1;
    }
    return batch;
}

}  // namespace ganvas
