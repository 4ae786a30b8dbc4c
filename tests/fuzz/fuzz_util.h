// Shared by the fuzz targets: a parser given hostile bytes may throw ncb::Error (a clear,
// located message) and nothing else. Any other exception, a crash, a leak or undefined
// behaviour is a finding (AddressSanitizer and UBSan abort the run).
#pragma once

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <string>

#include "core/errors.h"

namespace ncb::fuzz {

// Runs `parse`; ncb::Error is the expected outcome for bad input, anything else aborts.
template <typename F>
void ExpectCleanError(F&& parse) {
  try {
    parse();
  } catch (const ncb::Error&) {
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fuzz: an exception other than ncb::Error escaped: %s\n", e.what());
    std::abort();
  }
}

// The parsers that read paths get the bytes through a file of this process's own.
inline std::filesystem::path WriteInput(const uint8_t* data, size_t size, const std::string& ext) {
  static const std::filesystem::path dir = [] {
    auto d = std::filesystem::temp_directory_path() / ("ncbench-fuzz-" + std::to_string(getpid()));
    std::filesystem::create_directories(d);
    return d;
  }();
  const auto p = dir / ("input" + ext);
  std::ofstream(p, std::ios::binary | std::ios::trunc)
      .write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  return p;
}

}  // namespace ncb::fuzz
