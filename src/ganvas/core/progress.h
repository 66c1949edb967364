// Progress of long work on stderr: a redrawn line with a bar, rate and ETA on a terminal; plain
// periodic lines when stderr is a file or pipe (CI logs, `2> log`).
#pragma once
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace ganvas {

class Progress {
public:
    // `total` <= 0 means unknown. `start` is where counting resumes (a resumed training run).
    Progress(std::string label, int64_t total, int64_t start = 0, std::FILE* out = stderr);
    ~Progress();

    // Redraws at most ~8 times a second on a terminal, every `plain_interval` seconds otherwise.
    void update(int64_t done, const std::string& extra = "");
    void finish(const std::string& extra = "");

    double elapsed_seconds() const;
    // Items per second since construction (excluding `start`).
    double rate() const;

    void set_plain_interval(double seconds) { plain_interval_ = seconds; }
    static bool enabled_on(std::FILE* out);  // false when GANVAS_PROGRESS=0
    static std::string format_duration(double seconds);

private:
    void draw(bool final);

    std::string label_;
    int64_t total_;
    int64_t start_;
    int64_t done_;
    std::string extra_;
    std::FILE* out_;
    bool tty_;
    bool enabled_;
    bool finished_ = false;
    double plain_interval_ = 10.0;
    std::chrono::steady_clock::time_point t0_;
    std::chrono::steady_clock::time_point last_draw_;
};

}  // namespace ganvas
