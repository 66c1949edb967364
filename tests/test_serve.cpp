// The server's parts that need no socket: PNG provenance text, the job queue (order, capacity,
// cancellation, failures) and the option checks. The routes are tested against the real binary
// in cli_serve.sh.
#include "test_util.h"
#include "ganvas/core/error.h"
#include "ganvas/core/image.h"
#include "ganvas/core/image_header.h"
#include "ganvas/serve/job_queue.h"
#include "ganvas/serve/png_text.h"
#include "ganvas/serve/server.h"

#include <atomic>
#include <cmath>
#include <future>
#include <thread>

namespace ganvas {
namespace {
using namespace std::chrono_literals;
using serve::Job;
using serve::JobOutcome;
using serve::JobQueue;
using serve::JobState;

TEST(PngText, TextGoesInAndComesBackAndTheImageStillDecodes) {
    cv::Mat rgb(5, 7, CV_8UC3, cv::Scalar(10, 200, 30));
    const std::string png = encode_png(rgb, {{"Software", "ganvas"}, {"ganvas", R"({"seed":7})"}});
    const auto text = read_png_text(png);
    EXPECT_EQ(text.at("Software"), "ganvas");
    EXPECT_EQ(text.at("ganvas"), R"({"seed":7})");
    EXPECT_EQ(png, encode_png(rgb, {{"Software", "ganvas"}, {"ganvas", R"({"seed":7})"}})) << "not deterministic";
    const cv::Mat back = decode_image_rgb(std::vector<uchar>(png.begin(), png.end()), "png", image_limits());
    ASSERT_EQ(back.size(), rgb.size());
    EXPECT_EQ(cv::norm(back, rgb, cv::NORM_INF), 0);
    // A flipped byte inside a chunk fails its CRC; bytes that are not a PNG are refused.
    std::string bad = png;
    bad[bad.size() / 2] ^= 0x40;
    EXPECT_THROW(read_png_text(bad), Error);
    EXPECT_THROW(read_png_text("GIF89a"), Error);
    EXPECT_THROW(png_with_text("GIF89a", {}), Error);
    EXPECT_THROW(png_with_text(png, {{"", "x"}}), std::invalid_argument);
    EXPECT_THROW(png_with_text(png, {{"k", std::string("a\0b", 3)}}), std::invalid_argument);
}

JobOutcome ok(const std::string& body) { return {200, "text/plain", body}; }

TEST(JobQueue, RunsInOrderAndRefusesBeyondItsCapacity) {
    std::promise<void> release;
    std::shared_future<void> gate = release.get_future().share();
    JobQueue queue(1, 2);
    auto first = queue.submit("first", [gate](Job& job) {
        job.set_stage("holding", 0.5);
        gate.wait();
        return ok("1");
    });
    ASSERT_NE(first, nullptr);
    // Wait until the worker holds the first job; then two may wait, the third is refused.
    for (int i = 0; i < 500 && first->state() != JobState::Running; ++i) std::this_thread::sleep_for(2ms);
    ASSERT_EQ(first->state(), JobState::Running);
    std::vector<std::string> order;
    std::mutex order_mutex;
    auto record = [&](const std::string& name) {
        return [&, name](Job&) {
            std::lock_guard<std::mutex> lock(order_mutex);
            order.push_back(name);
            return ok(name);
        };
    };
    auto second = queue.submit("second", record("2"));
    auto third = queue.submit("third", record("3"));
    ASSERT_NE(second, nullptr);
    ASSERT_NE(third, nullptr);
    EXPECT_EQ(queue.submit("fourth", record("4")), nullptr) << "a full queue took another job";
    EXPECT_EQ(queue.waiting(), 2);
    EXPECT_EQ(queue.running(), 1);
    EXPECT_EQ(queue.position(second->id()), 1);
    EXPECT_EQ(queue.position(third->id()), 2);
    EXPECT_EQ(queue.position(first->id()), 0);
    EXPECT_EQ(first->status()["stage"], "holding");
    release.set_value();
    ASSERT_TRUE(third->wait_finished(10s));
    EXPECT_EQ(order, (std::vector<std::string>{"2", "3"}));
    EXPECT_EQ(first->outcome().body, "1");
    EXPECT_EQ(third->state(), JobState::Done);
    EXPECT_EQ(queue.find(second->id()), second);
}

TEST(JobQueue, CancelsQueuedAndRunningJobsAndReportsFailures) {
    std::promise<void> release;
    std::shared_future<void> gate = release.get_future().share();
    JobQueue queue(1, 4);
    std::atomic<bool> saw_cancel{false};
    auto running = queue.submit("running", [&, gate](Job& job) {
        gate.wait();
        saw_cancel = job.cancel_requested();
        return ok("late");
    });
    for (int i = 0; i < 500 && running->state() != JobState::Running; ++i) std::this_thread::sleep_for(2ms);
    std::atomic<bool> ran{false};
    auto queued = queue.submit("queued", [&](Job&) {
        ran = true;
        return ok("never");
    });
    EXPECT_TRUE(queue.cancel(queued->id()));
    EXPECT_EQ(queued->state(), JobState::Cancelled);
    EXPECT_EQ(queued->outcome().status, 409);
    EXPECT_TRUE(queue.cancel(running->id()));
    release.set_value();
    ASSERT_TRUE(running->wait_finished(10s));
    EXPECT_TRUE(saw_cancel);
    EXPECT_EQ(running->state(), JobState::Cancelled);
    EXPECT_FALSE(queue.cancel(running->id())) << "cancelled twice";
    EXPECT_FALSE(queue.cancel("no-such-job"));
    // A work that throws fails its job with 500; one that answers 4xx fails with its status.
    auto throws = queue.submit("throws", [](Job&) -> JobOutcome { throw std::runtime_error("boom"); });
    auto refuses = queue.submit("refuses", [](Job&) { return JobOutcome{400, "application/json", R"({"error":"bad"})"}; });
    ASSERT_TRUE(refuses->wait_finished(10s));
    ASSERT_TRUE(throws->wait_finished(10s));
    EXPECT_EQ(throws->state(), JobState::Failed);
    EXPECT_EQ(throws->outcome().status, 500);
    EXPECT_NE(throws->outcome().body.find("boom"), std::string::npos);
    EXPECT_EQ(refuses->state(), JobState::Failed);
    EXPECT_EQ(refuses->status()["error"], "bad");
    EXPECT_FALSE(ran);
    queue.shutdown();
    EXPECT_EQ(queue.submit("after", [](Job&) { return ok(""); }), nullptr);
}

TEST(JobQueue, ShutdownFinishesWhatWasQueued) {
    std::atomic<int> done{0};
    std::vector<std::shared_ptr<Job>> jobs;
    {
        JobQueue queue(2, 8);
        for (int i = 0; i < 6; ++i) {
            jobs.push_back(queue.submit("j", [&](Job&) {
                std::this_thread::sleep_for(5ms);
                ++done;
                return ok("");
            }));
            ASSERT_NE(jobs.back(), nullptr);
        }
    }  // the destructor drains
    EXPECT_EQ(done, 6);
    for (const auto& job : jobs) EXPECT_EQ(job->state(), JobState::Done);
}

TEST(ServeOptions, RefusesWhatDoesNotMakeSense) {
    serve::ServeOptions o;
    EXPECT_NO_THROW(serve::check_serve_options(o));
    auto refused = [](auto change, const std::string& flag) {
        serve::ServeOptions bad;
        change(bad);
        try {
            serve::check_serve_options(bad);
            ADD_FAILURE() << flag << " accepted";
        } catch (const UsageError& e) {
            EXPECT_NE(std::string(e.what()).find(flag), std::string::npos) << e.what();
        }
    };
    refused([](auto& b) { b.host = "0.0.0.0"; }, "--token");
    refused([](auto& b) { b.port = 70000; }, "--port");
    refused([](auto& b) { b.workers = 0; }, "--workers");
    refused([](auto& b) { b.timeout_s = std::nan(""); }, "--timeout");
    refused([](auto& b) { b.max_upload_mb = -1; }, "--max-upload-mb");
    refused([](auto& b) { b.token = "short"; }, "--token");
    refused([](auto& b) { b.cors_origins = {"evil"}; }, "--cors-origin");
    serve::ServeOptions open;
    open.host = "0.0.0.0";
    open.insecure_no_token = true;
    EXPECT_NO_THROW(serve::check_serve_options(open));
    open.insecure_no_token = false;
    open.token = "a-long-token";
    EXPECT_NO_THROW(serve::check_serve_options(open));
    EXPECT_TRUE(serve::is_loopback_host("127.0.0.1"));
    EXPECT_FALSE(serve::is_loopback_host("192.168.1.2"));
}

}  // namespace
}  // namespace ganvas
