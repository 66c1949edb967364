#include "ganvas/io/file_jobs.h"

#include "ganvas/core/error.h"
#include "ganvas/core/image.h"

namespace ganvas {
namespace fs = std::filesystem;

std::vector<OutputJob> plan_outputs(const std::vector<fs::path>& inputs, const fs::path& out_dir,
                                    const std::string& ext) {
    std::vector<OutputJob> jobs;
    std::error_code ec;
    for (const auto& input : inputs) {
        if (!fs::exists(input, ec)) throw Error("input " + input.string() + " does not exist");
        if (fs::is_directory(input, ec)) {
            for (const auto& file : list_images(input)) {
                fs::path rel = fs::relative(file, input, ec);
                jobs.push_back({file, (out_dir / rel).replace_extension(ext), rel});
            }
        } else {
            jobs.push_back({input, (out_dir / input.filename()).replace_extension(ext), input.filename()});
        }
    }
    for (const auto& job : jobs) {
        if (fs::exists(job.output, ec) && fs::equivalent(job.input, job.output, ec)) {
            throw Error("output " + job.output.string() + " would overwrite its input; choose another --out");
        }
    }
    return jobs;
}

fs::path sample_path(const fs::path& output, int64_t k, int64_t samples) {
    if (samples == 1) return output;
    fs::path path = output;
    path.replace_filename(output.stem().string() + "_" + std::to_string(k) + output.extension().string());
    return path;
}

}  // namespace ganvas
