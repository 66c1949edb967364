// The server's work: a bounded queue in front of a fixed pool of worker threads. Every model call
// is a job, whether the client waits for it (POST /api/models/{name}/run) or polls it
// (POST /api/jobs): the same limits, the same order, one place that knows what is queued.
#pragma once
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace ganvas::serve {

enum class JobState { Queued, Running, Done, Failed, Cancelled };
const char* to_string(JobState state);

// What a finished job answers: the HTTP status, body and content type a client gets for it.
struct JobOutcome {
    int status = 200;
    std::string content_type = "application/json";
    std::string body;
};

class Job {
public:
    using Clock = std::chrono::steady_clock;
    Job(std::string id, std::string label);

    const std::string& id() const { return id_; }
    const std::string& label() const { return label_; }
    JobState state() const;
    bool finished() const;
    // Set by cancel(); work checks it between its stages and gives up.
    bool cancel_requested() const { return cancel_.load(); }

    // From the work: what it is doing and how far along (0..1).
    void set_stage(const std::string& stage, double progress);

    // Blocks until the job finishes or `timeout` passes; true when it finished.
    bool wait_finished(std::chrono::milliseconds timeout) const;
    // Blocks until the job changes after `version` (or `timeout` passes); returns the new version.
    int64_t wait_change(int64_t version, std::chrono::milliseconds timeout) const;
    int64_t version() const;

    JobOutcome outcome() const;  // meaningful once finished
    // id, label, state, stage, progress, seconds queued and running, the error message if failed.
    nlohmann::json status() const;
    double queued_seconds() const;  // from submission to start (or now)

private:
    friend class JobQueue;
    void update(const std::function<void()>& change);

    const std::string id_, label_;
    std::atomic<bool> cancel_{false};
    mutable std::mutex mutex_;
    mutable std::condition_variable changed_;
    JobState state_ = JobState::Queued;
    std::string stage_ = "queued";
    double progress_ = 0.0;
    int64_t version_ = 0;
    JobOutcome outcome_;
    Clock::time_point submitted_, started_, ended_;
};

class JobQueue {
public:
    using Work = std::function<JobOutcome(Job&)>;

    // `workers` threads (each first calls on_start, e.g. to set its thread count); at most
    // `capacity` jobs wait; the last `keep` finished jobs stay findable.
    JobQueue(int workers, int capacity, int keep = 256, std::function<void()> on_start = {});
    ~JobQueue();  // shutdown()
    JobQueue(const JobQueue&) = delete;
    JobQueue& operator=(const JobQueue&) = delete;

    // Queues `work`; nullptr when `capacity` jobs already wait beyond the idle workers, or after
    // shutdown. The job ends Failed when its outcome's status is 400 or more; an exception from
    // the work fails it with status 500 (the work maps the errors it knows to 4xx outcomes).
    std::shared_ptr<Job> submit(const std::string& label, Work work);
    std::shared_ptr<Job> find(const std::string& id) const;
    // A queued job leaves the queue at once (Cancelled); a running one is asked to stop and ends
    // Cancelled when its work returns. False when the id is unknown or the job already finished.
    bool cancel(const std::string& id);
    // 1 for the next job to start, 2 for the one after...; 0 once it runs or finished.
    int position(const std::string& id) const;

    int waiting() const;
    int running() const;
    int capacity() const { return capacity_; }
    int workers() const { return static_cast<int>(threads_.size()); }

    // Takes no more jobs; the queued and running ones finish; the workers are joined.
    void shutdown();

private:
    void worker_loop();
    void remember_finished(const std::shared_ptr<Job>& job);

    const int capacity_, keep_;
    std::function<void()> on_start_;
    mutable std::mutex mutex_;
    std::condition_variable available_;
    std::deque<std::pair<std::shared_ptr<Job>, Work>> queue_;
    std::map<std::string, std::shared_ptr<Job>> jobs_;
    std::deque<std::string> finished_order_;
    int running_ = 0;
    bool stopping_ = false;
    std::vector<std::thread> threads_;
};

// A fresh random job id (32 hex digits).
std::string new_job_id();

}  // namespace ganvas::serve
