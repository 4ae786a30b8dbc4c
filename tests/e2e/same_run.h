// Comparing two reports of the same run, for the e2e tests of shards and of --resume.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <string>

namespace ncb::test {

using nlohmann::json;

// Merged sums are taken in another order than one process's: equal to this relative bound.
constexpr double kSumOrderTol = 1e-12;

// Every field of two reports of the same run, apart from what describes the process itself
// (context, throughput) and the merge's own provenance (merged_from).
inline void ExpectSameNumbers(const json& a, const json& b, const std::string& at, int* reported) {
  if (*reported > 20) return;
  if (a.is_number_integer() &&
      b.is_number_integer()) {  // signed or unsigned after a JSON round trip
    if (a.get<int64_t>() != b.get<int64_t>()) {
      ADD_FAILURE() << at << ": " << a << " vs " << b;
      ++*reported;
    }
    return;
  }
  if (a.is_number() && b.is_number()) {
    const double x = a.get<double>(), y = b.get<double>();
    if (!(std::abs(x - y) <= kSumOrderTol * std::max({1.0, std::abs(x), std::abs(y)}))) {
      ADD_FAILURE() << at << ": " << x << " vs " << y;
      ++*reported;
    }
    return;
  }
  if (a.type() != b.type()) {
    ADD_FAILURE() << at << ": " << a.dump().substr(0, 200) << " vs " << b.dump().substr(0, 200);
    ++*reported;
    return;
  }
  if (a.is_object()) {
    for (const auto& [k, v] : a.items()) {
      if (!b.contains(k)) {
        ADD_FAILURE() << at << "." << k << " is only in the first";
        ++*reported;
      } else {
        ExpectSameNumbers(v, b[k], at + "." + k, reported);
      }
    }
    for (const auto& [k, v] : b.items()) {
      if (!a.contains(k)) {
        ADD_FAILURE() << at << "." << k << " is only in the second";
        ++*reported;
      }
    }
  } else if (a.is_array()) {
    if (a.size() != b.size()) {
      ADD_FAILURE() << at << ": " << a.size() << " vs " << b.size() << " elements";
      ++*reported;
      return;
    }
    for (size_t i = 0; i < a.size(); ++i)
      ExpectSameNumbers(a[i], b[i], at + "[" + std::to_string(i) + "]", reported);
  } else if (a != b) {
    ADD_FAILURE() << at << ": " << a.dump().substr(0, 200) << " vs " << b.dump().substr(0, 200);
    ++*reported;
  }
}

// Two reports of one run, e.g. of one process and merged shards (`merged_from` is expected
// in the second), or of an uninterrupted and a resumed run (merged = false).
inline void ExpectSameRun(json single, json other, bool merged = true) {
  for (const char* k : {"context", "throughput"}) {
    single.erase(k);
    other.erase(k);
  }
  EXPECT_EQ(other.contains("merged_from"), merged);
  other.erase("merged_from");
  int reported = 0;
  ExpectSameNumbers(single, other, "report", &reported);
}

}  // namespace ncb::test
