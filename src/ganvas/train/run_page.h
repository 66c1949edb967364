// The page of a training run (<run>/index.html): where it stands, the loss curves and the latest
// sample grids, rewritten whenever the trainer writes samples. Open it in a browser while a long
// run goes on.
#pragma once
#include <filesystem>
#include <string>

namespace ganvas {

// One inline SVG plot per loss column of a losses.csv.
std::string loss_plots_html(const std::filesystem::path& losses_csv);

void write_run_page(const std::filesystem::path& run_dir, const std::string& model, int64_t step, int64_t total);

}  // namespace ganvas
