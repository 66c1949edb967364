#include "ganvas/serve/server.h"

#include "ganvas/core/error.h"
#include "ganvas/core/image.h"
#include "ganvas/core/image_header.h"
#include "ganvas/core/options.h"
#include "ganvas/core/sha256.h"
#include "ganvas/edges/edge_files.h"
#include "ganvas/infer/export.h"
#include "ganvas/models/registry.h"
#include "ganvas/serve/png_text.h"
#include "ganvas/serve/request.h"

#include <fmt/format.h>
#include <httplib.h>
#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <regex>

namespace ganvas::serve {

// studio/index.html, embedded at build time (cmake/embed_file.cmake).
extern const unsigned char kStudioPage[];
extern const size_t kStudioPageSize;

namespace {

using Clock = std::chrono::steady_clock;
constexpr const char* kSoftware = "ganvas 0.1.0";

std::string dump(const nlohmann::json& j) {
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

JobOutcome error_outcome(int status, const std::string& message) {
    return {status, "application/json", dump({{"error", message}, {"status", status}})};
}

void set_error(httplib::Response& res, int status, const std::string& message) {
    res.status = status;
    res.set_content(dump({{"error", message}, {"status", status}}), "application/json");
}

std::string base64(const std::string& bytes) {
    static const char* table = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    size_t i = 0;
    for (; i + 2 < bytes.size(); i += 3) {
        const uint32_t v = uint32_t(uint8_t(bytes[i])) << 16 | uint32_t(uint8_t(bytes[i + 1])) << 8 | uint8_t(bytes[i + 2]);
        for (int s = 18; s >= 0; s -= 6) out.push_back(table[v >> s & 63]);
    }
    if (i + 1 == bytes.size()) {
        const uint32_t v = uint32_t(uint8_t(bytes[i])) << 16;
        out += {table[v >> 18 & 63], table[v >> 12 & 63], '=', '='};
    } else if (i + 2 == bytes.size()) {
        const uint32_t v = uint32_t(uint8_t(bytes[i])) << 16 | uint32_t(uint8_t(bytes[i + 1])) << 8;
        out += {table[v >> 18 & 63], table[v >> 12 & 63], table[v >> 6 & 63], '='};
    }
    return out;
}

// Equal strings in time that does not depend on where they differ.
bool same_secret(const std::string& a, const std::string& b) {
    unsigned char diff = a.size() == b.size() ? 0 : 1;
    for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i % std::max<size_t>(1, b.size())]);
    return diff == 0;
}

// Which route a path belongs to, for metrics (bounded label values).
std::string route_of(const std::string& method, const std::string& path) {
    static const std::vector<std::pair<std::regex, std::string>> patterns = {
        {std::regex("^/api/models/[^/]+/run$"), "/api/models/{name}/run"},
        {std::regex("^/api/jobs/[^/]+$"), "/api/jobs/{id}"},
        {std::regex("^/api/jobs/[^/]+/events$"), "/api/jobs/{id}/events"},
        {std::regex("^/api/jobs/[^/]+/result$"), "/api/jobs/{id}/result"},
    };
    static const std::vector<std::string> exact = {"/", "/healthz", "/metrics", "/api/models", "/api/edges", "/api/jobs"};
    if (std::find(exact.begin(), exact.end(), path) != exact.end()) return method + " " + path;
    for (const auto& [re, name] : patterns) {
        if (std::regex_match(path, re)) return method + " " + name;
    }
    return method + " other";
}

thread_local Clock::time_point request_start{};

}  // namespace

bool is_loopback_host(const std::string& host) {
    return host == "127.0.0.1" || host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

void check_serve_options(const ServeOptions& o) {
    if (o.port < 0 || o.port > 65535) throw UsageError("--port: 0 (a free port) to 65535");
    if (o.workers < 1 || o.workers > 64) throw UsageError("--workers: 1 to 64");
    if (o.queue < 0 || o.queue > 4096) throw UsageError("--queue: 0 to 4096");
    if (!std::isfinite(o.max_upload_mb) || o.max_upload_mb <= 0 || o.max_upload_mb > 4096) {
        throw UsageError("--max-upload-mb: more than 0, at most 4096");
    }
    if (o.max_pixels < 1 || o.max_pixels > (int64_t{1} << 30)) throw UsageError("--max-pixels: 1 to 2^30");
    if (!std::isfinite(o.timeout_s) || o.timeout_s <= 0 || o.timeout_s > 86400) throw UsageError("--timeout: more than 0 s, at most a day");
    if (o.threads_per_worker < 1 || o.threads_per_worker > 1024) throw UsageError("--threads: 1 to 1024");
    if (o.host.empty()) throw UsageError("--host: empty");
    if (!is_loopback_host(o.host) && o.token.empty() && !o.insecure_no_token) {
        throw UsageError("--host " + o.host +
                         " listens beyond this machine: give --token (clients then send it), or --insecure-no-token "
                         "to serve anyone who can reach the port");
    }
    if (!o.token.empty() && (o.token.size() < 8 || !std::all_of(o.token.begin(), o.token.end(), [](char c) {
            return c > 32 && c < 127;
        }))) {
        throw UsageError("--token: at least 8 printable characters without spaces");
    }
    for (const auto& origin : o.cors_origins) {
        static const std::regex form("^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?$|^https?://\\[[0-9a-fA-F:]+\\](:[0-9]{1,5})?$");
        if (!std::regex_match(origin, form)) {
            throw UsageError("--cors-origin '" + origin + "': expected scheme://host[:port], e.g. http://localhost:3000");
        }
    }
}

struct Server::Metrics {
    static constexpr double kBuckets[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120};
    struct Histogram {
        std::vector<int64_t> counts = std::vector<int64_t>(std::size(kBuckets), 0);
        double sum = 0;
        int64_t count = 0;
    };
    std::mutex mutex;
    std::map<std::pair<std::string, int>, int64_t> requests;
    std::map<std::string, Histogram> latency;
    double job_seconds_sum = 0;  // finished model calls, for Retry-After
    int64_t jobs_finished = 0;
};

Server::Server(ServeOptions options)
    : options_(std::move(options)), http_(std::make_unique<httplib::Server>()), metrics_(std::make_unique<Metrics>()) {
    check_serve_options(options_);
    const int threads = options_.threads_per_worker;
    queue_ = std::make_unique<JobQueue>(options_.workers, options_.queue, 256, [threads] { torch::set_num_threads(threads); });
    detectors_["classic"] = make_edge_detector("classic", {});
    detectors_["xdog"] = make_edge_detector("xdog", {});
    // Connections beyond the model pool wait for their answer (or are refused by the queue), so
    // the HTTP threads outnumber the workers.
    const int http_threads = std::max(8, options_.workers + options_.queue + 4);
    http_->new_task_queue = [http_threads] { return new httplib::ThreadPool(http_threads); };
    http_->set_payload_max_length(static_cast<size_t>(options_.max_upload_mb * (1 << 20)));
    http_->set_read_timeout(30);
    http_->set_write_timeout(30);
    install_routes();
}

Server::~Server() {
    stop();
    queue_->shutdown();
}

std::string Server::url() const {
    const std::string host = options_.host == "0.0.0.0" ? "127.0.0.1" : options_.host;
    return "http://" + (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + std::to_string(port_) + "/";
}

void Server::add_model(const std::string& name, const std::filesystem::path& checkpoint, const nlohmann::json& about) {
    if (!valid_name(name)) {
        throw UsageError("model name '" + name + "': use letters, digits, '-', '_' and '.' (at most 64)");
    }
    {
        std::shared_lock<std::shared_mutex> lock(models_mutex_);
        if (models_.count(name)) throw UsageError("model name '" + name + "' is given twice");
    }
    const auto start = Clock::now();
    auto loaded = load_checkpoint(checkpoint);
    auto model = std::make_shared<ServedModel>();
    model->name = name;
    model->checkpoint = loaded.path;
    model->predictor = std::make_shared<Predictor>(load_model(loaded, options_.placement));
    model->checkpoint_sha256 = sha256_file(loaded.path);
    model->load_seconds = std::chrono::duration<double>(Clock::now() - start).count();
    const ModelDescriptor& d = model->predictor->descriptor();
    GanModel& m = model->predictor->model();
    nlohmann::json info = d.to_json();
    info["architecture"] = d.name;
    info["name"] = name;
    info["checkpoint"] = loaded.path.filename().string();
    info["checkpoint_sha256"] = model->checkpoint_sha256;
    info["classes"] = m.class_names();
    info["input_size"] = m.input_size();
    info["load_seconds"] = model->load_seconds;
    const nlohmann::json& state = loaded.header.state;
    if (state.is_object() && state.contains("step")) info["trained_steps"] = state["step"];
    if (state.is_object() && state.contains(kExportedKey) && state[kExportedKey].is_object()) {
        info["trained_steps"] = state[kExportedKey].value("step", nlohmann::json());
        info["storage"] = state[kExportedKey].value("storage", nlohmann::json());
    }
    if (about.is_object()) info["about"] = about;
    info["run_url"] = "/api/models/" + name + "/run";
    model->info = std::move(info);
    spdlog::info("serve: model {} ({}) from {} in {:.2f} s", name, d.name, loaded.path.string(), model->load_seconds);
    std::unique_lock<std::shared_mutex> lock(models_mutex_);
    if (!models_.emplace(name, std::move(model)).second) throw UsageError("model name '" + name + "' is given twice");
}

void Server::add_edge_detector(std::unique_ptr<EdgeDetector> detector) {
    const std::string name = detector->name();
    std::unique_lock<std::shared_mutex> lock(models_mutex_);
    detectors_[name] = std::move(detector);
}

void Server::set_ready() { ready_ = true; }

std::vector<std::string> Server::model_names() const {
    std::shared_lock<std::shared_mutex> lock(models_mutex_);
    std::vector<std::string> names;
    for (const auto& [name, model] : models_) names.push_back(name);
    return names;
}

std::shared_ptr<const ServedModel> Server::find_model(const std::string& name) const {
    std::shared_lock<std::shared_mutex> lock(models_mutex_);
    const auto it = models_.find(name);
    return it == models_.end() ? nullptr : it->second;
}

int Server::bind() {
    if (options_.port == 0) {
        port_ = http_->bind_to_any_port(options_.host);
        if (port_ <= 0) throw Error("--host " + options_.host + ": could not listen on any port");
    } else {
        if (!http_->bind_to_port(options_.host, options_.port)) {
            throw Error(fmt::format("--host {} --port {}: could not listen (in use, or not an address of this machine)",
                                    options_.host, options_.port));
        }
        port_ = options_.port;
    }
    return port_;
}

void Server::run() {
    if (!stopping_) http_->listen_after_bind();
}

bool Server::running() const { return http_->is_running(); }

void Server::stop() {
    stopping_ = true;
    if (http_->is_running()) http_->stop();
}

// ---- admission: Host, Origin, token -----------------------------------------------------------

bool Server::admit(const httplib::Request& req, httplib::Response& res) {
    request_start = Clock::now();
    // Host: the loopback names on this port (DNS rebinding turns another site's name into
    // 127.0.0.1; its requests then carry that name), plus the names the user allows.
    const std::string host_header = req.get_header_value("Host");
    const auto colon = host_header.rfind(':');
    const bool has_port = colon != std::string::npos && host_header.find(']', colon) == std::string::npos;
    const std::string host = has_port ? host_header.substr(0, colon) : host_header;
    const std::string port = has_port ? host_header.substr(colon + 1) : "80";
    const auto& allowed = options_.allowed_hosts;
    const bool listed = std::find(allowed.begin(), allowed.end(), host) != allowed.end();
    bool host_ok;
    if (is_loopback_host(options_.host)) {
        host_ok = (listed || host == "127.0.0.1" || host == "localhost" || host == "[::1]") && port == std::to_string(port_);
    } else {
        host_ok = allowed.empty() || listed || host == options_.host;
    }
    if (!host_ok) {
        set_error(res, 403, "Host '" + host_header + "' is not this server's (--allow-host adds a name)");
        return false;
    }
    // Origin: a browser says which page sent the request; only this server's own pages and the
    // origins listed with --cors-origin may call it.
    const std::string origin = req.get_header_value("Origin");
    const auto& cors = options_.cors_origins;
    const bool cors_listed = !origin.empty() && std::find(cors.begin(), cors.end(), origin) != cors.end();
    if (!origin.empty() && origin != "http://" + host_header && !cors_listed) {
        set_error(res, 403, "Origin '" + origin + "' may not call this server (--cors-origin allows one)");
        return false;
    }
    if (cors_listed) {
        res.set_header("Access-Control-Allow-Origin", origin);
        res.set_header("Vary", "Origin");
        if (req.method == "OPTIONS") {
            res.set_header("Access-Control-Allow-Methods", "GET, POST, DELETE, OPTIONS");
            res.set_header("Access-Control-Allow-Headers", "Authorization, Content-Type");
            res.set_header("Access-Control-Max-Age", "600");
            res.status = 204;
            return false;
        }
    }
    if (!options_.token.empty()) {
        const bool open = req.path == "/healthz" || req.path == "/" || req.path.rfind("/studio/", 0) == 0;
        std::string given;
        const std::string auth = req.get_header_value("Authorization");
        if (auth.rfind("Bearer ", 0) == 0) given = auth.substr(7);
        else if (req.has_param("access_token")) given = req.get_param_value("access_token");
        if (!open && !same_secret(given, options_.token)) {
            res.set_header("WWW-Authenticate", "Bearer");
            set_error(res, 401, given.empty() ? "this server needs its token: Authorization: Bearer TOKEN"
                                              : "wrong token");
            return false;
        }
    }
    return true;
}

void Server::record(const httplib::Request& req, const httplib::Response& res) {
    const double seconds = request_start == Clock::time_point{}
                               ? 0.0
                               : std::chrono::duration<double>(Clock::now() - request_start).count();
    request_start = {};
    const std::string route = route_of(req.method, req.path);
    std::lock_guard<std::mutex> lock(metrics_->mutex);
    ++metrics_->requests[{route, res.status}];
    auto& h = metrics_->latency[route];
    for (size_t i = 0; i < std::size(Metrics::kBuckets); ++i) {
        if (seconds <= Metrics::kBuckets[i]) ++h.counts[i];
    }
    h.sum += seconds;
    ++h.count;
    spdlog::debug("serve: {} {} -> {} in {:.1f} ms", req.method, req.path, res.status, seconds * 1e3);
}

// ---- work ----------------------------------------------------------------------------------

std::shared_ptr<Job> Server::submit(const std::string& label, JobQueue::Work work, httplib::Response& res) {
    // Each finished call adds its time; the average estimates when to come back.
    auto timed = [this, work = std::move(work)](Job& job) {
        const auto start = Clock::now();
        JobOutcome outcome = work(job);
        std::lock_guard<std::mutex> lock(metrics_->mutex);
        metrics_->job_seconds_sum += std::chrono::duration<double>(Clock::now() - start).count();
        ++metrics_->jobs_finished;
        return outcome;
    };
    auto job = queue_->submit(label, std::move(timed));
    if (!job) {
        double average = 1.0;
        {
            std::lock_guard<std::mutex> lock(metrics_->mutex);
            if (metrics_->jobs_finished > 0) average = metrics_->job_seconds_sum / metrics_->jobs_finished;
        }
        const int waiting = queue_->waiting();
        const int retry = std::max(1, static_cast<int>(std::ceil(average * (waiting + 1) / queue_->workers())));
        res.set_header("Retry-After", std::to_string(retry));
        set_error(res, 503, fmt::format("the queue is full ({} waiting, {} running); retry in about {} s", waiting,
                                        queue_->running(), retry));
    }
    return job;
}

void Server::answer_when_done(const std::shared_ptr<Job>& job, httplib::Response& res) {
    const auto limit = std::chrono::milliseconds(static_cast<int64_t>(options_.timeout_s * 1000));
    if (!job->wait_finished(limit)) {
        queue_->cancel(job->id());
        res.set_header("Retry-After", "5");
        set_error(res, 503, fmt::format("the request took longer than the server's limit of {} s (--timeout)",
                                        options_.timeout_s));
        return;
    }
    const JobOutcome outcome = job->outcome();
    res.status = outcome.status;
    res.set_header("X-Ganvas-Job", job->id());
    res.set_content(outcome.body, outcome.content_type.c_str());
}

JobQueue::Work Server::model_work(const httplib::Request& req, const std::shared_ptr<const ServedModel>& model) {
    const ModelDescriptor& d = model->predictor->descriptor();
    const Form form = read_form(req);
    ImageLimits limits = image_limits();
    limits.max_pixels = options_.max_pixels;
    limits.max_file_bytes = static_cast<int64_t>(options_.max_upload_mb * (1 << 20));

    ImageRequest request;
    std::string format = "png", output;
    nlohmann::json given = nlohmann::json::object();
    for (const auto& [name, part] : form.fields) {
        const std::string& text = part->content;
        if (!valid_utf8(text)) throw HttpError(400, "field '" + name + "' is not UTF-8 text");
        if (name == "model") continue;  // POST /api/jobs names the model here
        if (name == "seed") request.seed = parse_seed(text);
        else if (name == "samples") request.samples = parse_int("samples", text, 1, InferenceRequest::kMaxSamples);
        else if (name == "format") {
            if (text != "png" && text != "json") throw HttpError(400, "field 'format': png or json, got '" + text + "'");
            format = text;
        } else if (name == "output") output = text;
        else if (name == "keep_size") request.keep_size = parse_bool(name, text);
        else if (name == "ab") {
            try {
                request.ab_half = parse_ab_half(text, model->predictor->model());
            } catch (const UsageError& e) {
                throw HttpError(400, std::string("field 'ab': ") + e.what());
            }
        } else if (name == "parameters") {
            const auto j = nlohmann::json::parse(text, nullptr, false);
            if (!j.is_object()) throw HttpError(400, "field 'parameters': expected a JSON object");
            given.update(j);
        } else if (d.find_parameter(name)) {
            apply_key_value(name + "=" + text, given, "field '" + name + "'");
        } else {
            std::string known = "seed, samples, format, output, keep_size, ab, parameters";
            for (const auto& p : d.parameters) known += ", " + p.key;
            throw HttpError(400, "unknown field '" + name + "'; a " + d.name + " request takes " + known);
        }
    }
    try {
        check_options(d.name + " parameters", d.parameters, given);
    } catch (const UsageError& e) {
        throw HttpError(400, e.what());
    }
    request.parameters = given;
    std::map<std::string, const httplib::MultipartFormData*> images;
    for (const auto& [name, part] : form.files) {
        if (std::none_of(d.inputs.begin(), d.inputs.end(), [&](const InputSpec& i) { return i.name == name; })) {
            std::string known;
            for (const auto& i : d.inputs) known += (known.empty() ? "" : ", ") + i.name;
            throw HttpError(400, "unknown image '" + name + "'; a " + d.name + " model takes " + known);
        }
        check_upload(*part, limits);
        images[name] = part;
    }
    for (const auto& i : d.inputs) {
        if (i.required && !images.count(i.name)) {
            throw HttpError(400, "missing image '" + i.name + "' (" + i.help + ")");
        }
    }
    // The parts live in the request, which ends with the handler: the job keeps its own copies.
    auto bytes = std::make_shared<std::map<std::string, httplib::MultipartFormData>>();
    for (const auto& [name, part] : images) (*bytes)[name] = *part;
    nlohmann::json resolved = default_options(d.parameters);
    resolved.update(given);
    return [model, request, bytes, limits, format, output, resolved](Job& job) mutable -> JobOutcome {
        try {
            const auto t0 = Clock::now();
            job.set_stage("decoding", 0.05);
            for (const auto& [name, part] : *bytes) request.inputs[name] = decode_upload(part, limits);
            if (job.cancel_requested()) return error_outcome(409, "cancelled");
            const auto t1 = Clock::now();
            job.set_stage("running", 0.15);
            ImageResult result;
            try {
                result = model->predictor->run(request);
            } catch (const Error& e) {  // the request does not fit the model (UsageError among them)
                throw HttpError(400, e.what());
            }
            if (job.cancel_requested()) return error_outcome(409, "cancelled");
            const auto t2 = Clock::now();
            job.set_stage("encoding", 0.9);
            const ModelDescriptor& d = model->predictor->descriptor();
            const auto text_for = [&](const std::string& name) {
                return PngText{{"Software", kSoftware},
                               {"ganvas", dump({{"model", model->name},
                                                {"architecture", d.name},
                                                {"checkpoint", model->checkpoint.filename().string()},
                                                {"checkpoint_sha256", model->checkpoint_sha256},
                                                {"parameters", resolved},
                                                {"seed", request.seed},
                                                {"samples", request.samples},
                                                {"output", name}})}};
            };
            const auto ms = [](Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); };
            if (format == "png") {
                for (const auto& [name, image] : result.outputs) {
                    if (output.empty() || name == output) return {200, "image/png", encode_png(image, text_for(name))};
                }
                std::string names;
                for (const auto& [name, image] : result.outputs) names += (names.empty() ? "" : ", ") + name;
                throw HttpError(400, "field 'output': '" + output + "' is not one of " + names);
            }
            nlohmann::json outputs = nlohmann::json::array();
            for (const auto& [name, image] : result.outputs) {
                outputs.push_back({{"name", name},
                                   {"width", image.cols},
                                   {"height", image.rows},
                                   {"png", base64(encode_png(image, text_for(name)))}});
            }
            const auto t3 = Clock::now();
            const nlohmann::json body = {
                {"model", model->name},
                {"architecture", d.name},
                {"seed", request.seed},
                {"samples", request.samples},
                {"parameters", resolved},
                {"outputs", outputs},
                {"timings_ms",
                 {{"queue", job.queued_seconds() * 1e3}, {"decode", ms(t1 - t0)}, {"infer", ms(t2 - t1)}, {"encode", ms(t3 - t2)}}}};
            return {200, "application/json", dump(body)};
        } catch (const HttpError& e) {
            return error_outcome(e.status, e.what());
        }
    };
}

JobQueue::Work Server::edges_work(const httplib::Request& req) {
    const Form form = read_form(req);
    ImageLimits limits = image_limits();
    limits.max_pixels = options_.max_pixels;
    EdgeFileOptions options;
    std::string detector_name = detectors_.count("pidinet") ? "pidinet" : "classic", format = "png";
    std::string stage = "sketch";
    for (const auto& [name, part] : form.fields) {
        const std::string& text = part->content;
        if (name == "detector") detector_name = text;
        else if (name == "stage") stage = text;
        else if (name == "size") options.size = static_cast<int>(parse_int("size", text, 0, 4096));
        else if (name == "format") {
            if (text != "png" && text != "json") throw HttpError(400, "field 'format': png or json, got '" + text + "'");
            format = text;
        } else {
            throw HttpError(400, "unknown field '" + name + "'; POST /api/edges takes image, detector, stage, size, format");
        }
    }
    if (stage != "probability" && stage != "sketch" && stage != "distance") {
        throw HttpError(400, "field 'stage': probability, sketch or distance, got '" + stage + "'");
    }
    options.stage = parse_edge_stage(stage);
    const EdgeDetector* detector = nullptr;
    {
        std::shared_lock<std::shared_mutex> lock(models_mutex_);
        const auto it = detectors_.find(detector_name);
        if (it != detectors_.end()) detector = it->second.get();
    }
    if (!detector) {
        std::string known;
        for (const auto& [name, d] : detectors_) known += (known.empty() ? "" : ", ") + name;
        throw HttpError(400, "field 'detector': '" + detector_name + "' is not served here (" + known + ")");
    }
    const auto image = form.files.find("image");
    if (image == form.files.end() || form.files.size() != 1) {
        throw HttpError(400, "POST /api/edges takes one image, in the field 'image'");
    }
    check_upload(*image->second, limits);
    auto part = std::make_shared<httplib::MultipartFormData>(*image->second);
    return [detector, part, limits, options, format, detector_name, stage](Job& job) -> JobOutcome {
        try {
            job.set_stage("decoding", 0.05);
            const cv::Mat rgb = decode_upload(*part, limits);
            job.set_stage("running", 0.2);
            const cv::Mat map = edge_image(*detector, rgb, options);
            const PngText text = {{"Software", kSoftware},
                                  {"ganvas", dump({{"detector", detector_name}, {"stage", stage}, {"size", options.size}})}};
            const std::string png = encode_png(map, text);
            if (format == "png") return {200, "image/png", png};
            return {200, "application/json",
                    dump({{"detector", detector_name}, {"stage", stage}, {"width", map.cols}, {"height", map.rows},
                          {"png", base64(png)}})};
        } catch (const HttpError& e) {
            return error_outcome(e.status, e.what());
        }
    };
}

void Server::events(const httplib::Request&, httplib::Response& res, const std::shared_ptr<Job>& job) {
    res.set_header("Cache-Control", "no-cache");
    auto seen = std::make_shared<int64_t>(-1);
    res.set_chunked_content_provider("text/event-stream", [this, job, seen](size_t, httplib::DataSink& sink) {
        if (!http_->is_running()) {
            sink.done();
            return true;
        }
        const int64_t version = job->wait_change(*seen, std::chrono::seconds(10));
        if (version == *seen) {  // nothing new: keep the connection alive
            return sink.write(": ping\n\n", 8);
        }
        *seen = version;
        nlohmann::json status = job->status();
        status["position"] = queue_->position(job->id());
        const bool done = job->finished();
        const std::string event = fmt::format("event: {}\ndata: {}\n\n", done ? "done" : "progress", dump(status));
        if (!sink.write(event.data(), event.size())) return false;
        if (done) sink.done();
        return true;
    });
}

// ---- routes --------------------------------------------------------------------------------

void Server::install_routes() {
    auto& http = *http_;
    http.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
        return admit(req, res) ? httplib::Server::HandlerResponse::Unhandled : httplib::Server::HandlerResponse::Handled;
    });
    http.set_logger([this](const httplib::Request& req, const httplib::Response& res) { record(req, res); });
    http.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
        if (!res.body.empty()) return;
        const std::string message = res.status == 404   ? "no route " + req.method + " " + req.path + " (see docs/API.md)"
                                    : res.status == 413 ? "the request is larger than the server's limit (--max-upload-mb)"
                                                        : "HTTP " + std::to_string(res.status);
        res.set_content(dump({{"error", message}, {"status", res.status}}), "application/json");
    });
    http.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
        try {
            std::rethrow_exception(ep);
        } catch (const HttpError& e) {
            set_error(res, e.status, e.what());
        } catch (const UsageError& e) {
            set_error(res, 400, e.what());
        } catch (const std::exception& e) {
            spdlog::error("serve: {}", exception_text(e));
            set_error(res, 500, "internal error: " + exception_text(e));
        }
    });

    http.Get("/", [](const httplib::Request&, httplib::Response& res) {
        // One self-contained page: scripts and styles inline, images from data: and blob: URLs,
        // requests to this server only; no other site may frame it.
        res.set_header("Content-Security-Policy",
                       "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
                       "img-src 'self' data: blob:; connect-src 'self'; base-uri 'none'; form-action 'none'; "
                       "frame-ancestors 'none'");
        res.set_header("X-Frame-Options", "DENY");
        res.set_header("X-Content-Type-Options", "nosniff");
        res.set_header("Cache-Control", "no-cache");
        res.set_content(reinterpret_cast<const char*>(kStudioPage), kStudioPageSize, "text/html; charset=utf-8");
    });

    http.Get("/healthz", [this](const httplib::Request&, httplib::Response& res) {
        const bool ready = ready_.load();
        res.status = ready ? 200 : 503;
        if (!ready) res.set_header("Retry-After", "1");
        res.set_content(dump({{"status", ready ? "ok" : "loading"}, {"models", model_names()}}), "application/json");
    });

    http.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
        std::string out;
        {
            std::lock_guard<std::mutex> lock(metrics_->mutex);
            out += "# HELP ganvas_requests_total HTTP requests answered, by route and status.\n";
            out += "# TYPE ganvas_requests_total counter\n";
            for (const auto& [key, count] : metrics_->requests) {
                out += fmt::format("ganvas_requests_total{{route=\"{}\",status=\"{}\"}} {}\n", key.first, key.second, count);
            }
            out += "# HELP ganvas_request_seconds Time from a request's arrival to its answer, by route.\n";
            out += "# TYPE ganvas_request_seconds histogram\n";
            for (const auto& [route, h] : metrics_->latency) {
                for (size_t i = 0; i < std::size(Metrics::kBuckets); ++i) {
                    out += fmt::format("ganvas_request_seconds_bucket{{route=\"{}\",le=\"{}\"}} {}\n", route,
                                       Metrics::kBuckets[i], h.counts[i]);
                }
                out += fmt::format("ganvas_request_seconds_bucket{{route=\"{}\",le=\"+Inf\"}} {}\n", route, h.count);
                out += fmt::format("ganvas_request_seconds_sum{{route=\"{}\"}} {}\n", route, h.sum);
                out += fmt::format("ganvas_request_seconds_count{{route=\"{}\"}} {}\n", route, h.count);
            }
        }
        out += "# HELP ganvas_queue_depth Model calls waiting for a worker.\n# TYPE ganvas_queue_depth gauge\n";
        out += fmt::format("ganvas_queue_depth {}\n", queue_->waiting());
        out += "# HELP ganvas_jobs_running Model calls running.\n# TYPE ganvas_jobs_running gauge\n";
        out += fmt::format("ganvas_jobs_running {}\n", queue_->running());
        out += "# HELP ganvas_model_load_seconds Time to load each model's checkpoint.\n";
        out += "# TYPE ganvas_model_load_seconds gauge\n";
        {
            std::shared_lock<std::shared_mutex> lock(models_mutex_);
            for (const auto& [name, model] : models_) {
                out += fmt::format("ganvas_model_load_seconds{{model=\"{}\"}} {}\n", name, model->load_seconds);
            }
        }
        res.set_content(out, "text/plain; version=0.0.4");
    });

    http.Get("/api/models", [this](const httplib::Request&, httplib::Response& res) {
        nlohmann::json models = nlohmann::json::array();
        {
            std::shared_lock<std::shared_mutex> lock(models_mutex_);
            for (const auto& [name, model] : models_) models.push_back(model->info);
        }
        res.set_content(dump({{"models", models}, {"ready", ready_.load()}}), "application/json");
    });

    http.Post(R"(/api/models/([^/]+)/run)", [this](const httplib::Request& req, httplib::Response& res) {
        const std::string name = req.matches[1];
        const auto model = find_model(name);
        if (!model) {
            if (!ready_) {
                res.set_header("Retry-After", "1");
                return set_error(res, 503, "models are still loading");
            }
            std::string known;
            for (const auto& n : model_names()) known += (known.empty() ? "" : ", ") + n;
            return set_error(res, 404, "no model '" + name + "' here (" + (known.empty() ? "none" : known) + ")");
        }
        auto work = model_work(req, model);
        if (auto job = submit("run " + name, std::move(work), res)) answer_when_done(job, res);
    });

    http.Get("/api/edges", [this](const httplib::Request&, httplib::Response& res) {
        nlohmann::json names = nlohmann::json::array();
        {
            std::shared_lock<std::shared_mutex> lock(models_mutex_);
            for (const auto& [name, d] : detectors_) names.push_back(name);
        }
        res.set_content(dump({{"detectors", names},
                              {"default", std::find(names.begin(), names.end(), "pidinet") != names.end() ? "pidinet" : "classic"},
                              {"stages", {"probability", "sketch", "distance"}}}),
                        "application/json");
    });

    http.Post("/api/edges", [this](const httplib::Request& req, httplib::Response& res) {
        auto work = edges_work(req);
        if (auto job = submit("edges", std::move(work), res)) answer_when_done(job, res);
    });

    http.Post("/api/jobs", [this](const httplib::Request& req, httplib::Response& res) {
        const Form form = read_form(req);
        JobQueue::Work work;
        std::string label;
        if (const auto it = form.fields.find("model"); it != form.fields.end()) {
            const auto model = find_model(it->second->content);
            if (!model) return set_error(res, 404, "no model '" + it->second->content + "' here");
            work = model_work(req, model);
            label = "run " + model->name;
        } else if (form.fields.count("detector") || form.files.count("image")) {
            work = edges_work(req);
            label = "edges";
        } else {
            return set_error(res, 400, "POST /api/jobs: give the field 'model' (a model call) or 'detector' (edges)");
        }
        auto job = submit(label, std::move(work), res);
        if (!job) return;
        const std::string base = "/api/jobs/" + job->id();
        res.status = 202;
        res.set_header("Location", base);
        res.set_content(dump({{"id", job->id()},
                              {"state", to_string(job->state())},
                              {"position", queue_->position(job->id())},
                              {"status_url", base},
                              {"events_url", base + "/events"},
                              {"result_url", base + "/result"}}),
                        "application/json");
    });

    const auto with_job = [this](auto body) {
        return [this, body](const httplib::Request& req, httplib::Response& res) {
            const auto job = queue_->find(req.matches[1]);
            if (!job) return set_error(res, 404, "no job '" + std::string(req.matches[1]) + "' (finished jobs are kept for a while)");
            body(req, res, job);
        };
    };
    http.Get(R"(/api/jobs/([0-9a-f]{32}))", with_job([this](const httplib::Request&, httplib::Response& res, auto job) {
        nlohmann::json status = job->status();
        status["position"] = queue_->position(job->id());
        res.set_content(dump(status), "application/json");
    }));
    http.Get(R"(/api/jobs/([0-9a-f]{32})/events)", with_job([this](const httplib::Request& req, httplib::Response& res, auto job) {
        events(req, res, job);
    }));
    http.Get(R"(/api/jobs/([0-9a-f]{32})/result)", with_job([this](const httplib::Request&, httplib::Response& res, auto job) {
        if (!job->finished()) {
            nlohmann::json status = job->status();
            status["position"] = queue_->position(job->id());
            res.status = 202;
            res.set_header("Retry-After", "1");
            return res.set_content(dump(status), "application/json");
        }
        const JobOutcome outcome = job->outcome();
        res.status = outcome.status;
        res.set_content(outcome.body, outcome.content_type.c_str());
    }));
    http.Delete(R"(/api/jobs/([0-9a-f]{32}))", with_job([this](const httplib::Request&, httplib::Response& res, auto job) {
        if (!queue_->cancel(job->id())) return set_error(res, 409, "job " + job->id() + " already finished");
        nlohmann::json status = job->status();
        status["cancel_requested"] = true;
        res.set_content(dump(status), "application/json");
    }));
    http.Options(".*", [](const httplib::Request&, httplib::Response& res) {
        // Preflights from listed origins were answered in admit(); anyone else learns nothing here.
        res.status = 204;
    });
}

}  // namespace ganvas::serve
