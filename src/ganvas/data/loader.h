// Batches from a Dataset, loaded ahead of time on worker threads.
//
// The order is a function of (seed, epoch) alone: a per-epoch permutation and a per-example
// augmentation seed. Whatever the number of workers, the same position yields the same batch,
// so a resumed run sees exactly the data an uninterrupted run would have seen.
//
// Data-parallel runs shard every batch: with R ranks of batch B, global batch g of the order covers
// slots [g*R*B, (g+1)*R*B) of the epoch's permutation and rank r takes the B slots from g*R*B + r*B,
// so over an epoch the ranks together see every example once, none twice, whatever R is. Positions
// count examples, so a run resumes with another number of ranks where it stopped.
//
// An example that fails to load is replaced by the next index that loads (deterministically);
// each failing file is reported once and counted.
#pragma once
#include "ganvas/data/dataset.h"

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

namespace ganvas {

struct LoaderOptions {
    int64_t batch_size = 16;
    uint64_t seed = 0;
    bool shuffle = true;
    int workers = 2;   // threads decoding batches
    int prefetch = 2;  // batches ready ahead of the consumer, per worker
    int rank = 0;        // this process's shard of each global batch
    int world_size = 1;  // ranks sharing each global batch
};

struct LoaderPosition {
    int64_t epoch = 0;
    int64_t example = 0;  // examples of the epoch the group has consumed (a multiple of the global batch)
};

class BatchLoader {
public:
    // Throws Error when the dataset holds fewer examples than one global batch. A start position with
    // less than a global batch left in its epoch (a run resumed with more ranks) starts the next epoch.
    BatchLoader(std::shared_ptr<const Dataset> dataset, LoaderOptions options,
                LoaderPosition start = {});
    ~BatchLoader();
    BatchLoader(const BatchLoader&) = delete;
    BatchLoader& operator=(const BatchLoader&) = delete;

    Batch next();  // blocks until the batch at position() is ready, then advances
    LoaderPosition position() const { return position_; }
    // Global batches in a whole epoch.
    int64_t batches_per_epoch() const { return batches_per_epoch_; }
    int64_t global_batch() const { return global_batch_; }
    // Files that failed to load so far.
    int64_t failed_files() const;
    // Seconds next() has spent waiting for workers.
    double wait_seconds() const { return wait_seconds_; }

    // The example indices of one epoch, in loading order (a pure function of seed and epoch).
    static std::vector<size_t> epoch_order(size_t count, uint64_t seed, int64_t epoch, bool shuffle);

private:
    Batch load_batch(int64_t index);  // index: global batches since this loader's start
    Example load_example(size_t index, uint64_t seed);
    void worker_loop(int worker);

    std::shared_ptr<const Dataset> dataset_;
    LoaderOptions options_;
    LoaderPosition position_;  // the consumer's
    LoaderPosition start_;     // where this loader started (read by the workers)
    int64_t batches_per_epoch_;
    int64_t global_batch_;        // batch_size * world_size
    int64_t first_epoch_batches_;  // global batches left in the start epoch
    double wait_seconds_ = 0.0;

    mutable std::mutex mutex_;
    std::condition_variable ready_;
    std::condition_variable space_;
    std::map<int64_t, Batch> done_;
    std::map<int64_t, std::exception_ptr> errors_;
    int64_t consumed_;  // index of the next batch the consumer takes
    bool stop_ = false;
    std::set<size_t> failed_;
    std::map<int64_t, std::shared_ptr<const std::vector<size_t>>> orders_;  // cached epoch permutations
    std::vector<std::thread> threads_;
};

}  // namespace ganvas
