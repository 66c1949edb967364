// The whole .pth reader (zip checks, LibTorch's zip reader, the unpickler, tensors from storages,
// the state dict) on arbitrary files.
#include "ganvas/core/error.h"
#include "ganvas/io/pth_reader.h"

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static const std::filesystem::path path =
        std::filesystem::temp_directory_path() / ("ganvas_fuzz_pth_" + std::to_string(::getpid()) + ".pth");
    {
        std::ofstream out(path, std::ios::binary | std::ios::trunc);
        out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
    }
    try {
        const auto checkpoint = ganvas::PthCheckpoint::read(path);
        const auto state = checkpoint.state_dict();
        for (const auto& [name, tensor] : state) {
            if (tensor.numel() > 0) (void)tensor.sum().item<double>();  // every element readable
        }
    } catch (const ganvas::Error&) {
    }
    return 0;
}
