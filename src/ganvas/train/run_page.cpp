#include "ganvas/train/run_page.h"

#include "ganvas/eval/html_report.h"
#include "ganvas/train/run_log.h"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

namespace ganvas {
namespace fs = std::filesystem;

std::string loss_plots_html(const fs::path& csv) {
    auto [names, rows] = LossLog::read(csv);
    std::string html = "<div class=\"plots\">";
    std::vector<double> x;
    for (const auto& r : rows) x.push_back(static_cast<double>(r.step));
    for (size_t i = 0; i < names.size(); ++i) {
        std::vector<double> y;
        for (const auto& r : rows) y.push_back(r.values[i]);
        html += svg_line_plot(names[i], x, y);
    }
    return html + "</div>";
}

void write_run_page(const fs::path& run_dir, const std::string& model, int64_t step, int64_t total) {
    std::string body = fmt::format("<h1>{} run: step {} of {}</h1>\n", html_escape(model), step, total);
    std::error_code ec;
    if (fs::exists(run_dir / "losses.csv", ec)) body += "<h2>Losses</h2>" + loss_plots_html(run_dir / "losses.csv");
    std::vector<fs::path> grids;
    for (const auto& e : fs::directory_iterator(run_dir / "samples", ec)) {
        if (e.path().filename().string().rfind("step_", 0) == 0) grids.push_back(e.path().filename());
    }
    std::sort(grids.rbegin(), grids.rend());  // newest first
    if (grids.size() > 6) grids.resize(6);
    body += "<h2>Samples on held-aside data (newest first; columns: input, output, target)</h2><div>";
    for (const auto& g : grids) {
        body += fmt::format("<figure style=\"display:inline-block\"><img src=\"samples/{0}\" "
                            "style=\"max-height:720px\"><figcaption>{0}</figcaption></figure>",
                            html_escape(g.string()));
    }
    write_html_page(run_dir / "index.html", model + " run", body + "</div>");
}

}  // namespace ganvas
