// One predictor for every front end (`ganvas translate` / `colorize`, the server, benchmarks):
// 8-bit RGB images in and out around a loaded model's infer(). Resizing to the model's input size,
// AB halves and back to the input's size live here, once.
#pragma once
#include "ganvas/io/file_jobs.h"
#include "ganvas/models/gan_model.h"
#include "ganvas/models/registry.h"

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace ganvas {

enum class AbHalf { Left, Right };

// --ab: "" (whole images), left, right, or auto (the model's input side); UsageError naming --ab.
std::optional<AbHalf> parse_ab_half(const std::string& value, const GanModel& model);

struct ImageRequest {
    std::map<std::string, cv::Mat> inputs;  // name -> 8-bit RGB; the main input under its name
    nlohmann::json parameters = nlohmann::json::object();
    uint64_t seed = 0;
    int64_t samples = 1;
    std::optional<AbHalf> ab_half;  // the main input is an AB image: take this half
    bool keep_size = false;         // outputs back at the main input's size
};

struct ImageResult {
    std::vector<std::pair<std::string, cv::Mat>> outputs;  // as InferenceResult, 8-bit RGB
};

class Predictor {
public:
    explicit Predictor(std::shared_ptr<GanModel> model);

    GanModel& model() { return *model_; }
    const ModelDescriptor& descriptor() const { return descriptor_; }

    // Thread-safe as GanModel::infer: concurrent calls give what serial calls give.
    ImageResult run(const ImageRequest& request);

private:
    std::shared_ptr<GanModel> model_;
    const ModelDescriptor& descriptor_;
};

struct FileRequest {
    ImageRequest image;  // parameters, seed, samples, AB half, keep size (inputs filled per file)
    // Inputs beside the main one: a file used for every job, or a folder holding a file of the same
    // relative path and stem (any image extension) for each job.
    std::map<std::string, std::filesystem::path> extra_inputs;
    // Where an input marked each_file is given a folder: every main input is run with every image
    // in it (outputs <name>_<file stem>.png), and a contact sheet of the first outputs (line: main
    // input, then one column per file) is written here when set.
    std::filesystem::path contact_sheet;
    // The output folder: when set, every file the run would write is checked first against it and
    // against every input (check_output_paths).
    std::filesystem::path out_dir;
};

// Every job in turn with a progress bar labelled `label`: sample k of K goes to
// sample_path(job.output, k, K). A failing file is named in the summary and skipped.
BatchSummary predict_files(Predictor& predictor, const std::vector<OutputJob>& jobs, const FileRequest& request,
                           const std::string& label = "translate");

}  // namespace ganvas
