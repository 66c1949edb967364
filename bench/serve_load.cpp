// A load generator for `ganvas serve` (loopback only): N clients post the same image to one model
// for T seconds, each waiting for its answer before sending again. Prints one JSON line: requests,
// requests/s, p50/p95/p99 latency of the 200s, the share answered 503, other failures, and the
// server's resident memory before and after (from /proc/PID/status).
//   serve_load --url http://127.0.0.1:PORT --model NAME --input NAME --image FILE
//              [--clients 4] [--seconds 10] [--pid SERVER_PID] [--field KEY=VALUE ...]
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <mutex>
#include <regex>
#include <string>
#include <thread>
#include <vector>

namespace {

long rss_kb(const std::string& pid) {
    std::ifstream status("/proc/" + pid + "/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
    }
    return -1;
}

double percentile(std::vector<double> v, double p) {
    if (v.empty()) return NAN;
    std::sort(v.begin(), v.end());
    const double at = p * (v.size() - 1);
    const size_t lo = static_cast<size_t>(at);
    const size_t hi = std::min(lo + 1, v.size() - 1);
    return v[lo] + (v[hi] - v[lo]) * (at - lo);
}

}  // namespace

int main(int argc, char** argv) {
    std::string url, model, input = "image", image_path, pid;
    int clients = 4;
    double seconds = 10;
    std::vector<std::pair<std::string, std::string>> fields;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        const auto next = [&]() -> std::string {
            if (i + 1 >= argc) {
                std::cerr << a << " needs a value\n";
                std::exit(2);
            }
            return argv[++i];
        };
        if (a == "--url") url = next();
        else if (a == "--model") model = next();
        else if (a == "--input") input = next();
        else if (a == "--image") image_path = next();
        else if (a == "--clients") clients = std::stoi(next());
        else if (a == "--seconds") seconds = std::stod(next());
        else if (a == "--pid") pid = next();
        else if (a == "--field") {
            const std::string kv = next();
            const auto eq = kv.find('=');
            if (eq == std::string::npos) return std::cerr << "--field KEY=VALUE\n", 2;
            fields.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
        } else {
            std::cerr << "unknown argument " << a << "\n";
            return 2;
        }
    }
    const std::regex loopback(R"(^http://(127\.0\.0\.1|localhost):[0-9]+/?$)");
    if (!std::regex_match(url, loopback) || model.empty() || image_path.empty() || clients < 1 || clients > 256 ||
        !(seconds > 0 && seconds <= 600)) {
        std::cerr << "usage: serve_load --url http://127.0.0.1:PORT --model NAME --image FILE [--input NAME] "
                     "[--clients 1-256] [--seconds (0,600]] [--pid PID] [--field KEY=VALUE]\n";
        return 2;
    }
    std::ifstream file(image_path, std::ios::binary);
    const std::string image((std::istreambuf_iterator<char>(file)), {});
    if (image.empty()) return std::cerr << "cannot read " << image_path << "\n", 1;
    std::string base = url.back() == '/' ? url.substr(0, url.size() - 1) : url;
    const std::string path = "/api/models/" + model + "/run";

    const long rss_before = pid.empty() ? -1 : rss_kb(pid);
    std::mutex mutex;
    std::vector<double> latencies;
    std::atomic<long> busy{0}, failed{0};
    std::string first_failure;
    const auto start = std::chrono::steady_clock::now();
    const auto end = start + std::chrono::duration<double>(seconds);
    std::vector<std::thread> threads;
    for (int c = 0; c < clients; ++c) {
        threads.emplace_back([&] {
            httplib::Client client(base);
            client.set_read_timeout(600);
            httplib::MultipartFormDataItems items = {{input, image, "image.png", "image/png"}};
            for (const auto& [k, v] : fields) items.push_back({k, v, "", ""});
            std::vector<double> mine;
            while (std::chrono::steady_clock::now() < end) {
                const auto t0 = std::chrono::steady_clock::now();
                auto res = client.Post(path.c_str(), items);
                const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
                if (res && res->status == 200) {
                    mine.push_back(s);
                } else if (res && res->status == 503) {
                    ++busy;
                    std::this_thread::sleep_for(std::chrono::milliseconds(20));
                } else {
                    ++failed;
                    std::lock_guard<std::mutex> lock(mutex);
                    if (first_failure.empty()) {
                        first_failure = res ? std::to_string(res->status) + " " + res->body.substr(0, 200)
                                            : httplib::to_string(res.error());
                    }
                }
            }
            std::lock_guard<std::mutex> lock(mutex);
            latencies.insert(latencies.end(), mine.begin(), mine.end());
        });
    }
    for (auto& t : threads) t.join();
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const long rss_after = pid.empty() ? -1 : rss_kb(pid);
    const long total = static_cast<long>(latencies.size()) + busy + failed;
    std::printf("{\"model\": \"%s\", \"clients\": %d, \"seconds\": %.2f, \"ok\": %zu, \"requests_per_s\": %.3f, "
                "\"p50_ms\": %.2f, \"p95_ms\": %.2f, \"p99_ms\": %.2f, \"share_503\": %.4f, \"failed\": %ld, "
                "\"rss_before_mb\": %.1f, \"rss_after_mb\": %.1f%s%s%s}\n",
                model.c_str(), clients, elapsed, latencies.size(), latencies.size() / elapsed,
                1e3 * percentile(latencies, 0.5), 1e3 * percentile(latencies, 0.95), 1e3 * percentile(latencies, 0.99),
                total ? static_cast<double>(busy) / total : 0.0, static_cast<long>(failed), rss_before / 1024.0,
                rss_after / 1024.0, first_failure.empty() ? "" : ", \"first_failure\": \"",
                first_failure.empty() ? "" : std::regex_replace(first_failure, std::regex("[\"\\\\\\n]"), " ").c_str(),
                first_failure.empty() ? "" : "\"");
    return failed ? 1 : 0;
}
