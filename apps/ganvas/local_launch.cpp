#include "local_launch.h"

#include "ganvas/core/error.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <thread>

extern char** environ;

namespace ganvas::cli {
namespace {

std::atomic<int> g_forward{0};

void on_term(int sig) { g_forward = sig; }

// A TCP port on the loopback interface that is free now (the kernel's choice).
int free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) throw Error(std::string("--nproc: no socket for the rendezvous port: ") + std::strerror(errno));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof(addr);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
        ::close(fd);
        throw Error(std::string("--nproc: no free loopback port: ") + std::strerror(errno));
    }
    const int port = ntohs(addr.sin_port);
    ::close(fd);
    return port;
}

int status_code(int status) {
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return 1;
}

}  // namespace

std::vector<std::string>& program_arguments() {
    static std::vector<std::string> args;
    return args;
}

std::vector<std::string> without_flags(const std::vector<std::string>& arguments, const std::vector<std::string>& drop) {
    std::vector<std::string> out;
    for (size_t i = 0; i < arguments.size(); ++i) {
        bool dropped = false;
        for (const auto& flag : drop) {
            if (arguments[i] == flag) {
                ++i;  // and its value
                dropped = true;
                break;
            }
            if (arguments[i].rfind(flag + "=", 0) == 0) {
                dropped = true;
                break;
            }
        }
        if (!dropped) out.push_back(arguments[i]);
    }
    return out;
}

int launch_local(const std::vector<std::string>& arguments, int nproc, int threads_per_rank, double grace_seconds) {
    const int port = free_port();
    spdlog::info("starting {} ranks on this host ({} thread(s) each, rendezvous 127.0.0.1:{})", nproc,
                 threads_per_rank, port);
    struct sigaction sa {}, old_term {}, old_int {};
    sa.sa_handler = on_term;
    sigemptyset(&sa.sa_mask);
    g_forward = 0;
    sigaction(SIGTERM, &sa, &old_term);
    // Ctrl-C reaches the ranks from the terminal; this process only waits for them to checkpoint.
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    sigemptyset(&ignore.sa_mask);
    sigaction(SIGINT, &ignore, &old_int);

    std::vector<pid_t> pids;
    for (int rank = 0; rank < nproc; ++rank) {
        std::vector<std::string> args = arguments;
        args.push_back("--threads");
        args.push_back(std::to_string(threads_per_rank));
        std::vector<std::string> env_strings;
        for (char** e = environ; *e != nullptr; ++e) {
            const std::string kv = *e;
            const auto name = kv.substr(0, kv.find('='));
            if (name == "WORLD_SIZE" || name == "RANK" || name == "LOCAL_RANK" || name == "MASTER_ADDR" ||
                name == "MASTER_PORT" || name == "LOCAL_WORLD_SIZE") {
                continue;
            }
            env_strings.push_back(kv);
        }
        env_strings.push_back(fmt::format("WORLD_SIZE={}", nproc));
        env_strings.push_back(fmt::format("LOCAL_WORLD_SIZE={}", nproc));
        env_strings.push_back(fmt::format("RANK={}", rank));
        env_strings.push_back(fmt::format("LOCAL_RANK={}", rank));
        env_strings.push_back("MASTER_ADDR=127.0.0.1");
        env_strings.push_back(fmt::format("MASTER_PORT={}", port));
        std::vector<char*> argv, envp;
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        for (auto& e : env_strings) envp.push_back(e.data());
        envp.push_back(nullptr);
        const pid_t pid = ::fork();
        if (pid < 0) {
            for (pid_t p : pids) ::kill(p, SIGKILL);
            throw Error(std::string("--nproc: could not start rank ") + std::to_string(rank) + ": " + std::strerror(errno));
        }
        if (pid == 0) {
            ::execve("/proc/self/exe", argv.data(), envp.data());
            ::_exit(127);
        }
        pids.push_back(pid);
    }

    int result = 0;
    int alive = nproc;
    bool stopping = false;
    auto stop_deadline = std::chrono::steady_clock::time_point::max();
    std::vector<bool> done(nproc, false);
    while (alive > 0) {
        if (const int sig = g_forward.exchange(0); sig != 0) {
            for (int r = 0; r < nproc; ++r) {
                if (!done[r]) ::kill(pids[r], sig);
            }
        }
        int status = 0;
        const pid_t pid = ::waitpid(-1, &status, WNOHANG);
        if (pid > 0) {
            int rank = 0;
            while (rank < nproc && pids[rank] != pid) ++rank;
            if (rank == nproc) continue;
            done[rank] = true;
            --alive;
            const int code = status_code(status);
            if (code != 0 && result == 0) result = code;
            // A rank interrupted by a signal stops with the others at the same step (they agree on
            // it); any other failure brings the group down.
            const bool interrupted = code == 128 + SIGINT || code == 128 + SIGTERM;
            if (code != 0 && !interrupted && !stopping) {
                if (alive > 0) {
                    spdlog::error("rank {} exited with status {}; stopping the other ranks", rank, code);
                    for (int r = 0; r < nproc; ++r) {
                        if (!done[r]) ::kill(pids[r], SIGTERM);
                    }
                    stopping = true;
                    stop_deadline = std::chrono::steady_clock::now() +
                                    std::chrono::milliseconds(static_cast<int64_t>(grace_seconds * 1000));
                }
            }
            continue;
        }
        if (pid < 0 && errno != EINTR) break;
        if (stopping && std::chrono::steady_clock::now() > stop_deadline) {
            for (int r = 0; r < nproc; ++r) {
                if (!done[r]) ::kill(pids[r], SIGKILL);
            }
            stopping = false;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    sigaction(SIGTERM, &old_term, nullptr);
    sigaction(SIGINT, &old_int, nullptr);
    return result;
}

}  // namespace ganvas::cli
