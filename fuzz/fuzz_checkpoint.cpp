// The checkpoint header reader: ganvas's format, model, options and state records in an archive
// LibTorch wrote, then the training state's range checks, as `ganvas train --resume` and
// `ganvas eval` read them. The input is the four records, one per line (format number, model
// name, options JSON, state JSON).
//
// LibTorch's own container reader is not fuzzed here: it aborts (std::terminate inside its
// TorchScript type parser) on some malformed archives within seconds, which is why
// docs/SECURITY.md says checkpoints are to be trusted like code.
#include "ganvas/core/checkpoint.h"
#include "ganvas/core/error.h"
#include "ganvas/train/train_options.h"

#include <torch/serialize/output-archive.h>

#include <cstdint>
#include <sstream>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string fields[4];
    std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
    for (auto& f : fields) std::getline(in, f);
    int64_t format = 0;
    for (char c : fields[0].substr(0, 18)) {
        if (c >= '0' && c <= '9') format = format * 10 + (c - '0');
    }
    if (!fields[0].empty() && fields[0][0] == '-') format = -format;
    std::ostringstream bytes;
    {
        torch::serialize::OutputArchive archive;
        archive.write("ganvas.format", c10::IValue(format));
        archive.write("ganvas.model", c10::IValue(fields[1]));
        archive.write("ganvas.options", c10::IValue(fields[2]));
        archive.write("ganvas.state", c10::IValue(fields[3]));
        archive.save_to(bytes);
    }
    try {
        const auto loaded = ganvas::load_checkpoint_bytes(bytes.str(), "fuzz.pt");
        const auto state = ganvas::read_training_state(loaded.header, loaded.path);
        ganvas::TrainOptions::from_json(state.train).validate();
    } catch (const ganvas::Error&) {
    }
    return 0;
}
