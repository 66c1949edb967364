// Data-parallel training on c10d: ranks are threads of this process here, each with its own
// ProcessGroupGloo over loopback (the same code as separate processes; tests/cli_distributed.sh runs
// real processes, kills one and resumes).
#include "test_util.h"

#include "ganvas/core/checkpoint.h"
#include "ganvas/core/error.h"
#include "ganvas/core/image.h"
#include "ganvas/data/loader.h"
#include "ganvas/dist/process_group.h"
#include "ganvas/models/pix2pix/pix2pix_model.h"
#include "ganvas/models/registry.h"
#include "ganvas/nn/inference_context.h"
#include "ganvas/nn/optimizer.h"
#include "ganvas/train/trainer.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <set>
#include <thread>

namespace ganvas {
namespace fs = std::filesystem;
using test::TempDir;

namespace {

int free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    ::close(fd);
    return ntohs(addr.sin_port);
}

DistributedOptions options_for(int rank, int world, int port) {
    DistributedOptions o;
    o.rank = rank;
    o.world_size = world;
    o.master_addr = "127.0.0.1";
    o.master_port = port;
    o.timeout_seconds = 30;
    return o;
}

// Runs body(rank, group) on `world` threads, each joined to one group; rethrows the first failure.
void run_ranks(int world, const std::function<void(int, ProcessGroup&)>& body,
               const std::function<void(DistributedOptions&)>& adjust = {}) {
    const int port = free_port();
    std::vector<std::exception_ptr> errors(world);
    std::vector<std::thread> threads;
    for (int r = 0; r < world; ++r) {
        threads.emplace_back([&, r] {
            try {
                auto o = options_for(r, world, port);
                if (adjust) adjust(o);
                auto group = ProcessGroup::join(o);
                body(r, *group);
            } catch (...) {
                errors[r] = std::current_exception();
            }
        });
    }
    for (auto& t : threads) t.join();
    for (auto& e : errors) {
        if (e) std::rethrow_exception(e);
    }
}

double max_diff(const torch::Tensor& a, const torch::Tensor& b) { return (a - b).abs().max().item<double>(); }

}  // namespace

TEST(DistributedEnv, LauncherVariablesAreReadAndCheckedByName) {
    ::unsetenv("WORLD_SIZE");
    EXPECT_FALSE(distributed_from_env().has_value()) << "no WORLD_SIZE: one process";
    ::setenv("WORLD_SIZE", "4", 1);
    ::setenv("RANK", "2", 1);
    ::setenv("LOCAL_RANK", "0", 1);
    ::setenv("MASTER_ADDR", "node7", 1);
    ::setenv("MASTER_PORT", "29512", 1);
    auto o = distributed_from_env();
    ASSERT_TRUE(o.has_value());
    EXPECT_EQ(o->world_size, 4);
    EXPECT_EQ(o->rank, 2);
    EXPECT_EQ(o->master_addr, "node7");
    EXPECT_EQ(o->master_port, 29512);
    const auto message = [] {
        try {
            distributed_from_env();
        } catch (const UsageError& e) {
            return std::string(e.what());
        }
        return std::string("accepted");
    };
    ::setenv("RANK", "4", 1);
    EXPECT_NE(message().find("RANK=4"), std::string::npos) << message();
    ::setenv("RANK", "1x", 1);
    EXPECT_NE(message().find("RANK"), std::string::npos) << message();
    ::setenv("RANK", "1", 1);
    ::setenv("MASTER_PORT", "70000", 1);
    EXPECT_NE(message().find("MASTER_PORT"), std::string::npos) << message();
    ::unsetenv("MASTER_PORT");
    EXPECT_NE(message().find("MASTER_PORT"), std::string::npos) << message();
    for (const char* v : {"WORLD_SIZE", "RANK", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"}) ::unsetenv(v);
}

TEST(Distributed, GradientsAreAveragedInBucketsBeforeTheUpdate) {
    torch::manual_seed(3);
    const std::vector<std::vector<int64_t>> shapes{{300, 2}, {5}, {7, 3, 3, 3}, {1}};
    std::vector<torch::Tensor> init, grads0, grads1;
    for (const auto& s : shapes) {
        init.push_back(torch::randn(s));
        grads0.push_back(torch::randn(s));
        grads1.push_back(torch::randn(s));
    }
    // One process applying the mean gradient: what both ranks must end with.
    std::vector<torch::Tensor> ref;
    for (auto& t : init) ref.push_back(t.clone().requires_grad_(true));
    Optimizer single(ref, AdamConfig{1e-2, 0.5, 0.999}, AdamKind::Fused);
    for (size_t i = 0; i < ref.size(); ++i) ref[i].mutable_grad() = (grads0[i] + grads1[i]) / 2;
    single.step();

    std::vector<std::vector<torch::Tensor>> after(2);
    run_ranks(
        2,
        [&](int rank, ProcessGroup& group) {
            std::vector<torch::Tensor> params;
            for (auto& t : init) params.push_back(t.clone().requires_grad_(true));
            // A parameter without a gradient is left alone on every rank.
            auto idle = torch::ones({4}).requires_grad_(true);
            params.push_back(idle);
            Optimizer opt(params, AdamConfig{1e-2, 0.5, 0.999}, rank == 0 ? AdamKind::Fused : AdamKind::Stock);
            for (size_t i = 0; i < init.size(); ++i) params[i].mutable_grad() = (rank == 0 ? grads0 : grads1)[i].clone();
            const ScopedProcessGroup scoped(&group);
            opt.step();
            EXPECT_FALSE(idle.grad().defined());
            // 300*2 + 5 floats do not fit one 2 KB bucket: several all-reduces ran.
            EXPECT_EQ(group.bytes_reduced(), static_cast<int64_t>((600 + 5 + 189 + 1) * sizeof(float)));
            for (size_t i = 0; i < init.size(); ++i) after[rank].push_back(params[i].detach().clone());
        },
        [](DistributedOptions& o) { o.bucket_bytes = 2048; });
    for (size_t i = 0; i < init.size(); ++i) {
        EXPECT_LT(max_diff(after[0][i], ref[i].detach()), 1e-6) << "parameter " << i << " on rank 0";
        EXPECT_LT(max_diff(after[1][i], ref[i].detach()), 1e-6) << "parameter " << i << " on rank 1";
        EXPECT_GT(max_diff(after[0][i], init[i]), 1e-4) << "the step moved parameter " << i;
    }
}

TEST(Distributed, SyncBatchNormEqualsOneProcessOnTheWholeBatch) {
    torch::manual_seed(5);
    const auto x = torch::randn({6, 3, 5, 4}) * 2 + 1;
    const auto probe = torch::randn({6, 3, 5, 4});  // loss = sum(y * probe)
    ContextBatchNorm2d whole(3);
    whole->weight.data().uniform_(0.5, 1.5);
    whole->bias.data().uniform_(-0.5, 0.5);
    whole->train();
    auto xa = x.clone().requires_grad_(true);
    const auto y = whole->forward(xa);
    (y * probe).sum().backward();

    struct RankOut {
        torch::Tensor y, dx, dw, db, running_mean, running_var;
    };
    const auto run = [&](bool sync) {
        std::vector<RankOut> out(2);
        run_ranks(
            2,
            [&](int rank, ProcessGroup& group) {
                ContextBatchNorm2d bn(3);
                bn->weight.data().copy_(whole->weight.detach());
                bn->bias.data().copy_(whole->bias.detach());
                bn->train();
                // Uneven shards: rank 0 has 2 examples, rank 1 has 4 (counts are all-reduced too).
                const auto part = rank == 0 ? x.narrow(0, 0, 2) : x.narrow(0, 2, 4);
                const auto p = rank == 0 ? probe.narrow(0, 0, 2) : probe.narrow(0, 2, 4);
                auto xr = part.clone().contiguous(torch::MemoryFormat::ChannelsLast).requires_grad_(true);
                const ScopedProcessGroup scoped(&group);
                const auto yr = bn->forward(xr);
                (yr * p).sum().backward();
                out[rank] = {yr.detach(), xr.grad(), bn->weight.grad(), bn->bias.grad(), bn->running_mean.clone(),
                             bn->running_var.clone()};
            },
            [&](DistributedOptions& o) { o.sync_batch_norm = sync; });
        return out;
    };
    const auto synced = run(true);
    const auto ys = torch::cat({synced[0].y, synced[1].y});
    const auto dxs = torch::cat({synced[0].dx, synced[1].dx});
    EXPECT_LT(max_diff(ys, y.detach()), 1e-5);
    EXPECT_LT(max_diff(dxs, xa.grad()), 1e-5);
    // Each rank's parameter gradient is its own share; their sum is the whole batch's (the optimizer
    // averages them, as it averages every gradient, matching a loss averaged over the ranks).
    EXPECT_LT(max_diff(synced[0].dw + synced[1].dw, whole->weight.grad()), 1e-4);
    EXPECT_LT(max_diff(synced[0].db + synced[1].db, whole->bias.grad()), 1e-4);
    for (const auto& r : synced) {
        EXPECT_LT(max_diff(r.running_mean, whole->running_mean), 1e-6);
        EXPECT_LT(max_diff(r.running_var, whole->running_var), 1e-5);
    }
    // Per-rank statistics (the default) are another computation: the comparison can fail.
    const auto local = run(false);
    EXPECT_GT(max_diff(torch::cat({local[0].y, local[1].y}), y.detach()), 1e-2);
}

namespace {
// Example i carries i as its label.
class IndexDataset final : public Dataset {
public:
    explicit IndexDataset(size_t n) : n_(n) {}
    size_t size() const override { return n_; }
    Example get(size_t index, uint64_t) const override {
        Example e;
        e.input = torch::zeros({1, 1, 1});
        e.target = torch::zeros({3, 1, 1});
        e.label = static_cast<int64_t>(index);
        return e;
    }
    std::string describe(size_t index) const override { return "example " + std::to_string(index); }

private:
    size_t n_;
};

std::vector<int64_t> labels(const Batch& b) {
    std::vector<int64_t> v;
    for (int64_t i = 0; i < b.label.size(0); ++i) v.push_back(b.label[i].item<int64_t>());
    return v;
}
}  // namespace

TEST(DistributedLoader, RanksShareEachEpochWithoutRepeatsAndAsOneProcessWouldTakeIt) {
    auto dataset = std::make_shared<IndexDataset>(20);
    // 3 ranks of batch 2: global batch 6, 3 per epoch (18 of the 20 examples, as one process of
    // batch 6 would take them), each global batch the slices of one process's batch of 6.
    BatchLoader single(dataset, {6, 4, true, 1, 1});
    std::vector<std::unique_ptr<BatchLoader>> ranks;
    for (int r = 0; r < 3; ++r) {
        LoaderOptions o{2, 4, true, 1, 1};
        o.rank = r;
        o.world_size = 3;
        ranks.push_back(std::make_unique<BatchLoader>(dataset, o));
    }
    for (int64_t epoch = 0; epoch < 2; ++epoch) {
        std::set<int64_t> seen;
        for (int b = 0; b < 3; ++b) {
            const auto whole = labels(single.next());
            std::vector<int64_t> joined;
            for (auto& loader : ranks) {
                for (auto v : labels(loader->next())) {
                    joined.push_back(v);
                    EXPECT_TRUE(seen.insert(v).second) << "example " << v << " twice in epoch " << epoch;
                }
            }
            EXPECT_EQ(joined, whole) << "global batch " << b << " of epoch " << epoch;
        }
        EXPECT_EQ(seen.size(), 18u);
        for (auto& loader : ranks) EXPECT_EQ(loader->position().epoch, epoch + 1);
    }
}

TEST(DistributedLoader, APositionMapsOverToAnotherNumberOfRanks) {
    auto dataset = std::make_shared<IndexDataset>(24);
    // Two ranks of 3 took the first global batch (6 examples) of epoch 0; one process of batch 4
    // resumes there and takes the next 16 without repeating any of them.
    BatchLoader first(dataset, {6, 8, true, 1, 1});
    std::set<int64_t> seen;
    for (auto v : labels(first.next())) seen.insert(v);
    const LoaderPosition stop = first.position();
    EXPECT_EQ(stop.example, 6);
    BatchLoader resumed(dataset, {4, 8, true, 1, 1}, stop);
    for (int b = 0; b < 4; ++b) {
        for (auto v : labels(resumed.next())) EXPECT_TRUE(seen.insert(v).second) << "example " << v << " repeated";
    }
    EXPECT_EQ(seen.size(), 22u);
    EXPECT_EQ(resumed.position().epoch, 1) << "less than a batch left: the next epoch";
    // More ranks than the rest of the epoch holds: the next epoch starts.
    LoaderOptions o{4, 8, true, 1, 1};
    o.world_size = 4;
    BatchLoader wide(dataset, o, {0, 12});
    EXPECT_EQ(wide.position().epoch, 1);
    EXPECT_EQ(wide.position().example, 0);
}

TEST(Distributed, ALostRankIsNamedWithinTheTimeout) {
    const auto start = std::chrono::steady_clock::now();
    std::string message;
    run_ranks(
        2,
        [&](int rank, ProcessGroup& group) {
            group.set_step(6);
            auto t = torch::ones({8});
            std::vector<torch::Tensor> v{t};
            group.allreduce_sum(v);  // both alive
            if (rank == 1) return;    // rank 1 "dies": its group is destroyed, its sockets closed
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
            try {
                group.allreduce_sum(v);
            } catch (const Error& e) {
                message = e.what();
            }
        },
        [](DistributedOptions& o) { o.timeout_seconds = 5; });
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    EXPECT_NE(message.find("rank 1"), std::string::npos) << message;
    EXPECT_NE(message.find("step 7"), std::string::npos) << message;
    EXPECT_LT(seconds, 15.0);
}

// --- whole runs -----------------------------------------------------------------------------------

namespace {

class DistributedTraining : public ::testing::Test {
protected:
    void SetUp() override {
        torch::manual_seed(11);
        for (int i = 0; i < 16; ++i) {
            cv::Mat ab(24, 48, CV_8UC3);
            cv::randu(ab, 0, 255);
            write_image_rgb(data_ / ("ab/" + std::to_string(i) + ".png"), ab);
        }
    }
    static Pix2PixOptions options(const std::string& norm) {
        Pix2PixOptions o;
        o.netG = "resnet_6blocks";
        o.ngf = 8;
        o.ndf = 8;
        o.crop_size = 32;
        o.load_size = 36;
        o.norm = norm;
        o.dropout = false;  // no randomness inside a step: the runs must agree to rounding
        return o;
    }
    // Trains `steps` steps on `world` ranks of `batch` each; returns rank 0's checkpoint. Every rank
    // starts from its own initialisation (seeds 100 + rank): only rank 0's, broadcast, may count.
    fs::path run(const std::string& name, int world, int64_t batch, const Pix2PixOptions& o, bool sync) {
        const fs::path out = runs_ / name;
        const int port = free_port();
        std::vector<std::shared_ptr<GanModel>> models;
        for (int r = 0; r < world; ++r) {
            torch::manual_seed(100 + r);
            models.push_back(std::make_shared<Pix2PixModel>(o));
        }
        std::vector<std::exception_ptr> errors(world);
        std::vector<std::thread> threads;
        for (int r = 0; r < world; ++r) {
            threads.emplace_back([&, r] {
                try {
                    TrainRequest request;
                    request.prebuilt = models[r];
                    request.train.data = data_ / "ab";
                    request.train.out = r == 0 ? out : out / ("rank" + std::to_string(r));
                    request.train.steps = 3;
                    request.train.batch = batch;
                    request.train.seed = 5;
                    request.train.workers = 1;
                    request.train.split.val_ratio = 0.0;
                    request.train.sample_every = 1000;
                    if (world > 1) {
                        auto d = options_for(r, world, port);
                        d.sync_batch_norm = sync;
                        request.group = ProcessGroup::join(d);
                    }
                    train(request);
                } catch (...) {
                    errors[r] = std::current_exception();
                }
            });
        }
        for (auto& t : threads) t.join();
        for (auto& e : errors) {
            if (e) std::rethrow_exception(e);
        }
        EXPECT_FALSE(fs::exists(out / "rank1")) << "only rank 0 writes";
        return out / kCheckpointFile;
    }
    static double generator_distance(const fs::path& a, const fs::path& b) {
        auto ma = load_model(load_checkpoint(a), Placement{});
        auto mb = load_model(load_checkpoint(b), Placement{});
        auto pa = dynamic_cast<Pix2PixModel&>(*ma).generator().named_parameters();
        auto pb = dynamic_cast<Pix2PixModel&>(*mb).generator().named_parameters();
        // Relative: |a - b| / |a| over all of G's parameters (Adam moves each weight by about the
        // learning rate per step whatever the gradient's size, so a maximum says little).
        double num = 0, den = 0;
        for (const auto& p : pa) {
            num += (p.value() - pb[p.key()]).pow(2).sum().item<double>();
            den += p.value().pow(2).sum().item<double>();
        }
        return std::sqrt(num / den);
    }
    TempDir data_, runs_;
};

}  // namespace

TEST_F(DistributedTraining, TwoRanksOfBatch2EqualOneProcessOfBatch4) {
    // No normalisation: with instance norm the biases before it have a gradient of zero up to
    // rounding, which Adam scales up to full steps, so no two runs would agree on them.
    const auto o = options("none");
    const auto one = run("one", 1, 4, o, false);
    const auto two = run("two", 2, 2, o, false);
    const auto half = run("half", 1, 2, o, false);  // half the data per step: a different run
    const double same = generator_distance(one, two), different = generator_distance(one, half);
    EXPECT_LT(same, 2e-6) << "2 x 2 against 1 x 4";
    EXPECT_GT(different, 100 * same + 1e-5) << "the comparison can tell runs apart";
    const auto state = load_checkpoint(two).header.state;
    EXPECT_EQ(state.at("world_size").get<int>(), 2);
    EXPECT_EQ(state.at("global_batch").get<int>(), 4);
    EXPECT_EQ(state.at("examples_in_epoch").get<int>(), 12);
}

TEST_F(DistributedTraining, SynchronisedBatchNormEqualsOneProcessOfTheDoubleBatch) {
    const auto o = options("batch");
    const auto one = run("one", 1, 4, o, false);
    const auto synced = run("synced", 2, 2, o, true);
    const auto per_rank = run("per_rank", 2, 2, o, false);
    const double same = generator_distance(one, synced), different = generator_distance(one, per_rank);
    // Batch norm's float statistics (LibTorch's in one process, double sums here) differ in the last
    // bits, and Adam's first steps scale tiny gradients up to full steps: 5e-5 measured, against
    // 1e-3 for per-rank statistics.
    EXPECT_LT(same, 1.5e-4) << "synchronised batch norm";
    EXPECT_GT(different, 10 * same) << "per-rank statistics differ from the whole batch's";
}

}  // namespace ganvas
