// SHA-256 (FIPS 180-4) of a file, for checking downloaded weights against published digests.
#pragma once
#include <filesystem>
#include <string>

namespace ganvas {

std::string sha256_hex(const std::string& bytes);
// Throws Error naming the file when it cannot be read.
std::string sha256_file(const std::filesystem::path& path);

}  // namespace ganvas
