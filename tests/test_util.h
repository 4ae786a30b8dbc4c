// Helpers shared by the tests: paths, temporary folders, running programs.
#pragma once

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "bench/checkpoint/nc_spec.h"
#include "tests/test_paths.h"

namespace ncb::test {

namespace fs = std::filesystem;

inline fs::path SourceDir() { return NCBENCH_SOURCE_DIR; }
inline fs::path BuildDir() { return NCBENCH_BUILD_DIR; }
inline fs::path SharedDir() { return fs::path(NCBENCH_SOURCE_DIR) / ".." / "shared"; }
inline fs::path NcbenchExe() { return fs::path(NCBENCH_BUILD_DIR) / "bench" / "cli" / "ncbench"; }

// Skips the test when ../shared is absent (a user without it); CI always has it.
#define NCB_REQUIRE_SHARED()                                                      \
  if (!std::filesystem::exists(::ncb::test::SharedDir() / "README.md"))           \
  GTEST_SKIP() << "../shared is not beside the checkout; this test reads it"

// A fresh folder under the system temp dir, removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "ncbench-test-XXXXXX").string();
    path_ = mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }
  fs::path operator/(const std::string& s) const { return path_ / s; }

 private:
  fs::path path_;
};

struct CommandResult {
  int status = -1;
  std::string output;  // stdout and stderr together
};

inline CommandResult Run(const std::string& command) {
  CommandResult r;
  FILE* p = popen((command + " 2>&1").c_str(), "r");
  if (!p) return r;
  std::array<char, 4096> buf{};
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.output.append(buf.data(), n);
  const int st = pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

// The spec of a CLI checkpoint rendering width x height at fps (action_dim 0).
inline NcSpec CliSpec(int width, int height, double fps, const std::string& name = "") {
  NcSpec spec;
  spec.name = name;
  spec.modality = "cli";
  spec.height = height;
  spec.width = width;
  spec.fps = fps;
  return spec;
}

inline nlohmann::json ReadJson(const fs::path& p) {
  std::ifstream in(p);
  return nlohmann::json::parse(in);
}

}  // namespace ncb::test
