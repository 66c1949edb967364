// Self-contained HTML pages for people: images side by side, loss curves as inline SVG, tables.
#pragma once
#include <filesystem>
#include <string>
#include <vector>

namespace ganvas {

std::string html_escape(const std::string& text);

// A line plot of y against x as an inline <svg>: the raw series faint, an exponential moving
// average on top, the y range and the last x labelled.
std::string svg_line_plot(const std::string& title, const std::vector<double>& x,
                          const std::vector<double>& y, int width = 360, int height = 180);

struct PlotSeries {
    std::string name;
    std::vector<double> x, y;
};

// Several series on common axes as an inline <svg>, each smoothed (exponential moving average)
// in its own colour with a legend; `log_y` plots log10 of positive values.
std::string svg_series_plot(const std::string& title, const std::vector<PlotSeries>& series, int width = 640,
                            int height = 320, bool log_y = false);

// A table whose cells are images (paths relative to the page); one header per column.
std::string html_image_table(const std::vector<std::string>& headers,
                             const std::vector<std::vector<std::string>>& rows, int image_px = 128);

// A plain text table; the first row is the header.
std::string html_table(const std::vector<std::vector<std::string>>& rows);

// Writes a complete page (atomically) with the given body.
void write_html_page(const std::filesystem::path& path, const std::string& title, const std::string& body);

}  // namespace ganvas
