#include "ganvas/train/run_log.h"

#include "ganvas/core/atomic_file.h"
#include "ganvas/core/error.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <sstream>

namespace ganvas {
namespace fs = std::filesystem;

namespace {
constexpr int kFixedColumns = 4;

std::vector<std::string> split_csv(const std::string& line) {
    std::vector<std::string> cells;
    std::stringstream ss(line);
    std::string cell;
    while (std::getline(ss, cell, ',')) cells.push_back(cell);
    return cells;
}
}  // namespace

std::pair<std::vector<std::string>, std::vector<LossRow>> LossLog::read(const fs::path& path) {
    std::ifstream in(path);
    if (!in) throw Error("cannot read loss log " + path.string());
    std::string line;
    std::vector<std::string> names;
    std::vector<LossRow> rows;
    if (!std::getline(in, line)) return {names, rows};
    auto header = split_csv(line);
    if (header.size() < kFixedColumns || header[0] != "step") {
        throw Error("loss log " + path.string() + " has no valid header");
    }
    names.assign(header.begin() + kFixedColumns, header.end());
    while (std::getline(in, line)) {
        auto cells = split_csv(line);
        if (cells.size() != header.size()) break;  // a line cut short by a kill
        try {
            LossRow row;
            row.step = std::stoll(cells[0]);
            row.epoch = std::stoll(cells[1]);
            row.seconds = std::stod(cells[2]);
            row.images_per_second = std::stod(cells[3]);
            for (size_t i = kFixedColumns; i < cells.size(); ++i) row.values.push_back(std::stod(cells[i]));
            rows.push_back(std::move(row));
        } catch (const std::exception&) {
            break;
        }
    }
    return {names, rows};
}

LossLog::LossLog(fs::path path, int64_t keep_until_step) : path_(std::move(path)) {
    std::error_code ec;
    if (fs::exists(path_, ec)) {
        auto [names, rows] = read(path_);
        names_ = names;
        std::string text;
        if (!names_.empty()) {
            text = "step,epoch,seconds,images_per_s";
            for (const auto& n : names_) text += "," + n;
            text += "\n";
            for (const auto& r : rows) {
                if (r.step > keep_until_step) break;
                text += fmt::format("{},{},{:.3f},{:.3f}", r.step, r.epoch, r.seconds, r.images_per_second);
                for (double v : r.values) text += fmt::format(",{:.9g}", v);
                text += "\n";
            }
        }
        write_file_atomic(path_, text);
    }
    out_.open(path_, std::ios::app);
    if (!out_) throw Error("cannot write loss log " + path_.string());
}

void LossLog::append(const LossRow& row, const NamedValues& losses) {
    if (names_.empty()) {
        for (const auto& [name, value] : losses) names_.push_back(name);
        out_ << "step,epoch,seconds,images_per_s";
        for (const auto& n : names_) out_ << "," << n;
        out_ << "\n";
    }
    // A row with other columns than the header would shift every later reading of the file.
    bool same = losses.size() == names_.size();
    for (size_t i = 0; same && i < losses.size(); ++i) same = losses[i].first == names_[i];
    if (!same) throw Error("loss log " + path_.string() + ": this step's losses do not match the file's columns");
    out_ << fmt::format("{},{},{:.3f},{:.3f}", row.step, row.epoch, row.seconds, row.images_per_second);
    for (const auto& [name, value] : losses) out_ << fmt::format(",{:.9g}", value);
    out_ << "\n";
    out_.flush();
    if (!out_) throw Error("cannot append to loss log " + path_.string() + ": " + std::strerror(errno) + " (disk full?)");
}

}  // namespace ganvas
