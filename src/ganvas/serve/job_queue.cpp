#include "ganvas/serve/job_queue.h"

#include "ganvas/core/error.h"

#include <fmt/format.h>

#include <random>

namespace ganvas::serve {

const char* to_string(JobState state) {
    switch (state) {
        case JobState::Queued: return "queued";
        case JobState::Running: return "running";
        case JobState::Done: return "done";
        case JobState::Failed: return "failed";
        case JobState::Cancelled: return "cancelled";
    }
    return "unknown";
}

std::string new_job_id() {
    static std::mutex mutex;
    static std::mt19937_64 rng(std::random_device{}());
    std::lock_guard<std::mutex> lock(mutex);
    return fmt::format("{:016x}{:016x}", rng(), rng());
}

Job::Job(std::string id, std::string label) : id_(std::move(id)), label_(std::move(label)), submitted_(Clock::now()) {}

JobState Job::state() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return state_;
}

bool Job::finished() const {
    const JobState s = state();
    return s == JobState::Done || s == JobState::Failed || s == JobState::Cancelled;
}

void Job::update(const std::function<void()>& change) {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        change();
        ++version_;
    }
    changed_.notify_all();
}

void Job::set_stage(const std::string& stage, double progress) {
    update([&] {
        stage_ = stage;
        progress_ = progress;
    });
}

bool Job::wait_finished(std::chrono::milliseconds timeout) const {
    std::unique_lock<std::mutex> lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] {
        return state_ == JobState::Done || state_ == JobState::Failed || state_ == JobState::Cancelled;
    });
}

int64_t Job::wait_change(int64_t version, std::chrono::milliseconds timeout) const {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait_for(lock, timeout, [&] { return version_ != version; });
    return version_;
}

int64_t Job::version() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return version_;
}

JobOutcome Job::outcome() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return outcome_;
}

double Job::queued_seconds() const {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto until = state_ == JobState::Queued ? Clock::now() : started_;
    return std::chrono::duration<double>(until - submitted_).count();
}

nlohmann::json Job::status() const {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto now = Clock::now();
    const auto seconds = [](Clock::duration d) { return std::chrono::duration<double>(d).count(); };
    nlohmann::json j = {{"id", id_}, {"label", label_}, {"state", to_string(state_)}, {"stage", stage_},
                        {"progress", progress_}};
    if (state_ == JobState::Queued) {
        j["queued_seconds"] = seconds(now - submitted_);
    } else if (started_ != Clock::time_point{}) {
        j["queued_seconds"] = seconds(started_ - submitted_);
        j["running_seconds"] = seconds((state_ == JobState::Running ? now : ended_) - started_);
    }
    if (state_ == JobState::Failed) {
        j["status"] = outcome_.status;
        const auto body = nlohmann::json::parse(outcome_.body, nullptr, false);
        if (body.is_object() && body.contains("error")) j["error"] = body["error"];
    }
    return j;
}

JobQueue::JobQueue(int workers, int capacity, int keep, std::function<void()> on_start)
    : capacity_(capacity), keep_(keep), on_start_(std::move(on_start)) {
    if (workers < 1 || capacity < 0) throw std::invalid_argument("JobQueue: workers >= 1, capacity >= 0");
    for (int i = 0; i < workers; ++i) {
        try {
            threads_.emplace_back([this] { worker_loop(); });
        } catch (const std::system_error& e) {
            if (threads_.empty()) throw Error(std::string("could not start a worker thread: ") + e.what());
            break;  // serve with the ones that started
        }
    }
}

JobQueue::~JobQueue() { shutdown(); }

std::shared_ptr<Job> JobQueue::submit(const std::string& label, Work work) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_ || static_cast<int>(queue_.size()) >= capacity_ + (workers() - running_)) return nullptr;
    auto job = std::make_shared<Job>(new_job_id(), label);
    jobs_[job->id()] = job;
    queue_.emplace_back(job, std::move(work));
    available_.notify_one();
    return job;
}

std::shared_ptr<Job> JobQueue::find(const std::string& id) const {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto it = jobs_.find(id);
    return it == jobs_.end() ? nullptr : it->second;
}

bool JobQueue::cancel(const std::string& id) {
    std::shared_ptr<Job> job;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        const auto it = jobs_.find(id);
        if (it == jobs_.end()) return false;
        job = it->second;
        for (auto q = queue_.begin(); q != queue_.end(); ++q) {
            if (q->first == job) {
                queue_.erase(q);
                job->cancel_ = true;
                job->update([&] {
                    job->state_ = JobState::Cancelled;
                    job->stage_ = "cancelled";
                    job->ended_ = Job::Clock::now();
                    job->outcome_ = {409, "application/json",
                                     nlohmann::json{{"error", "job " + id + " was cancelled"}}.dump()};
                });
                remember_finished(job);
                return true;
            }
        }
    }
    if (job->finished()) return false;
    job->cancel_ = true;
    return true;
}

int JobQueue::position(const std::string& id) const {
    std::lock_guard<std::mutex> lock(mutex_);
    int k = 1;
    for (const auto& [job, work] : queue_) {
        if (job->id() == id) return k;
        ++k;
    }
    return 0;
}

int JobQueue::waiting() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return static_cast<int>(queue_.size());
}

int JobQueue::running() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return running_;
}

void JobQueue::shutdown() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (stopping_ && threads_.empty()) return;
        stopping_ = true;
    }
    available_.notify_all();
    for (auto& t : threads_) {
        if (t.joinable()) t.join();
    }
    threads_.clear();
}

void JobQueue::remember_finished(const std::shared_ptr<Job>& job) {
    // Called with mutex_ held.
    finished_order_.push_back(job->id());
    while (static_cast<int>(finished_order_.size()) > keep_) {
        jobs_.erase(finished_order_.front());
        finished_order_.pop_front();
    }
}

void JobQueue::worker_loop() {
    if (on_start_) on_start_();
    for (;;) {
        std::shared_ptr<Job> job;
        Work work;
        {
            std::unique_lock<std::mutex> lock(mutex_);
            available_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
            if (queue_.empty()) return;  // stopping, and nothing left to do
            job = std::move(queue_.front().first);
            work = std::move(queue_.front().second);
            queue_.pop_front();
            ++running_;
        }
        job->update([&] {
            job->state_ = JobState::Running;
            job->stage_ = "running";
            job->started_ = Job::Clock::now();
        });
        JobOutcome outcome;
        bool failed = false;
        try {
            outcome = work(*job);
            failed = outcome.status >= 400;
        } catch (const std::exception& e) {
            failed = true;
            outcome = {500, "application/json", nlohmann::json{{"error", std::string("internal error: ") + e.what()}}.dump(
                                                   -1, ' ', false, nlohmann::json::error_handler_t::replace)};
        }
        const bool cancelled = job->cancel_requested();
        if (cancelled) {
            outcome = {409, "application/json", nlohmann::json{{"error", "job " + job->id() + " was cancelled"}}.dump()};
        }
        job->update([&] {
            job->state_ = cancelled ? JobState::Cancelled : failed ? JobState::Failed : JobState::Done;
            job->stage_ = to_string(job->state_);
            job->progress_ = cancelled ? job->progress_ : 1.0;
            job->ended_ = Job::Clock::now();
            job->outcome_ = std::move(outcome);
        });
        std::lock_guard<std::mutex> lock(mutex_);
        --running_;
        remember_finished(job);
    }
}

}  // namespace ganvas::serve
