// The pickle machine of the .pth reader on arbitrary bytes, with storages from a small archive
// made once: every input either unpickles within the limits or is an Error.
#include "ganvas/core/error.h"
#include "ganvas/io/pth_reader.h"

#include <caffe2/serialize/inline_container.h>

#include <cstdint>
#include <memory>
#include <string>

namespace {

// An archive with storages "0" (64 bytes) and "1" (8 bytes), as torch.save lays them out.
caffe2::serialize::PyTorchStreamReader& archive() {
    static std::string bytes = [] {
        std::string out;
        caffe2::serialize::PyTorchStreamWriter writer([&](const void* data, size_t n) {
            out.append(static_cast<const char*>(data), n);
            return n;
        });
        const std::string pickle = "\x80\x02}q\x00.";
        writer.writeRecord("data.pkl", pickle.data(), pickle.size());
        const std::string zero(64, '\x01'), one(8, '\x02');
        writer.writeRecord("data/0", zero.data(), zero.size());
        writer.writeRecord("data/1", one.data(), one.size());
        writer.writeEndOfFile();
        return out;
    }();
    static auto stream = std::make_unique<std::istringstream>(bytes);
    static caffe2::serialize::PyTorchStreamReader reader(stream.get());
    return reader;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    try {
        auto root = ganvas::unpickle(data, size, archive());
        if (root && root->kind == ganvas::PickleValue::Kind::Dict) root->get("state_dict");
    } catch (const ganvas::Error&) {
    }
    return 0;
}
