#include "test_util.h"

#include "ganvas/core/checkpoint.h"
#include "ganvas/core/error.h"
#include "ganvas/models/colorizer/colorizer_model.h"
#include "ganvas/train/run_log.h"
#include "ganvas/train/trainer.h"

#include <fstream>

namespace ganvas {
namespace fs = std::filesystem;
using test::TempDir;

namespace {

class TrainerTest : public test::SeededTest {
protected:
    void SetUp() override {
        SeededTest::SetUp();
        test::write_tiny_images(data_.path(), 24);
    }
    TrainRequest request(const fs::path& out, int64_t steps) const {
        TrainRequest r;
        r.model = "colorizer";
        r.model_options = test::tiny_colorizer_options().to_json();
        r.train.data = data_.path();
        r.train.out = out;
        r.train.steps = steps;
        r.train.batch = 4;
        r.train.seed = 9;
        r.train.log_every = 1;
        r.train.sample_every = 4;
        r.train.checkpoint_every = 4;
        r.train.split.val_ratio = 0.2;
        return r;
    }
    static std::vector<LossRow> rows(const fs::path& out) { return LossLog::read(out / "losses.csv").second; }
    TempDir data_, runs_;
};

// Wraps a colorizer and reports a NaN loss from step `nan_at` on.
class NanAfter final : public GanModel {
public:
    NanAfter(int nan_at) : inner_(test::tiny_colorizer_options()), nan_at_(nan_at) {}
    std::string name() const override { return inner_.name(); }
    nlohmann::json options_json() const override { return inner_.options_json(); }
    std::shared_ptr<Dataset> make_dataset(std::vector<fs::path> f, bool t) const override {
        return inner_.make_dataset(std::move(f), t);
    }
    void place(const Placement& p) override { inner_.place(p); }
    const Placement& placement() const override { return inner_.placement(); }
    NamedValues train_step(const Batch& b) override {
        auto losses = inner_.train_step(b);
        if (++steps_ >= nan_at_) losses[0].second = std::nan("");
        return losses;
    }
    std::vector<Visual> visuals(const Batch& b) override { return inner_.visuals(b); }
    void save(torch::serialize::OutputArchive& a) const override { inner_.save(a); }
    void load(torch::serialize::InputArchive& a) override { inner_.load(a); }
    int64_t parameter_count() const override { return inner_.parameter_count(); }

protected:
    InferenceResult run_inference(const InferenceRequest& r) override { return inner_.infer(r); }

private:
    ColorizerModel inner_;
    int nan_at_;
    int steps_ = 0;
};

}  // namespace

TEST_F(TrainerTest, WritesARunDirectory) {
    const auto out = runs_ / "run";
    const auto result = train(request(out, 6));
    EXPECT_EQ(result.status, TrainResult::Status::Finished);
    EXPECT_EQ(result.step, 6);
    for (const char* f : {"config.json", "checkpoint.pt", "losses.csv", "samples/latest.png", "samples/step_000004.png",
                          "index.html"}) {
        EXPECT_TRUE(fs::exists(out / f)) << f;
    }
    EXPECT_EQ(rows(out).size(), 6u);
    std::ifstream page_file(out / "index.html");
    const std::string page((std::istreambuf_iterator<char>(page_file)), std::istreambuf_iterator<char>());
    EXPECT_NE(page.find("step 6 of 6"), std::string::npos);
    EXPECT_NE(page.find("<svg"), std::string::npos) << "loss curves";
    EXPECT_NE(page.find("samples/step_000006.png"), std::string::npos);
    const auto loaded = load_checkpoint(out, "colorizer");
    EXPECT_EQ(loaded.header.state["step"], 6);
}

TEST_F(TrainerTest, ResumeReproducesAnUninterruptedRun) {
    const auto straight = runs_ / "straight", split = runs_ / "split";
    train(request(straight, 10));
    train(request(split, 5));  // stops at step 5 with a checkpoint, as an interrupted run would
    auto resume = request(split, 0);
    resume.resume = true;
    resume.resume_steps = 10;
    const auto result = train(resume);
    EXPECT_EQ(result.step, 10);
    const auto a = rows(straight), b = rows(split);
    ASSERT_EQ(a.size(), 10u);
    ASSERT_EQ(b.size(), 10u);
    for (size_t i = 0; i < a.size(); ++i) {
        EXPECT_EQ(a[i].step, b[i].step);
        for (size_t k = 0; k < a[i].values.size(); ++k) {
            EXPECT_NEAR(a[i].values[k], b[i].values[k], 1e-6 * (1 + std::abs(a[i].values[k])))
                << "step " << a[i].step << " loss " << k;
        }
    }
}

TEST_F(TrainerTest, ResumeDropsLogRowsWrittenAfterTheCheckpoint) {
    const auto out = runs_ / "run";
    train(request(out, 4));
    {
        std::ofstream log(out / "losses.csv", std::ios::app);
        log << "5,0,1.0,1.0,1,1,1,1,1,1\n6,0,1.0";  // a row past the checkpoint and a torn line
    }
    auto resume = request(out, 0);
    resume.resume = true;
    resume.resume_steps = 6;
    train(resume);
    const auto r = rows(out);
    ASSERT_EQ(r.size(), 6u);
    for (size_t i = 0; i < r.size(); ++i) EXPECT_EQ(r[i].step, static_cast<int64_t>(i + 1));
    EXPECT_NE(r[4].values[0], 1.0);
}

TEST_F(TrainerTest, NonFiniteLossStopsAndKeepsTheLastGoodCheckpoint) {
    const auto out = runs_ / "run";
    auto r = request(out, 20);
    r.prebuilt = std::make_shared<NanAfter>(7);
    try {
        train(r);
        FAIL() << "training went on through a NaN loss";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("step 7"), std::string::npos) << e.what();
    }
    EXPECT_EQ(load_checkpoint(out).header.state["step"], 4);
}

TEST_F(TrainerTest, RefusesToOverwriteARunOrResumeNothing) {
    const auto out = runs_ / "run";
    train(request(out, 2));
    EXPECT_THROW(train(request(out, 2)), UsageError);
    auto resume = request(runs_ / "empty", 0);
    resume.resume = true;
    EXPECT_THROW(train(resume), UsageError);
    auto bad = request(runs_ / "bad", 0);
    EXPECT_THROW(train(bad), UsageError);  // neither steps nor epochs
}

TEST_F(TrainerTest, EpochsCountWholePassesAndTimeBudgetStops) {
    auto r = request(runs_ / "epochs", 0);
    r.train.epochs = 2;
    r.train.split.val_ratio = 0.0;
    EXPECT_EQ(train(r).step, 2 * (24 / 4));
    auto budget = request(runs_ / "budget", 1000);
    budget.train.time_budget = 1e-9;
    const auto result = train(budget);
    EXPECT_EQ(result.status, TrainResult::Status::OutOfTime);
    EXPECT_EQ(result.step, 1);
    EXPECT_EQ(load_checkpoint(runs_ / "budget").header.state["step"], 1);
}

TEST_F(TrainerTest, MissingOrEmptyDataIsAnErrorNamingTheFolder) {
    auto r = request(runs_ / "run", 2);
    r.train.data = data_ / "nope";
    try {
        train(r);
        FAIL();
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("nope"), std::string::npos) << e.what();
    }
}

}  // namespace ganvas
