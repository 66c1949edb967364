#include "ganvas/models/registry.h"

#include "ganvas/core/error.h"

#include <fmt/format.h>
#include <torch/nn/functional/upsampling.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <stdexcept>

namespace ganvas {

std::vector<ModelDescriptor> builtin_models();  // builtin_models.cpp

namespace {

struct Registry {
    std::mutex mutex;
    std::map<std::string, std::unique_ptr<ModelDescriptor>> models;  // stable addresses

    Registry() {
        for (auto& d : builtin_models()) {
            const std::string name = d.name;
            models.emplace(name, std::make_unique<ModelDescriptor>(std::move(d)));
        }
    }
};

Registry& registry() {
    static Registry r;  // the built-in models on first use
    return r;
}

const OptionSpec* find_spec(const std::vector<OptionSpec>& specs, const std::string& key) {
    auto it = std::find_if(specs.begin(), specs.end(), [&](const OptionSpec& s) { return s.key == key; });
    return it == specs.end() ? nullptr : &*it;
}

nlohmann::json specs_json(const std::vector<OptionSpec>& specs) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& s : specs) {
        nlohmann::json o{{"key", s.key}, {"type", to_string(s.type)}, {"default", s.default_value}, {"help", s.help}};
        if (!s.flag.empty()) o["flag"] = s.flag;
        out.push_back(o);
    }
    return out;
}

}  // namespace

const char* to_string(MetricSet metrics) {
    switch (metrics) {
        case MetricSet::Colorization: return "colorization";
        case MetricSet::Paired: return "paired";
    }
    return "?";
}

std::string sample_output_name(int64_t k, int64_t samples) {
    return samples == 1 ? "output" : "output_" + std::to_string(k);
}

const OptionSpec* ModelDescriptor::find_option(const std::string& key) const { return find_spec(options, key); }
const OptionSpec* ModelDescriptor::find_parameter(const std::string& key) const { return find_spec(parameters, key); }

nlohmann::json ModelDescriptor::to_json() const {
    nlohmann::json inputs_json = nlohmann::json::array();
    for (const auto& i : inputs) {
        inputs_json.push_back({{"name", i.name}, {"help", i.help}, {"required", i.required}, {"each_file", i.each_file}});
    }
    nlohmann::json variants_json = nlohmann::json::array();
    for (const auto& v : eval_variants) variants_json.push_back({{"name", v.name}, {"parameters", v.parameters}, {"help", v.help}});
    const TrainDefaults d = train_defaults ? train_defaults(default_options(options)) : TrainDefaults{};
    return {{"name", name},
            {"summary", summary},
            {"reference", reference},
            {"options", specs_json(options)},
            {"inputs", inputs_json},
            {"parameters", specs_json(parameters)},
            {"guide_outputs", guide_outputs},
            {"metrics", to_string(metrics)},
            {"eval_variants", variants_json},
            {"image_size", image_size},
            {"train_defaults", {{"steps", d.steps}, {"epochs", d.epochs}, {"batch", d.batch}}}};
}

std::string ModelDescriptor::help() const {
    std::string out = fmt::format("{}: {}\n  {}\n\nInputs (ganvas translate: the first is the positional input, "
                                  "others --input NAME=PATH):\n",
                                  name, summary, reference);
    for (const auto& i : inputs) out += fmt::format("  {:<10} {}{}\n", i.name, i.help, i.required ? "" : " (optional)");
    if (!parameters.empty()) {
        out += "Parameters of a request (translate flags --class, --samples, --seed; --param KEY=VALUE):\n";
        out += options_table(parameters);
    }
    const TrainDefaults d = train_defaults ? train_defaults(default_options(options)) : TrainDefaults{};
    out += fmt::format("Training defaults: {}, batch {}, {} px; eval metrics: {}\n",
                       d.steps > 0 ? fmt::format("{} steps", d.steps) : fmt::format("{} epochs", d.epochs), d.batch,
                       image_size, to_string(metrics));
    out += "Options (flag where it has one, else --set KEY=VALUE):\n" + options_table(options);
    return out;
}

void register_model(ModelDescriptor descriptor) {
    if (!descriptor.create || descriptor.inputs.empty() || descriptor.name.empty()) {
        throw std::logic_error("model descriptor '" + descriptor.name + "' needs a name, inputs and create");
    }
    auto& r = registry();
    std::lock_guard<std::mutex> lock(r.mutex);
    if (r.models.count(descriptor.name)) throw UsageError("a model named '" + descriptor.name + "' is already registered");
    const std::string name = descriptor.name;
    r.models.emplace(name, std::make_unique<ModelDescriptor>(std::move(descriptor)));
}

std::vector<std::string> model_names() {
    auto& r = registry();
    std::lock_guard<std::mutex> lock(r.mutex);
    std::vector<std::string> names;
    for (const auto& [name, d] : r.models) names.push_back(name);
    return names;
}

const ModelDescriptor& model_descriptor(const std::string& name) {
    auto& r = registry();
    {
        std::lock_guard<std::mutex> lock(r.mutex);
        if (auto it = r.models.find(name); it != r.models.end()) return *it->second;
    }
    std::string known;
    for (const auto& n : model_names()) known += (known.empty() ? "" : ", ") + n;
    throw UsageError("--model: '" + name + "' is not a model (known: " + known + ")");
}

std::unique_ptr<GanModel> make_model(const std::string& name, const nlohmann::json& options) {
    const ModelDescriptor& d = model_descriptor(name);
    const nlohmann::json given = options.is_null() ? nlohmann::json::object() : options;
    check_options(name, d.options, given, d.legacy_options);
    return d.create(given);
}

std::unique_ptr<GanModel> load_model(const LoadedCheckpoint& checkpoint, const Placement& placement) {
    std::unique_ptr<GanModel> model;
    try {
        model = make_model(checkpoint.header.model, checkpoint.header.options);
    } catch (const UsageError& e) {
        throw Error("checkpoint " + checkpoint.path.string() + " has invalid options: " + e.what());
    }
    try {
        model->load(*checkpoint.archive);
    } catch (const c10::Error& e) {
        throw Error("checkpoint " + checkpoint.path.string() + " does not fit a " + checkpoint.header.model +
                    " model: " + e.what_without_backtrace());
    } catch (const UsageError&) {
        throw;
    } catch (const Error& e) {
        throw Error("checkpoint " + checkpoint.path.string() + " does not fit a " + checkpoint.header.model +
                    " model: " + e.what());
    }
    model->place(placement);
    return model;
}

void check_request(const ModelDescriptor& d, const InferenceRequest& request) {
    int64_t n = -1;
    for (const auto& [name, images] : request.inputs) {
        if (std::none_of(d.inputs.begin(), d.inputs.end(), [&](const InputSpec& i) { return i.name == name; })) {
            std::string known;
            for (const auto& i : d.inputs) known += (known.empty() ? "" : ", ") + i.name;
            throw UsageError("input '" + name + "': a " + d.name + " model takes " + known);
        }
        if (!images.defined() || images.dim() != 4 || images.size(1) != 3 || images.size(0) < 1) {
            throw UsageError("input '" + name + "': expected images [N, 3, H, W]");
        }
        if (n >= 0 && images.size(0) != n) throw UsageError("input '" + name + "': every input needs the same N");
        n = images.size(0);
    }
    for (const auto& i : d.inputs) {
        if (i.required && !request.inputs.count(i.name)) {
            throw UsageError("input '" + i.name + "' is required by a " + d.name + " model (" + i.help + ")");
        }
    }
    check_options(d.name + " request", d.parameters, request.parameters);
    if (request.samples < 1 || request.samples > InferenceRequest::kMaxSamples) {
        throw UsageError("samples: 1 to " + std::to_string(InferenceRequest::kMaxSamples) + ", got " +
                         std::to_string(request.samples));
    }
}

InferenceResult GanModel::infer(const InferenceRequest& request) {
    check_request(model_descriptor(name()), request);
    torch::InferenceMode guard;
    return run_inference(request);
}

torch::Tensor GanModel::to_input_size(const torch::Tensor& output, const torch::Tensor& full_input) const {
    namespace F = torch::nn::functional;
    const std::vector<int64_t> size{full_input.size(-2), full_input.size(-1)};
    if (output.size(-2) == size[0] && output.size(-1) == size[1]) return output;
    return F::interpolate(output.unsqueeze(0), F::InterpolateFuncOptions().size(size).mode(torch::kBicubic).align_corners(false))
        .squeeze(0)
        .clamp(0.0, 1.0);
}

}  // namespace ganvas
