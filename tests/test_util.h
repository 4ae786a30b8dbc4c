// Helpers shared by the tests: paths, temporary folders, running programs.
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "bench/checkpoint/nc_spec.h"
#include "core/command.h"
#include "tests/test_paths.h"

namespace ncb::test {

namespace fs = std::filesystem;

inline fs::path SourceDir() { return NCBENCH_SOURCE_DIR; }
inline fs::path BuildDir() { return NCBENCH_BUILD_DIR; }
inline fs::path SharedDir() { return fs::path(NCBENCH_SOURCE_DIR) / ".." / "shared"; }
// The released CLIGen (Clean) videos and tapes of ../shared.
inline fs::path CligenDir() { return SharedDir() / "data/cligen-clean"; }
inline fs::path NcbenchExe() { return fs::path(NCBENCH_BUILD_DIR) / "bench" / "cli" / "ncbench"; }

// Skips the test when ../shared is absent (a user without it); CI always has it.
#define NCB_REQUIRE_SHARED()                                            \
  if (!std::filesystem::exists(::ncb::test::SharedDir() / "README.md")) \
  GTEST_SKIP() << "../shared is not beside the checkout; this test reads it"

// A fresh folder under the system temp dir, removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "ncbench-test-XXXXXX").string();
    path_ = mkdtemp(tmpl.data());
  }
  ~TempDir() {
    if (std::getenv("NCB_KEEP_TEMP")) return;  // for debugging a failed test
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }
  fs::path operator/(const std::string& s) const { return path_ / s; }

 private:
  fs::path path_;
};

// A folder under the build tree that `make` fills once for every test process of a suite
// (ctest runs each test in its own process): the first process to take the folder's lock makes
// it, the others wait and reuse it. It is made again when the ncbench program is newer, or
// when making it failed.
inline fs::path SharedFixture(const std::string& name,
                              const std::function<void(const fs::path&)>& make) {
  const fs::path dir = BuildDir() / "test_fixtures" / name;
  fs::create_directories(dir.parent_path());
  const std::string lock = dir.string() + ".lock";
  const int fd = ::open(lock.c_str(), O_CREAT | O_RDWR, 0644);
  if (fd >= 0) ::flock(fd, LOCK_EX);
  std::error_code ec;
  const auto exe_time =
      fs::last_write_time(fs::path(NCBENCH_BUILD_DIR) / "bench" / "cli" / "ncbench", ec);
  const fs::path done =
      dir / (".made-" + std::to_string(ec ? 0 : exe_time.time_since_epoch().count()));
  if (!fs::exists(done)) {
    fs::remove_all(dir, ec);
    fs::create_directories(dir);
    make(dir);
    if (!::testing::Test::HasFailure()) std::ofstream(done) << "ok\n";
  }
  if (fd >= 0) {
    ::flock(fd, LOCK_UN);
    ::close(fd);
  }
  return dir;
}

struct CommandResult {
  int status = -1;
  std::string output;  // stdout and stderr together
};

inline CommandResult Run(const std::string& command) {
  auto r = RunCommand(command + " 2>&1");
  return {r.status, std::move(r.output)};
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
