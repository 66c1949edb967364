// `ganvas serve`: trained models and edge detectors over HTTP (cpp-httplib), for the browser studio
// and for other programs. The routes and their errors are documented in docs/API.md.
//
// Every model call is a job on one bounded queue (job_queue.h) served by a fixed pool of workers;
// a request that would overflow it is answered 503 with Retry-After. Uploads are limited in bytes
// (413), images in pixels by their header before decoding (413), requests in time (503). A request
// whose Host is not the server's own name (DNS rebinding), or whose Origin is another site's that
// the user did not list for CORS, is refused (403): another web page must not drive a local
// server. With a token, every route but /healthz and the studio's files needs
// `Authorization: Bearer TOKEN` (or `?access_token=TOKEN`, for EventSource).
#pragma once
#include "ganvas/edges/detector.h"
#include "ganvas/infer/predictor.h"
#include "ganvas/nn/placement.h"
#include "ganvas/serve/job_queue.h"

#include <nlohmann/json.hpp>

#include <atomic>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <vector>

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace ganvas::serve {

struct ServeOptions {
    std::string host = "127.0.0.1";
    int port = 0;                       // 0: a free port, chosen at bind()
    int workers = 1;                    // model calls at once
    int queue = 8;                      // calls waiting beyond the workers
    double max_upload_mb = 20;          // request body
    int64_t max_pixels = int64_t{1} << 24;  // per uploaded image, from its header
    double timeout_s = 120;             // a waiting request's limit (queue + run)
    std::string token;                  // required on every route but /healthz and the studio when set
    bool insecure_no_token = false;     // allow a non-loopback host without a token
    std::vector<std::string> cors_origins;  // origins allowed to call the API from a browser
    std::vector<std::string> allowed_hosts;  // Host names accepted beside the loopback ones
    int threads_per_worker = 1;         // LibTorch intra-op threads of each worker
    Placement placement;                // where the models run
};

// UsageError naming the flag when the options do not make sense (ranges, a non-loopback host
// without a token, malformed origins).
void check_serve_options(const ServeOptions& options);
bool is_loopback_host(const std::string& host);

// A model as the server holds it.
struct ServedModel {
    std::string name;                    // in URLs: /api/models/{name}/run
    std::filesystem::path checkpoint;
    std::string checkpoint_sha256;
    double load_seconds = 0;
    std::shared_ptr<Predictor> predictor;
    nlohmann::json info;                 // what GET /api/models says about it
};

class Server {
public:
    explicit Server(ServeOptions options);
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    // Loads a checkpoint under `name` (letters, digits, '-', '_', '.'); Error naming the file when
    // it cannot be loaded, UsageError when the name is taken or malformed. Callable while serving.
    // `about` (optional): what the model is for, shown by /api/models and the studio (title, summary,
    // example); models/models.json holds it for the shipped models.
    void add_model(const std::string& name, const std::filesystem::path& checkpoint,
                   const nlohmann::json& about = nlohmann::json());
    // An edge detector for POST /api/edges under its own name (classic and xdog are always there).
    void add_edge_detector(std::unique_ptr<EdgeDetector> detector);
    // /healthz answers 200 from now on (503 before: models are still loading).
    void set_ready();

    // Binds host:port; returns the port (the free one chosen for port 0). Error when it cannot.
    int bind();
    // Serves until stop(); requests in flight are answered, queued jobs finish. Blocks.
    void run();
    // True once run() accepts connections (until it stops); stop() ends a running server, and
    // makes a later run() return at once, but a stop() before run() has started listening may be
    // missed by it: wait for running() first.
    bool running() const;
    // From any thread (a signal watcher): stop taking connections; run() returns once in-flight
    // requests are answered.
    void stop();

    int port() const { return port_; }
    std::string url() const;
    std::vector<std::string> model_names() const;

private:
    struct Metrics;
    void install_routes();
    bool admit(const httplib::Request& req, httplib::Response& res);
    void record(const httplib::Request& req, const httplib::Response& res);
    std::shared_ptr<const ServedModel> find_model(const std::string& name) const;
    std::shared_ptr<Job> submit(const std::string& label, JobQueue::Work work, httplib::Response& res);
    JobQueue::Work model_work(const httplib::Request& req, const std::shared_ptr<const ServedModel>& model);
    JobQueue::Work edges_work(const httplib::Request& req);
    void answer_when_done(const std::shared_ptr<Job>& job, httplib::Response& res);
    void events(const httplib::Request& req, httplib::Response& res, const std::shared_ptr<Job>& job);

    ServeOptions options_;
    std::unique_ptr<httplib::Server> http_;
    std::unique_ptr<JobQueue> queue_;
    std::unique_ptr<Metrics> metrics_;
    mutable std::shared_mutex models_mutex_;
    std::map<std::string, std::shared_ptr<const ServedModel>> models_;
    std::map<std::string, std::unique_ptr<EdgeDetector>> detectors_;
    std::atomic<bool> ready_{false};
    std::atomic<bool> stopping_{false};
    int port_ = 0;
};

}  // namespace ganvas::serve
