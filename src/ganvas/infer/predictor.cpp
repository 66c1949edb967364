#include "ganvas/infer/predictor.h"

#include "ganvas/core/error.h"
#include "ganvas/core/image.h"
#include "ganvas/core/progress.h"
#include "ganvas/data/paired.h"

#include <opencv2/imgproc.hpp>
#include <spdlog/spdlog.h>

namespace ganvas {
namespace fs = std::filesystem;

std::optional<AbHalf> parse_ab_half(const std::string& value, const GanModel& model) {
    if (value.empty()) return std::nullopt;
    if (value == "left") return AbHalf::Left;
    if (value == "right") return AbHalf::Right;
    if (value == "auto") return model.ab_input_is_right() ? AbHalf::Right : AbHalf::Left;
    throw UsageError("--ab: '" + value + "' is not one of auto, left, right");
}

Predictor::Predictor(std::shared_ptr<GanModel> model)
    : model_(std::move(model)), descriptor_(model_descriptor(model_->name())) {}

ImageResult Predictor::run(const ImageRequest& request) {
    const std::string& main = descriptor_.main_input().name;
    const auto found = request.inputs.find(main);
    if (found == request.inputs.end() || found->second.empty()) {
        throw UsageError("input '" + main + "' is required by a " + descriptor_.name + " model");
    }
    cv::Mat main_image = found->second;
    if (request.ab_half) {
        auto [left, right] = split_ab(main_image);
        main_image = *request.ab_half == AbHalf::Left ? left : right;
    }
    const int size = static_cast<int>(model_->input_size());
    InferenceRequest inference;
    inference.parameters = request.parameters;
    inference.seed = request.seed;
    inference.samples = request.samples;
    for (const auto& [name, image] : request.inputs) {
        cv::Mat sized = name == main ? main_image : image;
        if (sized.empty()) throw UsageError("input '" + name + "' is empty");
        if (size > 0 && (sized.rows != size || sized.cols != size)) {
            cv::resize(sized, sized, cv::Size(size, size), 0, 0, cv::INTER_CUBIC);
        }
        inference.inputs[name] = image_to_tensor(sized).unsqueeze(0);
    }
    const InferenceResult result = model_->infer(inference);
    ImageResult out;
    for (const auto& visual : result.outputs) {
        cv::Mat image = tensor_to_image(visual.images[0]);
        if (request.keep_size && (image.rows != main_image.rows || image.cols != main_image.cols)) {
            cv::resize(image, image, main_image.size(), 0, 0, cv::INTER_CUBIC);
        }
        out.outputs.emplace_back(visual.name, image);
    }
    return out;
}

namespace {

// The extra input of `job` from `source`: the file itself, or the file under the folder with the
// job's relative path and stem.
fs::path extra_input_for(const fs::path& source, const OutputJob& job, const std::string& name) {
    std::error_code ec;
    if (!fs::is_directory(source, ec)) return source;
    const fs::path folder = source / job.relative.parent_path();
    const std::string stem = job.relative.stem().string();
    if (fs::is_directory(folder, ec)) {
        for (const auto& entry : fs::directory_iterator(folder, ec)) {
            if (entry.path().stem() == stem && has_image_extension(entry.path())) return entry.path();
        }
    }
    throw Error("--input " + name + "=" + source.string() + ": no image " +
                (job.relative.parent_path() / stem).string() + ".* for " + job.input.string());
}

}  // namespace

BatchSummary predict_files(Predictor& predictor, const std::vector<OutputJob>& jobs, const FileRequest& request,
                           const std::string& label) {
    std::error_code ec;
    for (const auto& [name, source] : request.extra_inputs) {
        if (!fs::exists(source, ec)) throw UsageError("--input " + name + "=" + source.string() + ": no such file or folder");
    }
    const std::string& main = predictor.descriptor().main_input().name;
    BatchSummary summary;
    Progress progress(label, static_cast<int64_t>(jobs.size()));
    for (size_t i = 0; i < jobs.size(); ++i) {
        const OutputJob& job = jobs[i];
        try {
            ImageRequest image = request.image;
            image.inputs[main] = read_image_rgb(job.input);
            for (const auto& [name, source] : request.extra_inputs) {
                image.inputs[name] = read_image_rgb(extra_input_for(source, job, name));
            }
            const ImageResult result = predictor.run(image);
            for (int64_t k = 0; k < image.samples; ++k) {
                write_image_rgb(sample_path(job.output, k, image.samples), result.outputs[static_cast<size_t>(k)].second);
                ++summary.written;
            }
        } catch (const UsageError&) {
            throw;  // the request itself is wrong: every file would fail the same way
        } catch (const Error& e) {
            summary.failures.push_back(e.what());
            spdlog::error("{}", e.what());
        }
        progress.update(static_cast<int64_t>(i + 1));
    }
    progress.finish();
    return summary;
}

}  // namespace ganvas
