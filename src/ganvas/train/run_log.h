// The loss log of a run directory: losses.csv, one row per logged step.
#pragma once
#include "ganvas/models/gan_model.h"

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

namespace ganvas {

struct LossRow {
    int64_t step = 0;
    int64_t epoch = 0;
    double seconds = 0.0;           // wall time since the run began (resumed runs continue it)
    double images_per_second = 0.0;
    std::vector<double> values;     // in the order of LossLog::names()
};

class LossLog {
public:
    // Opens <run>/losses.csv for appending. Rows after `keep_until_step` (those written after the
    // checkpoint a run resumes from) are dropped first; so are incomplete last lines.
    LossLog(std::filesystem::path path, int64_t keep_until_step);
    void append(const LossRow& row, const NamedValues& losses);
    const std::filesystem::path& path() const { return path_; }

    // Reads a loss log: column names (after step, epoch, seconds, images_per_s) and rows.
    static std::pair<std::vector<std::string>, std::vector<LossRow>> read(const std::filesystem::path& path);

private:
    std::filesystem::path path_;
    std::vector<std::string> names_;
    std::ofstream out_;
};

}  // namespace ganvas
