// Batch jobs over image files and folders: the outputs of each input under an output folder, never
// over an input. Shared by `translate`, `colorize` and `edges`.
#pragma once
#include <filesystem>
#include <string>
#include <vector>

namespace ganvas {

struct OutputJob {
    std::filesystem::path input;
    std::filesystem::path output;
    std::filesystem::path relative;  // the input's path relative to the folder given (its name for a file)
};

// Inputs are files or folders (searched recursively). A folder's images keep their path relative
// to it; every output gets the extension `ext`. Throws Error naming a missing input, and, with
// `check`, check_output_paths' errors for these outputs (a caller that writes other names, such
// as several samples per input, checks those itself).
std::vector<OutputJob> plan_outputs(const std::vector<std::filesystem::path>& inputs,
                                    const std::filesystem::path& out_dir, const std::string& ext = ".png",
                                    bool check = true);

// Throws Error naming the output when one would land outside `out_dir` once links are resolved,
// would be one of `inputs` (all the run's inputs, collected before anything is written), or is
// the same file as another output.
void check_output_paths(const std::vector<std::filesystem::path>& outputs,
                        const std::vector<std::filesystem::path>& inputs, const std::filesystem::path& out_dir);

// The file of sample k of K for `output`: `<name>.png` itself for K = 1, else `<name>_<k>.png`.
std::filesystem::path sample_path(const std::filesystem::path& output, int64_t k, int64_t samples);

struct BatchSummary {
    int64_t written = 0;  // output files
    std::vector<std::string> failures;  // one message per failed file, naming it
};

}  // namespace ganvas
