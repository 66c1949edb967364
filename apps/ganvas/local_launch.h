// `ganvas train --nproc N`: a data-parallel group on this host without an outside launcher. Starts
// N copies of this program with the variables torchrun would set (WORLD_SIZE, RANK, LOCAL_RANK,
// MASTER_ADDR=127.0.0.1, MASTER_PORT: a free port) and waits for them.
#pragma once
#include <string>
#include <vector>

namespace ganvas::cli {

// The program's own command line, recorded by main() before parsing.
std::vector<std::string>& program_arguments();

// Runs `arguments` (the command line without --nproc and --threads) as ranks 0..nproc-1, each with
// `threads_per_rank` intra-op threads. When one rank fails, the others get SIGTERM and then,
// after `grace_seconds`, SIGKILL. A SIGTERM to this process is passed on to the ranks; SIGINT from
// a terminal reaches them directly. Returns the exit status to report: 0 when every rank
// succeeded, otherwise the first failing rank's (128 + signal for a rank killed by one).
int launch_local(const std::vector<std::string>& arguments, int nproc, int threads_per_rank, double grace_seconds);

// `arguments` without the flags (and their values) in `drop` (each as "--flag V" or "--flag=V").
std::vector<std::string> without_flags(const std::vector<std::string>& arguments, const std::vector<std::string>& drop);

}  // namespace ganvas::cli
