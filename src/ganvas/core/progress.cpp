#include "ganvas/core/progress.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>

namespace ganvas {

bool Progress::enabled_on(std::FILE* out) {
    const char* env = std::getenv("GANVAS_PROGRESS");
    return out != nullptr && !(env && std::string(env) == "0");
}

std::string Progress::format_duration(double seconds) {
    if (!std::isfinite(seconds) || seconds < 0) return "--:--";
    const auto s = static_cast<int64_t>(seconds + 0.5);
    if (s >= 3600) return fmt::format("{}:{:02d}:{:02d}", s / 3600, (s / 60) % 60, s % 60);
    return fmt::format("{:02d}:{:02d}", s / 60, s % 60);
}

Progress::Progress(std::string label, int64_t total, int64_t start, std::FILE* out)
    : label_(std::move(label)), total_(total), start_(start), done_(start), out_(out),
      tty_(out && ::isatty(::fileno(out))), enabled_(enabled_on(out)),
      t0_(std::chrono::steady_clock::now()), last_draw_(t0_) {}

Progress::~Progress() {
    if (!finished_ && tty_ && enabled_) std::fputc('\n', out_);
}

double Progress::elapsed_seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
}

double Progress::rate() const {
    const double t = elapsed_seconds();
    return t > 0 ? static_cast<double>(done_ - start_) / t : 0.0;
}

void Progress::update(int64_t done, const std::string& extra) {
    done_ = done;
    extra_ = extra;
    const auto now = std::chrono::steady_clock::now();
    const double since = std::chrono::duration<double>(now - last_draw_).count();
    if (since >= (tty_ ? 0.125 : plain_interval_)) {
        last_draw_ = now;
        draw(false);
    }
}

void Progress::finish(const std::string& extra) {
    if (!extra.empty()) extra_ = extra;
    draw(true);
    finished_ = true;
}

void Progress::draw(bool final) {
    if (!enabled_) return;
    const double r = rate();
    std::string line = label_;
    if (total_ > 0) {
        const double frac = std::min(1.0, static_cast<double>(done_) / static_cast<double>(total_));
        if (tty_) {
            constexpr int width = 24;
            const int filled = static_cast<int>(frac * width);
            line += " [" + std::string(filled, '#') + std::string(width - filled, '.') + "]";
        }
        line += fmt::format(" {}/{} {:3.0f}%", done_, total_, 100.0 * frac);
        const double eta = r > 0 ? static_cast<double>(total_ - done_) / r : NAN;
        line += fmt::format(" {:.2f}/s {} {}", r, final ? "took" : "ETA",
                            format_duration(final ? elapsed_seconds() : eta));
    } else {
        line += fmt::format(" {} {:.2f}/s", done_, r);
    }
    if (!extra_.empty()) line += "  " + extra_;
    if (tty_) {
        std::fprintf(out_, "\r\033[K%s%s", line.c_str(), final ? "\n" : "");
    } else {
        std::fprintf(out_, "%s\n", line.c_str());
    }
    std::fflush(out_);
}

}  // namespace ganvas
