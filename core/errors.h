// Errors of ncbench.
//
// Contract:
//  - NCB_CHECK(cond) is for bugs: it aborts with file:line and the condition.
//  - Bad input or environment throws a typed exception whose message says what was
//    expected, what came, and where ("demo_000003.mp4: frame 17: expected 3 channels, got 4").
//  - Library code never prints; only the CLI catches and maps to exit codes.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <stdexcept>
#include <string>

namespace ncb {

// Base of every input/environment error; `what()` is a complete sentence for the user.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A file or record does not follow its format (manifest, tape, cast, spec, video).
class FormatError : public Error {
 public:
  using Error::Error;
};

// A checkpoint breaks the ncbench.nc/1 contract (missing spec field or method, bad output).
class ContractError : public Error {
 public:
  using Error::Error;
};

// A file, program or device the run needs is not there.
class MissingError : public Error {
 public:
  using Error::Error;
};

// Builds "<where>: <what>" messages so every error names its location the same way.
inline std::string At(const std::string& where, const std::string& what) {
  return where + ": " + what;
}

// A number as people write it in a message: 25, 29.97, 0.5 (not std::to_string's 25.000000).
inline std::string NumText(double v) {
  std::ostringstream s;
  s.precision(10);
  s << v;
  return s.str();
}

}  // namespace ncb

#define NCB_CHECK(cond)                                                                      \
  do {                                                                                       \
    if (!(cond)) {                                                                           \
      std::fprintf(stderr, "%s:%d: internal check failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                          \
    }                                                                                        \
  } while (0)
