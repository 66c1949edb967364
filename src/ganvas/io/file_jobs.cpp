#include "ganvas/io/file_jobs.h"

#include "ganvas/core/error.h"
#include "ganvas/core/image.h"

#include <map>
#include <set>

namespace ganvas {
namespace fs = std::filesystem;

namespace {

// The path with every link that exists resolved (the rest kept lexically).
fs::path resolved(const fs::path& path) {
    std::error_code ec;
    fs::path r = fs::weakly_canonical(fs::absolute(path, ec), ec);
    return ec ? fs::absolute(path).lexically_normal() : r;
}

bool is_under(const fs::path& path, const fs::path& dir) {
    const fs::path rel = path.lexically_relative(dir);
    return !rel.empty() && *rel.begin() != "..";
}

}  // namespace

std::vector<OutputJob> plan_outputs(const std::vector<fs::path>& inputs, const fs::path& out_dir,
                                    const std::string& ext, bool check) {
    std::vector<OutputJob> jobs;
    std::error_code ec;
    for (const auto& input : inputs) {
        if (!fs::exists(input, ec)) throw Error("input " + input.string() + " does not exist");
        if (fs::is_directory(input, ec)) {
            for (const auto& file : list_images(input)) {
                // Lexical: the listing reaches `file` from `input`, so no link is resolved here.
                const fs::path rel = file.lexically_relative(input);
                if (rel.empty() || *rel.begin() == "..") {
                    throw Error("input " + file.string() + " is not inside " + input.string());
                }
                jobs.push_back({file, (out_dir / rel).replace_extension(ext), rel});
            }
        } else {
            jobs.push_back({input, (out_dir / input.filename()).replace_extension(ext), input.filename()});
        }
    }
    if (!check) return jobs;
    std::vector<fs::path> outputs, files;
    for (const auto& job : jobs) {
        outputs.push_back(job.output);
        files.push_back(job.input);
    }
    check_output_paths(outputs, files, out_dir);
    return jobs;
}

void check_output_paths(const std::vector<fs::path>& outputs, const std::vector<fs::path>& inputs,
                        const fs::path& out_dir) {
    const fs::path root = resolved(out_dir);
    std::set<fs::path> input_set;
    for (const auto& input : inputs) input_set.insert(resolved(input));
    std::map<fs::path, fs::path> written;  // resolved output -> as planned
    for (const auto& output : outputs) {
        const fs::path r = resolved(output);
        if (!is_under(r, root)) {
            throw Error("output " + output.string() + " would be written outside --out " + out_dir.string() +
                        " (to " + r.string() + ", through a link); choose another --out");
        }
        if (input_set.count(r)) {
            throw Error("output " + output.string() + " would overwrite an input of this run; choose another --out");
        }
        const auto [it, fresh] = written.emplace(r, output);
        if (!fresh) {
            throw Error("outputs " + it->second.string() + " and " + output.string() +
                        " are the same file (two inputs differ only in their extension?); rename one or run them apart");
        }
    }
}

fs::path sample_path(const fs::path& output, int64_t k, int64_t samples) {
    if (samples == 1) return output;
    fs::path path = output;
    path.replace_filename(output.stem().string() + "_" + std::to_string(k) + output.extension().string());
    return path;
}

}  // namespace ganvas
