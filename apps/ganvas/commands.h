// Each subcommand registers its flags and callback on the root app.
#pragma once
#include <CLI/CLI.hpp>

namespace ganvas::cli {

void register_models(CLI::App& app);
void register_train(CLI::App& app);
void register_colorize(CLI::App& app);  // beside translate, in cmd_translate.cpp
void register_translate(CLI::App& app);
void register_edges(CLI::App& app);  // edges and eval-edges
void register_eval(CLI::App& app);
void register_data(CLI::App& app);
void register_demo(CLI::App& app);
void register_compare(CLI::App& app);
void register_serve(CLI::App& app);

}  // namespace ganvas::cli
