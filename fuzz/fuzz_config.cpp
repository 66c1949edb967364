// Configuration text: a --config file (TOML or INI, through CLI11 with unknown keys refused, as
// `ganvas` reads it), and each line as a --set KEY=VALUE checked against an option schema.
#include "ganvas/core/error.h"
#include "ganvas/core/options.h"

#include <CLI/CLI.hpp>

#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

namespace {

const std::vector<ganvas::OptionSpec>& specs() {
    static const std::vector<ganvas::OptionSpec> s = {
        {"lambda_l1", ganvas::OptionType::Float, 100.0},
        {"widths", ganvas::OptionType::IntList, nlohmann::json::array({64, 128})},
        {"norm", ganvas::OptionType::String, "batch"},
        {"use_dropout", ganvas::OptionType::Bool, true},
        {"size", ganvas::OptionType::Int, 256},
        {"scales", ganvas::OptionType::FloatList, nlohmann::json::array({1.0})},
        {"classes", ganvas::OptionType::StringList, nlohmann::json::array()},
    };
    return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    {
        CLI::App app{"fuzz"};
        app.allow_config_extras(CLI::config_extras_mode::error);
        int64_t steps = 0;
        double ratio = 0;
        std::string out;
        std::vector<std::string> set;
        bool flag = false;
        auto* train = app.add_subcommand("train");
        train->add_option("--steps", steps);
        train->add_option("--val-ratio", ratio);
        train->add_option("--out", out);
        train->add_option("--set", set);
        train->add_flag("--resume", flag);
        std::istringstream in(text);
        try {
            app.parse_from_stream(in);
        } catch (const CLI::Error&) {
        }
    }
    nlohmann::json given = nlohmann::json::object();
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
        try {
            ganvas::apply_key_value(line, given, "--set");
        } catch (const ganvas::Error&) {
        }
    }
    try {
        ganvas::check_options("fuzz", specs(), given);
    } catch (const ganvas::Error&) {
    }
    for (const auto& spec : specs()) {
        try {
            (void)ganvas::parse_option_words(spec, {text.substr(0, 64)}, "--flag");
        } catch (const ganvas::Error&) {
        }
    }
    return 0;
}
