#include "ganvas/eval/html_report.h"

#include "ganvas/core/atomic_file.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace ganvas {

std::string html_escape(const std::string& text) {
    std::string out;
    for (char c : text) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            default: out += c;
        }
    }
    return out;
}

std::string svg_line_plot(const std::string& title, const std::vector<double>& x,
                          const std::vector<double>& y, int width, int height) {
    const int left = 56, right = 10, top = 24, bottom = 28;
    std::string svg = fmt::format(
        R"(<svg xmlns="http://www.w3.org/2000/svg" width="{0}" height="{1}" viewBox="0 0 {0} {1}">)"
        R"(<rect width="{0}" height="{1}" fill="white"/>)"
        R"(<text x="{2}" y="16" font-size="13" font-family="sans-serif">{3}</text>)",
        width, height, left, html_escape(title));
    if (x.size() < 2 || x.size() != y.size()) return svg + "</svg>";
    const auto [ymin_it, ymax_it] = std::minmax_element(y.begin(), y.end());
    double ymin = *ymin_it, ymax = *ymax_it;
    if (ymax - ymin < 1e-12) ymax = ymin + 1.0;
    const double xmin = x.front(), xmax = std::max(x.back(), xmin + 1.0);
    const double pw = width - left - right, ph = height - top - bottom;
    const auto px = [&](double v) { return left + (v - xmin) / (xmax - xmin) * pw; };
    const auto py = [&](double v) { return top + (1.0 - (v - ymin) / (ymax - ymin)) * ph; };
    const auto polyline = [&](const std::vector<double>& ys, const char* style) {
        std::string pts;
        for (size_t i = 0; i < x.size(); ++i) pts += fmt::format("{:.1f},{:.1f} ", px(x[i]), py(ys[i]));
        return fmt::format(R"(<polyline fill="none" {} points="{}"/>)", style, pts);
    };
    std::vector<double> smooth(y.size());
    const double alpha = 2.0 / (1.0 + std::max<double>(3.0, static_cast<double>(y.size()) / 10.0));
    smooth[0] = y[0];
    for (size_t i = 1; i < y.size(); ++i) smooth[i] = alpha * y[i] + (1 - alpha) * smooth[i - 1];
    svg += fmt::format(R"(<rect x="{}" y="{}" width="{}" height="{}" fill="none" stroke="#bbb"/>)", left,
                       top, pw, ph);
    svg += polyline(y, R"(stroke="#9ecae1" stroke-width="1")");
    svg += polyline(smooth, R"(stroke="#08519c" stroke-width="2")");
    svg += fmt::format(R"(<text x="{}" y="{}" font-size="11" text-anchor="end" font-family="sans-serif">{:.4g}</text>)",
                       left - 4, top + 10, ymax);
    svg += fmt::format(R"(<text x="{}" y="{}" font-size="11" text-anchor="end" font-family="sans-serif">{:.4g}</text>)",
                       left - 4, top + ph, ymin);
    svg += fmt::format(R"(<text x="{}" y="{}" font-size="11" text-anchor="end" font-family="sans-serif">step {:.0f}</text>)",
                       left + pw, height - 8, xmax);
    return svg + "</svg>";
}

std::string svg_series_plot(const std::string& title, const std::vector<PlotSeries>& series, int width, int height,
                            bool log_y) {
    static const char* const kColours[] = {"#08519c", "#d94801", "#238b45", "#6a51a3", "#cb181d", "#525252"};
    const int left = 64, right = 12, top = 28, bottom = 32;
    std::string svg = fmt::format(
        R"(<svg xmlns="http://www.w3.org/2000/svg" width="{0}" height="{1}" viewBox="0 0 {0} {1}">)"
        R"(<rect width="{0}" height="{1}" fill="white"/>)"
        R"(<text x="{2}" y="18" font-size="14" font-family="sans-serif">{3}</text>)",
        width, height, left, html_escape(title));
    const auto value = [log_y](double v) { return log_y ? std::log10(std::max(v, 1e-30)) : v; };
    double xmin = 1e300, xmax = -1e300, ymin = 1e300, ymax = -1e300;
    std::vector<std::vector<double>> smoothed;
    for (const auto& s : series) {
        std::vector<double> sm(s.y.size());
        const double alpha = 2.0 / (1.0 + std::max<double>(3.0, static_cast<double>(s.y.size()) / 20.0));
        for (size_t i = 0; i < s.y.size(); ++i) {
            sm[i] = i == 0 ? value(s.y[0]) : alpha * value(s.y[i]) + (1 - alpha) * sm[i - 1];
            ymin = std::min(ymin, sm[i]);
            ymax = std::max(ymax, sm[i]);
        }
        if (!s.x.empty()) {
            xmin = std::min(xmin, s.x.front());
            xmax = std::max(xmax, s.x.back());
        }
        smoothed.push_back(std::move(sm));
    }
    if (xmin >= xmax || ymin > ymax) return svg + "</svg>";
    if (ymax - ymin < 1e-12) ymax = ymin + 1.0;
    const double pw = width - left - right, ph = height - top - bottom;
    const auto px = [&](double v) { return left + (v - xmin) / (xmax - xmin) * pw; };
    const auto py = [&](double v) { return top + (1.0 - (v - ymin) / (ymax - ymin)) * ph; };
    svg += fmt::format(R"(<rect x="{}" y="{}" width="{}" height="{}" fill="none" stroke="#bbb"/>)", left, top, pw, ph);
    for (size_t k = 0; k < series.size(); ++k) {
        std::string pts;
        for (size_t i = 0; i < series[k].x.size() && i < smoothed[k].size(); ++i) {
            pts += fmt::format("{:.1f},{:.1f} ", px(series[k].x[i]), py(smoothed[k][i]));
        }
        const char* colour = kColours[k % (sizeof(kColours) / sizeof(kColours[0]))];
        svg += fmt::format(R"(<polyline fill="none" stroke="{}" stroke-width="2" points="{}"/>)", colour, pts);
        svg += fmt::format(R"(<text x="{}" y="{}" font-size="12" fill="{}" font-family="sans-serif">{}</text>)",
                           left + 8, top + 16 + 15 * static_cast<int>(k), colour, html_escape(series[k].name));
    }
    const auto label = [&](double v) { return log_y ? fmt::format("{:.3g}", std::pow(10.0, v)) : fmt::format("{:.4g}", v); };
    svg += fmt::format(R"(<text x="{}" y="{}" font-size="11" text-anchor="end" font-family="sans-serif">{}</text>)",
                       left - 4, top + 10, label(ymax));
    svg += fmt::format(R"(<text x="{}" y="{}" font-size="11" text-anchor="end" font-family="sans-serif">{}</text>)",
                       left - 4, top + ph, label(ymin));
    svg += fmt::format(R"(<text x="{}" y="{}" font-size="11" text-anchor="end" font-family="sans-serif">step {:.0f}</text>)",
                       left + pw, height - 10, xmax);
    svg += fmt::format(R"(<text x="{}" y="{}" font-size="11" font-family="sans-serif">step {:.0f}</text>)", left,
                       height - 10, xmin);
    return svg + "</svg>";
}

std::string html_image_table(const std::vector<std::string>& headers,
                             const std::vector<std::vector<std::string>>& rows, int image_px) {
    std::string html = "<table class=\"images\"><tr>";
    for (const auto& h : headers) html += "<th>" + html_escape(h) + "</th>";
    html += "</tr>";
    for (const auto& row : rows) {
        html += "<tr>";
        for (const auto& src : row) {
            html += fmt::format(R"(<td><img src="{}" width="{}" height="{}" style="image-rendering:pixelated"></td>)",
                                html_escape(src), image_px, image_px);
        }
        html += "</tr>";
    }
    return html + "</table>";
}

std::string html_table(const std::vector<std::vector<std::string>>& rows) {
    std::string html = "<table class=\"metrics\">";
    for (size_t r = 0; r < rows.size(); ++r) {
        html += "<tr>";
        for (const auto& cell : rows[r]) {
            html += (r == 0 ? "<th>" : "<td>") + html_escape(cell) + (r == 0 ? "</th>" : "</td>");
        }
        html += "</tr>";
    }
    return html + "</table>";
}

void write_html_page(const std::filesystem::path& path, const std::string& title, const std::string& body) {
    const std::string page = fmt::format(
        R"(<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{0}</title><style>)"
        "body{{font-family:sans-serif;margin:2em;max-width:1100px}}"
        "table{{border-collapse:collapse;margin:1em 0}}"
        "th,td{{padding:4px 10px;text-align:right}}"
        "table.metrics td,table.metrics th{{border-bottom:1px solid #ddd}}"
        "table.images td{{padding:2px}}"
        ".plots svg{{margin-right:12px}}"
        "</style></head><body><h1>{0}</h1>{1}</body></html>\n",
        html_escape(title), body);
    write_file_atomic(path, page);
}

}  // namespace ganvas
