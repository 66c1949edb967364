// `ganvas compare`: one loss column of several runs on common axes (an ablation's curves side by
// side), as an SVG or an HTML page.
#include "commands.h"
#include "ganvas/core/atomic_file.h"
#include "ganvas/core/error.h"
#include "ganvas/eval/html_report.h"
#include "ganvas/train/run_log.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <memory>

namespace ganvas::cli {
namespace {
namespace fs = std::filesystem;

struct CompareFlags {
    std::vector<std::string> runs;
    std::vector<std::string> labels;
    std::string column;
    std::string out;
    std::string title;
    bool log_y = false;
};

void run(const CompareFlags& f) {
    if (!f.labels.empty() && f.labels.size() != f.runs.size()) {
        throw UsageError("--label: give one per run (" + std::to_string(f.runs.size()) + "), or none");
    }
    const fs::path out = f.out;
    const std::string ext = out.extension().string();
    if (ext != ".svg" && ext != ".html") throw UsageError("--out: " + f.out + " must end in .svg or .html");
    std::vector<PlotSeries> series;
    for (size_t i = 0; i < f.runs.size(); ++i) {
        const fs::path csv = fs::path(f.runs[i]) / "losses.csv";
        std::error_code ec;
        if (!fs::exists(csv, ec)) throw UsageError("run " + f.runs[i] + " has no losses.csv");
        const auto [names, rows] = LossLog::read(csv);
        const auto it = std::find(names.begin(), names.end(), f.column);
        if (it == names.end()) {
            std::string known;
            for (const auto& n : names) known += (known.empty() ? "" : ", ") + n;
            throw UsageError("--column: " + csv.string() + " has no column '" + f.column + "' (columns: " + known + ")");
        }
        PlotSeries s;
        s.name = f.labels.empty() ? fs::path(f.runs[i]).filename().string() : f.labels[i];
        const size_t column = static_cast<size_t>(it - names.begin());
        for (const auto& row : rows) {
            s.x.push_back(static_cast<double>(row.step));
            s.y.push_back(row.values.at(column));
        }
        series.push_back(std::move(s));
    }
    const std::string svg = svg_series_plot(f.title.empty() ? f.column : f.title, series, 640, 320, f.log_y);
    if (ext == ".svg") {
        write_file_atomic(out, svg);
    } else {
        write_html_page(out, f.title.empty() ? f.column : f.title, svg);
    }
    spdlog::info("wrote {}", out.string());
}

}  // namespace

void register_compare(CLI::App& app) {
    auto flags = std::make_shared<CompareFlags>();
    auto* cmd = app.add_subcommand("compare", "plot one loss column of several runs on common axes (SVG or HTML)");
    cmd->add_option("runs", flags->runs, "run folders (each with losses.csv)")->required();
    cmd->add_option("--column", flags->column, "the column of losses.csv to plot (e.g. G_L1, mid_grad)")->required();
    cmd->add_option("--out", flags->out, "output file, .svg or .html")->required();
    cmd->add_option("--label", flags->labels, "a legend label per run (default: the folder names)");
    cmd->add_option("--title", flags->title, "plot title (default: the column)");
    cmd->add_flag("--log", flags->log_y, "logarithmic y axis");
    cmd->callback([flags] { run(*flags); });
}

}  // namespace ganvas::cli
