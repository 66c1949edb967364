// The pickle machine of the .pth reader on arbitrary bytes, with storages "0" (64 bytes) and "1"
// (8 bytes) as a checkpoint's archive would hold them: every input either unpickles within the
// limits or is an Error.
#include "ganvas/core/error.h"
#include "ganvas/io/pth_reader.h"

#include <cstdint>
#include <map>
#include <string>

namespace {

class Storages final : public ganvas::PthRecords {
public:
    bool has(const std::string& name) const override { return records_.count(name) > 0; }
    std::string get(const std::string& name) const override {
        const auto it = records_.find(name);
        if (it == records_.end()) throw ganvas::Error("no record " + name);
        return it->second;
    }

private:
    std::map<std::string, std::string> records_{{"data/0", std::string(64, '\x01')}, {"data/1", std::string(8, '\x02')}};
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static const Storages storages;
    try {
        auto root = ganvas::unpickle(data, size, storages);
        if (root && root->kind == ganvas::PickleValue::Kind::Dict) root->get("state_dict");
    } catch (const ganvas::Error&) {
    }
    return 0;
}
