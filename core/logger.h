// The injected logger: library code reports progress and warnings through it and never
// prints. The CLI installs a stderr logger; tests install a capturing one.
#pragma once

#include <functional>
#include <string>

namespace ncb {

enum class LogLevel { kDebug, kInfo, kWarning };

using Logger = std::function<void(LogLevel, const std::string&)>;

// A logger that drops everything (the default for library calls).
inline Logger NullLogger() {
  return [](LogLevel, const std::string&) {};
}

}  // namespace ncb
