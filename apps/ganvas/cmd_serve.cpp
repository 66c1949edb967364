// `ganvas serve`: the models and edge detectors over HTTP until SIGINT or SIGTERM (which drain the
// requests in flight, then exit 0). The routes are in docs/API.md.
#include "cli_common.h"
#include "commands.h"
#include "ganvas/core/error.h"
#include "ganvas/core/runtime.h"
#include "ganvas/edges/detector.h"
#include "ganvas/infer/export.h"
#include "ganvas/serve/server.h"
#include "ganvas/train/signals.h"

#include <spdlog/spdlog.h>

#include <malloc.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <thread>

namespace ganvas::cli {
namespace {
namespace fs = std::filesystem;

struct ServeFlags {
    RuntimeFlags runtime;
    serve::ServeOptions options;
    std::vector<std::string> models;  // NAME=CHECKPOINT
    std::string models_dir;
    bool no_shipped = false;
    std::string pidinet, hed;
};

struct ModelEntry {
    std::string name;
    fs::path path;
    nlohmann::json about;
};

// NAME=CHECKPOINT, or a bare CHECKPOINT named by its file stem (or run folder).
std::pair<std::string, fs::path> model_pair(const std::string& text) {
    const auto eq = text.find('=');
    if (eq == 0) throw UsageError("--model '" + text + "': expected NAME=CHECKPOINT or CHECKPOINT");
    if (eq != std::string::npos) return {text.substr(0, eq), text.substr(eq + 1)};
    const fs::path path(text);
    return {fs::is_directory(path) ? path.filename().string() : path.stem().string(), path};
}

// Every checkpoint in a folder: NAME.pt files and run folders NAME/checkpoint.pt, sorted by name;
// what models.json beside them says about each (title, summary, example) comes along.
std::vector<ModelEntry> models_in(const fs::path& dir) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) throw UsageError("--models " + dir.string() + ": not a folder");
    const nlohmann::json manifest = read_models_manifest(dir);
    std::vector<ModelEntry> found;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
        const fs::path p = entry.path();
        std::string name;
        if (entry.is_regular_file() && p.extension() == ".pt") name = p.stem().string();
        else if (entry.is_directory() && fs::is_regular_file(p / "checkpoint.pt")) name = p.filename().string();
        else continue;
        found.push_back({name, p, manifest.value(name, nlohmann::json())});
    }
    if (ec) throw Error("--models " + dir.string() + ": " + ec.message());
    std::sort(found.begin(), found.end(), [](const ModelEntry& a, const ModelEntry& b) { return a.name < b.name; });
    return found;
}

void run(ServeFlags& f) {
    // glibc gives each thread that allocates its own malloc arena; a worker thread's arena returns
    // the megabytes of a forward pass to the system after each request and faults them back in on
    // the next one (the colorizer on a 256x256 photo, one thread: 720 ms a request instead of 310 ms;
    // docs/RESULTS.md). One arena for the process keeps them. MALLOC_ARENA_MAX overrides.
    if (!std::getenv("MALLOC_ARENA_MAX")) mallopt(M_ARENA_MAX, 1);
    const Placement placement = apply_runtime_flags(f.runtime);
    f.options.placement = placement;
    f.options.threads_per_worker = std::max(1, (f.runtime.threads > 0 ? f.runtime.threads : available_cores()) /
                                                   std::max(1, f.options.workers));
    if (const char* token = std::getenv("GANVAS_SERVE_TOKEN"); token && f.options.token.empty()) f.options.token = token;
    serve::check_serve_options(f.options);

    std::vector<ModelEntry> models;
    for (const auto& m : f.models) {
        auto [name, path] = model_pair(m);
        models.push_back({name, path, nlohmann::json()});
    }
    if (!f.models_dir.empty()) {
        for (auto& m : models_in(f.models_dir)) models.push_back(std::move(m));
    }
    // No model named: the shipped ones (models/ of the source tree the binary was built in, or
    // $GANVAS_MODELS).
    if (f.models.empty() && f.models_dir.empty() && !f.no_shipped) {
        if (const auto shipped = shipped_models_dir()) {
            spdlog::info("serve: the shipped models in {}", shipped->string());
            models = models_in(*shipped);
        }
    }
    serve::Server server(f.options);
    if (!f.pidinet.empty()) server.add_edge_detector(make_edge_detector("pidinet", f.pidinet));
    if (!f.hed.empty()) server.add_edge_detector(make_edge_detector("hed", f.hed));
    const int port = server.bind();
    // The address first, on stdout, for people and for programs that started us with --port 0.
    std::cout << "ganvas serve: listening on " << server.url() << std::endl;
    if (!f.options.token.empty()) std::cout << "studio: " << server.url() << "#token=" << f.options.token << std::endl;
    else std::cout << "studio: open " << server.url() << " in a browser" << std::endl;
    ScopedStopHandler stop_handler;
    std::atomic<bool> ended{false};
    std::thread serving([&] {
        server.run();
        ended = true;
    });
    while (!server.running() && !ended) std::this_thread::sleep_for(std::chrono::milliseconds(2));
    // /healthz says "loading" until every model is in; a model that fails to load ends the server.
    try {
        for (const auto& m : models) {
            if (ScopedStopHandler::stop_requested()) break;
            server.add_model(m.name, m.path, m.about);
        }
    } catch (...) {
        server.stop();
        serving.join();
        throw;
    }
    if (models.empty()) {
        spdlog::warn("serve: no models (--model NAME=CHECKPOINT, --models DIR, or the shipped models/); edges only");
    }
    server.set_ready();
    spdlog::info("serve: ready on port {} with {} model(s); Ctrl-C or SIGTERM stops", port, models.size());
    while (!ScopedStopHandler::stop_requested()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    spdlog::info("serve: stopping (signal {}): finishing the requests in flight", ScopedStopHandler::signal_number());
    server.stop();
    serving.join();
    spdlog::info("serve: stopped");
}

}  // namespace

void register_serve(CLI::App& app) {
    auto flags = std::make_shared<ServeFlags>();
    auto& f = *flags;
    auto* cmd = app.add_subcommand("serve", "serve models and edge detectors over HTTP (API: docs/API.md)");
    cmd->add_option("--model", f.models, "a checkpoint to serve, as NAME=CHECKPOINT or CHECKPOINT (repeatable)");
    cmd->add_option("--models", f.models_dir, "serve every checkpoint in this folder (NAME.pt, NAME/checkpoint.pt)");
    cmd->add_flag("--no-shipped-models", f.no_shipped, "without --model/--models, serve no model (default: models/)");
    cmd->add_option("--host", f.options.host, "address to listen on; beyond loopback needs --token")->capture_default_str();
    cmd->add_option("--port", f.options.port, "port (0: a free one, printed)")->capture_default_str();
    cmd->add_option("--workers", f.options.workers, "model calls at once (each gets threads / workers)")
        ->capture_default_str();
    cmd->add_option("--queue", f.options.queue, "calls that may wait beyond the workers (then 503)")->capture_default_str();
    cmd->add_option("--max-upload-mb", f.options.max_upload_mb, "largest request body")
        ->check(finite_range(0.001, 4096))
        ->capture_default_str();
    cmd->add_option("--max-pixels", f.options.max_pixels, "largest uploaded image, read from its header")
        ->capture_default_str();
    cmd->add_option("--timeout", f.options.timeout_s, "seconds a request may wait and run")
        ->check(finite_range(0.001, 86400))
        ->capture_default_str();
    cmd->add_option("--token", f.options.token, "require Authorization: Bearer TOKEN (or GANVAS_SERVE_TOKEN)");
    cmd->add_flag("--insecure-no-token", f.options.insecure_no_token, "allow a non-loopback --host without a token");
    cmd->add_option("--cors-origin", f.options.cors_origins, "a web origin allowed to call the API (repeatable)");
    cmd->add_option("--allow-host", f.options.allowed_hosts, "a Host name accepted beside the loopback ones (repeatable)");
    cmd->add_option("--pidinet", f.pidinet, "serve PiDiNet edges from this table5_pidinet.pth");
    cmd->add_option("--hed", f.hed, "serve HED edges from this .caffemodel or its folder");
    add_runtime_flags(cmd, f.runtime);
    cmd->callback([flags] { run(*flags); });
}

}  // namespace ganvas::cli
