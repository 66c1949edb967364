// Reading PyTorch checkpoints (`torch.save` files) from C++: the zip format of PyTorch >= 1.6 and
// the legacy stream of older versions (five pickles, then the storages' bytes), in which many
// published weights still come (pytorch-fid's Inception, 2019).
//
// LibTorch 1.13's torch::pickle_load cannot read the OrderedDict in nearly every published .pth.
// This reader takes the zip apart itself (stored records only, every offset and CRC-32 checked;
// LibTorch's reader leaks or aborts on some malformed archives) and runs the pickle in `data.pkl` on a small stack machine that knows the opcodes and globals a
// checkpoint uses (dicts and OrderedDicts, lists, tuples, numbers, strings, tensors rebuilt from
// their storages with offsets and strides, parameters). Objects it does not know (argparse
// namespaces, numpy scalars, ...) are kept as opaque values, so a checkpoint that holds them still
// opens. Storages are float32, float64, float16, bfloat16, int64, int32, int16, int8, uint8, bool.
#pragma once
#include <torch/types.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace ganvas {

struct PickleValue;
using PickleValuePtr = std::shared_ptr<PickleValue>;

struct PickleValue {
    enum class Kind { None, Bool, Int, Float, String, Tuple, List, Dict, Tensor, Global, Object };
    Kind kind = Kind::None;
    bool boolean = false;
    int64_t integer = 0;
    double real = 0.0;
    std::string text;                     // String; Global/Object: "module.name"
    std::vector<PickleValuePtr> items;    // Tuple, List; Object: its constructor arguments
    std::vector<std::pair<PickleValuePtr, PickleValuePtr>> entries;  // Dict, in insertion order
    torch::Tensor tensor;
    int depth = 0;        // nesting below this value (the reader refuses more than kMaxPickleDepth)
    bool shared = false;  // fetched from the memo: no longer changed, so no value can contain itself

    const PickleValue* get(const std::string& key) const;  // a Dict's entry under a string key
};

// What one file may cost the reader before it is refused as hostile: nesting depth, values and
// memo entries (about 150 bytes each), and the size of its pickle. Published checkpoints use a
// small fraction of each (VGG-19: depth 4, about 600 values).
constexpr int kMaxPickleDepth = 256;
constexpr size_t kMaxPickleValues = size_t{1} << 20;
constexpr size_t kMaxPickleBytes = size_t{64} << 20;

class PthCheckpoint {
public:
    // Throws Error naming the file when it is missing, not a checkpoint of either format, or its
    // pickle is corrupt or uses something unsupported. The file is treated as hostile: the zip's
    // records must be stored (not compressed) and lie inside the file, a legacy file's storages
    // must follow its pickles in the declared order and sizes, tensor views must lie inside their
    // storages, and the pickles within the limits above; nothing in it is executed.
    static PthCheckpoint read(const std::filesystem::path& path);

    const std::filesystem::path& path() const { return path_; }
    const PickleValue& root() const { return *root_; }

    // The tensors of a state dict, by name. `entry` picks a key of the top-level dict ("" looks
    // for the tensors at the top, then under "state_dict", "model", "params", "net"). Nested dicts
    // of tensors are flattened with dots; a "module." prefix common to all keys (DataParallel) is
    // removed. Throws Error naming the file (and the entry) when no tensor is found.
    std::map<std::string, torch::Tensor> state_dict(const std::string& entry = "") const;

private:
    std::filesystem::path path_;
    PickleValuePtr root_;
};

// The records of a checkpoint's archive by name, relative to its folder ("data.pkl", "data/0").
class PthRecords {
public:
    virtual ~PthRecords() = default;
    virtual bool has(const std::string& name) const = 0;
    // The record's bytes; Error when absent or corrupt.
    virtual std::string get(const std::string& name) const = 0;
    // The bytes of the storage the pickle calls `key`, of `numel` items of `item_size` bytes (at
    // least that many bytes; Error when it is absent). Default: record "data/<key>".
    virtual std::string storage(const std::string& key, size_t item_size, int64_t numel) const;
};

// The pickle machine alone: `size` bytes of pickle whose storages are records of `records`. Error
// on anything outside the limits above (the fuzzer's entry point; PthCheckpoint::read uses it).
// `consumed`, when given, receives the bytes up to and including the pickle's STOP.
PickleValuePtr unpickle(const uint8_t* data, size_t size, const PthRecords& records, size_t* consumed = nullptr);

// One tensor of a state dict; Error naming the file and the key when absent, or when its shape
// differs from `expected_shape` (when given).
torch::Tensor require_tensor(const std::map<std::string, torch::Tensor>& state, const std::string& key,
                             const std::filesystem::path& file, std::vector<int64_t> expected_shape = {});

}  // namespace ganvas
