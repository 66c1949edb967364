// Helpers shared by the tests: temporary folders, tiny models, generated images.
#pragma once
#include "ganvas/models/colorizer/options.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <string>

namespace ganvas::test {

// A fresh folder under the system temp dir, removed with everything in it on destruction.
class TempDir {
public:
    TempDir();
    ~TempDir();
    const std::filesystem::path& path() const { return path_; }
    std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

private:
    std::filesystem::path path_;
};

// Seeds torch before each test so that every test sees the same random numbers.
class SeededTest : public ::testing::Test {
protected:
    void SetUp() override { torch::manual_seed(1234); }
};

// A colorizer small enough to train in milliseconds: 16x16, widths 4 4 8 8, D width 4.
ColorizerOptions tiny_colorizer_options();

// Writes `count` synthetic 16x16 PNGs into `dir`.
void write_tiny_images(const std::filesystem::path& dir, int count, int size = 16);

void write_bytes(const std::filesystem::path& path, const std::string& bytes);

}  // namespace ganvas::test
