// Content hashes for provenance (checkpoint sha256, dataset manifest sha256).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace ncb {

// Lower-case hex sha256 of a byte string.
std::string Sha256Hex(std::string_view bytes);

// sha256 of a file's contents; throws MissingError naming the file if it cannot be read.
std::string Sha256File(const std::filesystem::path& path);

// sha256 of a directory tree: every regular file, sorted by relative path, hashed as
// "<relpath>\0<sha256 of contents>\n". Stable across copies and machines.
std::string Sha256Tree(const std::filesystem::path& dir);

// 64-bit FNV-1a, for deterministic per-sample seeds derived from sample ids.
uint64_t Fnv1a64(std::string_view bytes);

}  // namespace ncb
