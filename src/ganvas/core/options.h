// One schema and one serializer for every options struct that travels as JSON (model options,
// inference parameters): each key declared once with its type, default and help; unknown keys and
// wrong types are UsageErrors that name the key.
#pragma once
#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace ganvas {

enum class OptionType { Bool, Int, Float, String, IntList, FloatList, StringList };

struct OptionSpec {
    std::string key;
    OptionType type = OptionType::String;
    nlohmann::json default_value;  // of `type`; shown in help and written by to_json
    std::string help = {};
    // The command-line flag that sets it (e.g. "--lambda-L1"); empty: only through --set KEY=VALUE.
    std::string flag = {};
};

const char* to_string(OptionType type);

// Whether `value` is a valid JSON value for `type` (an integer is a valid Float; a Float is finite;
// strings are valid UTF-8).
bool option_value_fits(OptionType type, const nlohmann::json& value);

// UsageError "<owner> has no option '<key>' (options: ...)" for an unknown key, and
// "<owner> option '<key>': expected <type>, got <value>" for a wrong type. `legacy` keys are
// accepted as they are (retired switches of old checkpoints).
void check_options(const std::string& owner, const std::vector<OptionSpec>& specs, const nlohmann::json& given,
                   const std::vector<std::string>& legacy = {});

// What a model folder writes once per option: the rest comes from the options struct's to_json().
struct OptionDoc {
    std::string key;
    std::string help;
    std::string flag = {};
    // Needed only where the default cannot tell (an empty list).
    std::optional<OptionType> type = std::nullopt;
};

// Specs for the keys of `defaults` (an options struct's to_json()), in the order of `docs`, types
// read from the default values. std::logic_error when `docs` and `defaults` disagree on the keys
// (a programming error, caught by the registry test).
std::vector<OptionSpec> specs_from_defaults(const nlohmann::json& defaults, const std::vector<OptionDoc>& docs);

// The defaults of every spec as one object.
nlohmann::json default_options(const std::vector<OptionSpec>& specs);

// A command-line word (or words, for lists) as the JSON value of `spec`: numbers and booleans
// parsed, strings kept. UsageError naming `where` when a word does not fit the type.
nlohmann::json parse_option_words(const OptionSpec& spec, const std::vector<std::string>& words,
                                  const std::string& where);

// `KEY=VALUE` (VALUE read as JSON when it parses, else taken as a string) into `into`;
// UsageError naming `flag` when there is no '='.
void apply_key_value(const std::string& pair, nlohmann::json& into, const std::string& flag);

// Reads `j[key]` into `field` when present (after check_options has vetted the types).
template <typename T>
void read_option(const nlohmann::json& j, const char* key, T& field) {
    if (auto it = j.find(key); it != j.end()) field = it->template get<T>();
}

// Whether `text` is valid UTF-8 (JSON, and so config.json and checkpoint headers, hold only that).
bool valid_utf8(const std::string& text);

// The specs as an aligned text table for --help: key (flag), type, default, help.
std::string options_table(const std::vector<OptionSpec>& specs);

}  // namespace ganvas
