// SHA-256 (FIPS 180-4) of a file, for checking downloaded weights against published digests; CRC-32
// (ISO 3309, the one zip and PNG use) for the formats that carry it.
#pragma once
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>

namespace ganvas {

std::string sha256_hex(const std::string& bytes);
// Throws Error naming the file when it cannot be read.
std::string sha256_file(const std::filesystem::path& path);

// CRC-32 of `size` bytes, continuing from `crc` (0 to start).
uint32_t crc32(const void* data, size_t size, uint32_t crc = 0);

}  // namespace ganvas
