// Ctrl-C and SIGTERM during training: the first asks the trainer to checkpoint and stop after the
// current step; a second one ends the process at once (the last checkpoint stays intact, since
// checkpoints are written atomically).
#pragma once

namespace ganvas {

class ScopedStopHandler {
public:
    ScopedStopHandler();   // installs handlers for SIGINT and SIGTERM
    ~ScopedStopHandler();  // restores the previous ones
    ScopedStopHandler(const ScopedStopHandler&) = delete;
    ScopedStopHandler& operator=(const ScopedStopHandler&) = delete;

    static bool stop_requested();
    static int signal_number();  // the signal that asked, 0 if none
    static void request_stop();  // as if a signal came (tests)
};

}  // namespace ganvas
