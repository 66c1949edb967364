// `ganvas models`: the registered models, from their descriptors. `ganvas export`: a checkpoint
// reduced to what inference needs, for shipping and serving.
#include "commands.h"
#include "ganvas/infer/export.h"
#include "ganvas/models/registry.h"

#include <fmt/format.h>

#include <iostream>
#include <memory>

namespace ganvas::cli {

namespace {
void register_export(CLI::App& app);
}

// `models` and, beside it, `export`.
void register_models(CLI::App& app) {
    register_export(app);
    struct Flags {
        std::string name;
        bool json = false;
        bool names = false;
    };
    auto flags = std::make_shared<Flags>();
    auto* cmd = app.add_subcommand("models", "list the models: inputs, parameters, options, defaults, metrics");
    cmd->add_option("name", flags->name, "one model: its whole description");
    cmd->add_flag("--json", flags->json, "as JSON, for programs");
    cmd->add_flag("--names", flags->names, "the names only, one per line, for scripts");
    cmd->callback([flags] {
        std::vector<std::string> names = flags->name.empty() ? model_names() : std::vector<std::string>{flags->name};
        if (flags->names) {
            for (const auto& n : names) std::cout << n << "\n";
            return;
        }
        if (flags->json) {
            nlohmann::json out = nlohmann::json::array();
            for (const auto& n : names) out.push_back(model_descriptor(n).to_json());
            std::cout << (flags->name.empty() ? out : out.front()).dump(2) << "\n";
            return;
        }
        if (!flags->name.empty()) {
            std::cout << model_descriptor(flags->name).help();
            return;
        }
        for (const auto& n : names) {
            const auto& d = model_descriptor(n);
            std::string inputs;
            for (const auto& i : d.inputs) inputs += (inputs.empty() ? "" : ", ") + i.name + (i.required ? "" : "?");
            std::cout << fmt::format("{:<12} {}\n{:<12} inputs: {}; metrics: {}\n", n, d.summary, "", inputs,
                                     to_string(d.metrics));
        }
        std::cout << "\nganvas models NAME (or ganvas train --model NAME --help) shows a model's options.\n";
    });
}

namespace {
void register_export(CLI::App& app) {
    struct Flags {
        std::string checkpoint, out;
        bool half = false;
        std::vector<std::string> set;  // KEY=VALUE
    };
    auto flags = std::make_shared<Flags>();
    auto* cmd = app.add_subcommand(
        "export", "write a model for inference only (no discriminator, no optimizer state), optionally float16");
    cmd->add_option("--checkpoint", flags->checkpoint, "a checkpoint file or run folder")->required();
    cmd->add_option("--out", flags->out, "the exported file (NAME.pt; `ganvas serve --models DIR` serves it as NAME)")
        ->required();
    cmd->add_flag("--half", flags->half, "store weights as float16 (half the size; computed in float32)");
    cmd->add_option("--set", flags->set,
                    "KEY=VALUE: an option that only changes how the weights are decoded (a colorizer's "
                    "decode_temperature; see ganvas models)");
    cmd->callback([flags] {
        nlohmann::json decode = nlohmann::json::object();
        for (const auto& pair : flags->set) apply_key_value(pair, decode, "--set");
        const ExportSummary s = export_model(flags->checkpoint, flags->out, flags->half, decode);
        std::cout << fmt::format("exported {} (step {}) to {}: {:.2f} MB (source {:.2f} MB); outputs within {} of "
                                 "the source's (8-bit levels)\n",
                                 s.model, s.step, flags->out, s.bytes / 1e6, s.source_bytes / 1e6, s.max_difference);
    });
}
}  // namespace

}  // namespace ganvas::cli
