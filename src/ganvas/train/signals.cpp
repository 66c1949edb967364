#include "ganvas/train/signals.h"

#include <unistd.h>

#include <atomic>
#include <csignal>

namespace ganvas {
namespace {
std::atomic<int> g_signal{0};
struct sigaction g_old_int, g_old_term;

void on_signal(int sig) {
    if (g_signal.exchange(sig) != 0) {
        // Second request: leave now. 128 + signal, as shells report it.
        ::_exit(128 + sig);
    }
    const char msg[] = "\nganvas: stopping after this step (checkpointing); press again to abort\n";
    [[maybe_unused]] auto n = ::write(STDERR_FILENO, msg, sizeof(msg) - 1);
}
}  // namespace

ScopedStopHandler::ScopedStopHandler() {
    g_signal = 0;
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &g_old_int);
    sigaction(SIGTERM, &sa, &g_old_term);
}

ScopedStopHandler::~ScopedStopHandler() {
    sigaction(SIGINT, &g_old_int, nullptr);
    sigaction(SIGTERM, &g_old_term, nullptr);
}

bool ScopedStopHandler::stop_requested() { return g_signal.load() != 0; }
int ScopedStopHandler::signal_number() { return g_signal.load(); }
void ScopedStopHandler::request_stop() { g_signal = SIGTERM; }

}  // namespace ganvas
