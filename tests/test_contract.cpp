// The model contract (registry.h, gan_model.h): a model registered from here goes through the same
// library calls as the CLI; every registered model round-trips through a checkpoint; a loaded model
// serves concurrent requests exactly as serial ones.
#include "test_util.h"

#include "ganvas/core/checkpoint.h"
#include "ganvas/core/error.h"
#include "ganvas/core/image.h"
#include "ganvas/eval/evaluate_model.h"
#include "ganvas/infer/export.h"
#include "ganvas/infer/predictor.h"
#include "ganvas/models/network_set.h"
#include "ganvas/models/registry.h"
#include "ganvas/nn/inference_context.h"
#include "ganvas/nn/optimizer.h"
#include "ganvas/train/trainer.h"

#include <torch/torch.h>

#include <atomic>
#include <thread>

namespace ganvas {
namespace fs = std::filesystem;
using test::TempDir;

namespace {

// --- A toy model, registered by the test suite ------------------------------------------------
// Learns to invert colors with a 1x1 convolution, plus noise of `noise` amplitude drawn from the
// request's generator (so that seeds and samples matter); an optional second input, "tint", pulls
// the output halfway toward it (the path a style image takes).

std::vector<OptionSpec> toy_specs() {
    return {{"noise", OptionType::Float, 0.05, "amplitude of the per-request noise"},
            {"lr", OptionType::Float, 0.05, "Adam learning rate", "--toy-lr"}};
}

// Reads a photo; the target is its color inverse.
class InvertDataset final : public Dataset {
public:
    explicit InvertDataset(std::vector<fs::path> files) : files_(std::move(files)) {}
    size_t size() const override { return files_.size(); }
    Example get(size_t index, uint64_t) const override {
        Example ex;
        ex.input = image_to_tensor(resize_square(read_image_rgb(files_[index]), 16));
        ex.target = 1.0 - ex.input;
        return ex;
    }
    std::string describe(size_t index) const override { return files_[index].string(); }

private:
    std::vector<fs::path> files_;
};

class ToyModel final : public GanModel {
public:
    static constexpr const char* kName = "toy_invert";

    explicit ToyModel(const nlohmann::json& options)
        : noise_(options.value("noise", 0.05)), lr_(options.value("lr", 0.05)) {
        net_ = torch::nn::Conv2d(torch::nn::Conv2dOptions(3, 3, 1));
        AdamConfig config;
        config.lr = lr_;
        opt_ = std::make_unique<Optimizer>(net_->parameters(), config, AdamKind::Stock);
        parts_.add_network("G", *net_);
        parts_.add_optimizer("opt_G", *opt_);
        parts_.set_training(false);
    }
    std::string name() const override { return kName; }
    nlohmann::json options_json() const override { return {{"noise", noise_}, {"lr", lr_}}; }
    std::shared_ptr<Dataset> make_dataset(std::vector<fs::path> files, bool) const override {
        return std::make_shared<InvertDataset>(std::move(files));
    }
    void place(const Placement& p) override {
        placement_ = p;
        parts_.place(p);
    }
    const Placement& placement() const override { return placement_; }
    NamedValues train_step(const Batch& batch) override {
        TrainingModeGuard training(parts_);
        opt_->zero_grad();
        auto loss = (torch::sigmoid(net_(batch.input)) - batch.target).abs().mean();
        loss.backward();
        opt_->step();
        return {{"l1", loss.item<double>()}};
    }
    std::vector<Visual> visuals(const Batch& batch) override {
        torch::InferenceMode guard;
        return {{"input", batch.input.cpu()}, {"output", torch::sigmoid(net_(batch.input)).cpu()}};
    }
    void save(torch::serialize::OutputArchive& a) const override { parts_.save(a); }
    void load(torch::serialize::InputArchive& a) override { parts_.load(a); }
    int64_t parameter_count() const override { return parts_.parameter_count(); }

protected:
    InferenceResult run_inference(const InferenceRequest& request) override {
        const auto input = request.inputs.at("image").to(placement_.device);
        auto generator = make_cpu_generator(request.seed);
        InferenceResult result;
        for (int64_t k = 0; k < request.samples; ++k) {
            auto noise = torch::randn(input.sizes(), generator, torch::kFloat) * noise_;
            auto out = torch::sigmoid(net_(input)).cpu() + noise;
            // The optional second input shifts the output toward it (a stand-in for a style image).
            if (auto tint = request.inputs.find("tint"); tint != request.inputs.end()) {
                out = out + 0.5 * (tint->second.cpu() - out);
            }
            out = out.clamp(0, 1);
            result.outputs.push_back({sample_output_name(k, request.samples), out});
        }
        return result;
    }

private:
    double noise_, lr_;
    Placement placement_;
    torch::nn::Conv2d net_{nullptr};
    std::unique_ptr<Optimizer> opt_;
    NetworkSet parts_;
};

void register_toy_once() {
    static const bool registered = [] {
        ModelDescriptor d;
        d.name = ToyModel::kName;
        d.summary = "test model: inverts colors";
        d.reference = "tests/test_contract.cpp";
        d.options = toy_specs();
        d.image_size = 16;
        d.train_defaults = [](const nlohmann::json&) { return TrainDefaults{10, 0, 4}; };
        d.inputs = {{"image", "a photo"}, {"tint", "an image the output leans toward", /*required=*/false}};
        d.metrics = MetricSet::Paired;
        d.create = [](const nlohmann::json& o) { return std::make_unique<ToyModel>(o); };
        register_model(std::move(d));
        return true;
    }();
    (void)registered;
}

// Options small enough for every model to run in a test; empty for the toy.
nlohmann::json small_options(const std::string& model) {
    if (model == "colorizer") return test::tiny_colorizer_options().to_json();
    if (model == "pix2pix") {
        return {{"netG", "unet_128"}, {"ngf", 4}, {"ndf", 4}, {"load_size", 140}, {"crop_size", 128}};
    }
    if (model == "sketchygan") {
        return {{"width", 0.25}, {"lambda_perceptual", 0}, {"classes", {"cat", "dog"}}};
    }
    if (model == "style2paints") {
        return {{"image_size", 32}, {"ngf", 4}, {"ndf", 4}, {"hint_width", 16}, {"middle_blocks", 1}};
    }
    return nlohmann::json::object();
}

int64_t request_size(const GanModel& model) { return model.input_size() > 0 ? model.input_size() : 32; }

InferenceRequest random_request(const ModelDescriptor& d, const GanModel& model, uint64_t seed, int64_t n = 2) {
    InferenceRequest r;
    const int64_t s = request_size(model);
    for (const auto& input : d.inputs) {
        r.inputs[input.name] = torch::rand({n, 3, s, s}, make_cpu_generator(seed * 31 + 7));
    }
    r.seed = seed;
    r.samples = 2;
    return r;
}

void expect_same_outputs(const InferenceResult& a, const InferenceResult& b, const std::string& what) {
    ASSERT_EQ(a.outputs.size(), b.outputs.size()) << what;
    for (size_t i = 0; i < a.outputs.size(); ++i) {
        EXPECT_EQ(a.outputs[i].name, b.outputs[i].name) << what;
        EXPECT_TRUE(torch::equal(a.outputs[i].images, b.outputs[i].images))
            << what << ": output " << a.outputs[i].name << " differs";
    }
}

}  // namespace

TEST(Contract, AToyModelGoesThroughTheLibraryCallsOfTheCli) {
    register_toy_once();
    TempDir data, runs, outs;
    test::write_tiny_images(data.path(), 24);
    const fs::path run = runs / "toy";

    // Train (a fresh run from the descriptor's defaults), then resume it to a longer run.
    const auto& d = model_descriptor(ToyModel::kName);
    TrainRequest request;
    request.model = ToyModel::kName;
    request.model_options = default_options(d.options);
    request.train.data = data.path();
    request.train.out = run;
    request.train.steps = 6;
    request.train.batch = d.train_defaults(request.model_options).batch;
    request.train.checkpoint_every = 3;
    request.train.sample_every = 3;
    const TrainResult first = train(request);
    EXPECT_EQ(first.step, 6);
    TrainRequest resume;
    resume.train.out = run;
    resume.resume = true;
    resume.resume_steps = 40;
    EXPECT_EQ(train(resume).step, 40);

    // Reload, translate files through the predictor the CLI uses.
    auto loaded = load_checkpoint(run, ToyModel::kName);
    std::shared_ptr<GanModel> model = load_model(loaded, Placement{});
    EXPECT_EQ(model->name(), ToyModel::kName);
    Predictor predictor(model);
    std::vector<OutputJob> jobs = plan_outputs({data.path()}, outs.path());
    ASSERT_EQ(jobs.size(), 24u);
    FileRequest files;
    files.image.samples = 2;
    const BatchSummary summary = predict_files(predictor, jobs, files);
    EXPECT_EQ(summary.written, 48);
    EXPECT_TRUE(summary.failures.empty());
    const cv::Mat out0 = read_image_rgb(sample_path(jobs[0].output, 0, 2));
    const cv::Mat out1 = read_image_rgb(sample_path(jobs[0].output, 1, 2));
    EXPECT_GT(cv::norm(out0, out1, cv::NORM_L1), 0.0) << "two samples drew the same noise";

    // A second input: one file for every job, or a folder matched by relative path.
    const fs::path tinted = outs / "tinted", by_folder = outs / "by_folder";
    FileRequest with_file;
    with_file.extra_inputs["tint"] = jobs[1].input;
    EXPECT_EQ(predict_files(predictor, plan_outputs({data.path()}, tinted), with_file).written, 24);
    FileRequest with_folder;
    with_folder.extra_inputs["tint"] = data.path();  // each input tinted by itself
    EXPECT_EQ(predict_files(predictor, plan_outputs({data.path()}, by_folder), with_folder).written, 24);
    const cv::Mat plain = read_image_rgb(sample_path(jobs[2].output, 0, 2)), input2 = read_image_rgb(jobs[2].input);
    const cv::Mat toward_file = read_image_rgb(tinted / jobs[2].relative);
    const cv::Mat toward_self = read_image_rgb(by_folder / jobs[2].relative);
    EXPECT_LT(cv::norm(toward_self, input2, cv::NORM_L1), cv::norm(plain, input2, cv::NORM_L1));
    EXPECT_GT(cv::norm(toward_file, toward_self, cv::NORM_L1), 0.0);
    FileRequest missing;
    missing.extra_inputs["tint"] = data / "no_such_folder";
    EXPECT_THROW(predict_files(predictor, jobs, missing), UsageError);
    FileRequest unknown;
    unknown.extra_inputs["style"] = jobs[1].input;
    EXPECT_THROW(predict_files(predictor, jobs, unknown), UsageError);

    // Evaluate with its descriptor's metric set: it learnt to invert, far better than the input.
    const ModelEvaluation eval = evaluate_model(*model, model->data_files(data.path(), Split::All, {}), {});
    EXPECT_EQ(eval.metrics, MetricSet::Paired);
    EXPECT_EQ(eval.json["images"], 24);
    EXPECT_LT(eval.json["model"]["l1"].get<double>(), 0.5 * eval.json["input_as_output"]["l1"].get<double>());

    // Its options are checked like every model's.
    EXPECT_THROW(make_model(ToyModel::kName, {{"no_such_key", 1}}), UsageError);
    EXPECT_THROW(make_model(ToyModel::kName, {{"lr", "fast"}}), UsageError);
    EXPECT_THROW(register_model(model_descriptor(ToyModel::kName)), UsageError);  // name taken
}

TEST(Contract, EveryModelRoundTripsThroughACheckpoint) {
    register_toy_once();
    TempDir dir;
    for (const auto& name : model_names()) {
        SCOPED_TRACE(name);
        torch::manual_seed(5);
        const auto& d = model_descriptor(name);
        auto model = make_model(name, nlohmann::json::object());  // the descriptor's defaults
        model->place(Placement{});
        const fs::path file = dir / (name + ".pt");
        save_checkpoint(file, {name, model->options_json(), {}}, [&](auto& a) { model->save(a); });
        auto reloaded = load_model(load_checkpoint(file, name), Placement{});
        EXPECT_EQ(reloaded->options_json(), model->options_json());
        EXPECT_EQ(reloaded->parameter_count(), model->parameter_count());
        const auto request = random_request(d, *model, 11, /*n=*/1);
        expect_same_outputs(model->infer(request), reloaded->infer(request), name);
        // The same seed gives the same result; its samples are named by the contract.
        const auto again = reloaded->infer(request);
        expect_same_outputs(again, reloaded->infer(request), name + " (same seed)");
        EXPECT_EQ(again.outputs.at(0).name, sample_output_name(0, 2));
        EXPECT_EQ(again.outputs.at(1).name, sample_output_name(1, 2));
    }
}

TEST(Contract, EveryModelExportsForInferenceOnly) {
    TempDir dir;
    for (const auto& name : {"colorizer", "pix2pix", "sketchygan", "style2paints"}) {
        SCOPED_TRACE(name);
        torch::manual_seed(9);
        auto model = make_model(name, small_options(name));
        model->place(Placement{});
        const fs::path file = dir / (std::string(name) + ".pt");
        const nlohmann::json state = {{"step", 3}, {"epoch", 0}, {"examples_in_epoch", 3}, {"train", nlohmann::json::object()}};
        save_checkpoint(file, {name, model->options_json(), state}, [&](auto& a) { model->save(a); });

        const fs::path full = dir / (std::string(name) + "-f32.pt"), half = dir / (std::string(name) + "-f16.pt");
        const ExportSummary f32 = export_model(file, full, /*half=*/false);
        EXPECT_EQ(f32.step, 3);
        EXPECT_EQ(f32.max_difference, 0.0);
        EXPECT_LT(f32.bytes, f32.source_bytes);  // no discriminator, no optimizer moments
        const ExportSummary f16 = export_model(file, half, /*half=*/true);
        // These test networks are tiny (a file's per-tensor records weigh more than their data); the
        // shipped models halve (models/README.md).
        EXPECT_LT(f16.bytes, f32.bytes);
        EXPECT_LE(f16.max_difference, 4.0);  // 8-bit levels

        // The float32 export computes exactly what the run's checkpoint does, through the contract.
        const auto exported = load_checkpoint(full, name);
        auto reloaded = load_model(exported, Placement{});
        const auto request = random_request(model_descriptor(name), *model, 13, /*n=*/1);
        expect_same_outputs(model->infer(request), reloaded->infer(request), name);
        // Not a run to resume: the trainer's state check names the file and says why.
        try {
            read_training_state(exported.header, full);
            ADD_FAILURE() << "an exported model passed as a training state";
        } catch (const Error& e) {
            EXPECT_NE(std::string(e.what()).find("exported model"), std::string::npos) << e.what();
            EXPECT_NE(std::string(e.what()).find(full.string()), std::string::npos) << e.what();
        }
    }
    // Exporting onto the source itself is refused before anything is written.
    const fs::path source = dir / "colorizer.pt";
    const auto before = fs::file_size(source);
    EXPECT_THROW(export_model(source, source, true), UsageError);
    EXPECT_EQ(fs::file_size(source), before);
}

TEST(Contract, AHalfPrecisionPayloadWithAWrongShapeIsAnError) {
    TempDir dir;
    auto small = make_model("colorizer", small_options("colorizer"));
    small->place(Placement{});
    const fs::path file = dir / "small.pt";
    {
        ExportPayloadGuard guard(PayloadKind::InferenceHalf);
        save_checkpoint(file, {"colorizer", small->options_json(), {}}, [&](auto& a) { small->save(a); });
    }
    // Read as a colorizer of twice the widths: the loader names the mismatch instead of crashing.
    auto loaded = load_checkpoint(file, "colorizer");
    for (auto& w : loaded.header.options.at("widths")) w = w.get<int64_t>() * 2;
    try {
        load_model(loaded, Placement{});
        ADD_FAILURE() << "a payload of other shapes loaded";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("has shape"), std::string::npos) << e.what();
    }
}

TEST(Contract, DescriptorsAreCompleteAndTheirOptionsRoundTrip) {
    register_toy_once();
    for (const auto& name : model_names()) {
        SCOPED_TRACE(name);
        const auto& d = model_descriptor(name);
        EXPECT_FALSE(d.summary.empty());
        EXPECT_FALSE(d.inputs.empty());
        const TrainDefaults t = d.train_defaults(default_options(d.options));
        EXPECT_EQ((t.steps > 0) + (t.epochs > 0), 1);
        EXPECT_GT(t.batch, 0);
        // A model built from nothing writes exactly its schema's keys, and reads them back.
        auto model = make_model(name, nlohmann::json::object());
        const auto written = model->options_json();
        for (const auto& spec : d.options) EXPECT_TRUE(written.contains(spec.key)) << spec.key;
        EXPECT_EQ(written.size(), d.options.size());
        EXPECT_NO_THROW(check_options(name, d.options, written, d.legacy_options));
        EXPECT_EQ(make_model(name, written)->options_json(), written);
        // Unknown keys and wrong types are errors naming the key.
        try {
            make_model(name, {{"no_such_key", 1}});
            ADD_FAILURE() << "unknown key accepted";
        } catch (const UsageError& e) {
            EXPECT_NE(std::string(e.what()).find("no_such_key"), std::string::npos) << e.what();
        }
        const OptionSpec& first = d.options.front();
        nlohmann::json wrong;
        wrong[first.key] = nlohmann::json::array({nlohmann::json::object()});
        try {
            make_model(name, wrong);
            ADD_FAILURE() << "wrong type accepted for " << first.key;
        } catch (const UsageError& e) {
            EXPECT_NE(std::string(e.what()).find(first.key), std::string::npos) << e.what();
        }
        EXPECT_NO_THROW(nlohmann::json::parse(d.to_json().dump()));
        EXPECT_NE(d.help().find(first.key), std::string::npos);
    }
}

TEST(Contract, RequestsThatDoNotFitTheDescriptorAreUsageErrors) {
    auto model = make_model("colorizer", small_options("colorizer"));
    InferenceRequest r;
    EXPECT_THROW(model->infer(r), UsageError);  // the main input is missing
    r.inputs["gray"] = torch::rand({1, 3, 16, 16});
    r.inputs["style"] = torch::rand({1, 3, 16, 16});
    EXPECT_THROW(model->infer(r), UsageError);  // an input it does not take
    r.inputs.erase("style");
    r.parameters["no_such_parameter"] = 1;
    EXPECT_THROW(model->infer(r), UsageError);
    r.parameters = nlohmann::json::object();
    r.samples = 0;
    EXPECT_THROW(model->infer(r), UsageError);
    r.samples = 1;
    r.inputs["gray"] = torch::rand({1, 1, 16, 16});
    EXPECT_THROW(model->infer(r), UsageError);  // not RGB
    r.inputs["gray"] = torch::rand({1, 3, 16, 16});
    EXPECT_EQ(model->infer(r).outputs.size(), 1u);
}

// 4 threads on one loaded model: each request's output equals what a serial call gives, for every
// model (pix2pix with dropout and batch statistics at test time, as its test.py runs).
TEST(Contract, ConcurrentRequestsGiveTheSerialResults) {
    register_toy_once();
    for (const auto& name : model_names()) {
        SCOPED_TRACE(name);
        torch::manual_seed(3);
        auto options = small_options(name);
        if (name == "pix2pix") options["test_train_mode"] = true;
        auto model = make_model(name, options);
        model->place(Placement{});
        const auto& d = model_descriptor(name);
        constexpr int kThreads = 4, kPerThread = 3;
        std::vector<InferenceRequest> requests;
        for (int i = 0; i < kThreads * kPerThread; ++i) requests.push_back(random_request(d, *model, 100 + i));
        std::vector<InferenceResult> serial;
        for (const auto& r : requests) serial.push_back(model->infer(r));
        // The global generator must not move: what it draws next is known.
        torch::manual_seed(3);
        const auto expected_draw = torch::rand({4});
        torch::manual_seed(3);
        std::vector<InferenceResult> parallel(requests.size());
        std::vector<std::thread> threads;
        std::atomic<int> errors{0};
        for (int t = 0; t < kThreads; ++t) {
            threads.emplace_back([&, t] {
                try {
                    for (int i = t; i < static_cast<int>(requests.size()); i += kThreads) {
                        parallel[static_cast<size_t>(i)] = model->infer(requests[static_cast<size_t>(i)]);
                    }
                } catch (...) {
                    ++errors;
                }
            });
        }
        for (auto& th : threads) th.join();
        ASSERT_EQ(errors.load(), 0);
        EXPECT_TRUE(torch::equal(torch::rand({4}), expected_draw)) << "inference drew from the global generator";
        for (size_t i = 0; i < requests.size(); ++i) {
            expect_same_outputs(serial[i], parallel[i], name + " request " + std::to_string(i));
        }
    }
}

}  // namespace ganvas
