#include "ganvas/eval/evaluate_model.h"
#include "ganvas/core/error.h"

namespace ganvas {

ModelEvaluation evaluate_model(GanModel& model, const std::vector<std::filesystem::path>& files,
                               const ModelEvalOptions& options) {
    ModelEvaluation out;
    out.metrics = model_descriptor(model.name()).metrics;
    switch (out.metrics) {
        case MetricSet::Colorization: {
            if (options.diversity > 0) {
                throw UsageError("--diversity is for paired models; " + model.name() + " is evaluated as colorization");
            }
            EvalOptions o;
            o.image_size = options.size;
            o.batch = options.batch;
            o.limit = options.limit;
            o.examples_dir = options.html_dir;
            o.examples = options.html_dir.empty() ? 0 : options.examples;
            o.realism_vgg = options.realism_vgg;
            o.realism_inception = options.realism_inception;
            o.parameters = options.parameters;
            const auto result = evaluate_colorization(model, files, o);
            out.json = result.to_json();
            out.table = result.table();
            break;
        }
        case MetricSet::Paired: {
            PairedEvalOptions o;
            o.limit = options.limit;
            o.size = options.size;
            o.html_dir = options.html_dir;
            o.seed = options.seed;
            o.diversity = options.diversity;
            o.realism_vgg = options.realism_vgg;
            o.realism_inception = options.realism_inception;
            o.parameters = options.parameters;
            const auto result = evaluate_paired(model, files, o);
            out.json = result.to_json();
            out.table = result.table();
            break;
        }
    }
    out.json["metric_set"] = to_string(out.metrics);
    if (!options.parameters.empty()) out.json["parameters"] = options.parameters;
    return out;
}

}  // namespace ganvas
