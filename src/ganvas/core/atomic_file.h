// Crash-safe file output: write to a temporary file beside the target, fsync, rename over it.
// A reader never sees a half-written file; a kill at any moment leaves the previous version.
#pragma once
#include <filesystem>
#include <string_view>

namespace ganvas {

// Writes `bytes` to `path` atomically, creating parent folders. Throws Error naming the path (a
// full disk included); the previous file is then untouched. The temporary file is `<path>.tmp`,
// which a killed writer leaves and the next write of `path` takes over.
void write_file_atomic(const std::filesystem::path& path, std::string_view bytes);

// Creates `dir` (and parents) and checks that a file can be created in it.
// Throws Error naming the folder when it cannot.
void ensure_writable_dir(const std::filesystem::path& dir);

}  // namespace ganvas
