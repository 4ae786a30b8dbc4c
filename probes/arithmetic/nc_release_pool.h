// The Neural Computers paper's own arithmetic problems: a C++ port of the released generator
// (metauto-ai/NeuralComputer, engine/cli/vhs/generators/arithmetic.py at commit bd6dc0a, MIT):
// generate_comprehensive_arithmetic_patterns() after random.seed(2024), cut to its first 1,000
// as the generator's main() does. 1,158 patterns in 17 categories before the cut (one
// random.sample of 150 of the 2,025 double-digit additions, drawn with core/python_random.h);
// the first 1,000 hold 993 distinct expressions in 12 categories. Categories, difficulties and
// digit types are the generator's own. tests/golden/arithmetic_pool_golden_test.cpp runs the
// released Python file and requires the same patterns in the same order.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ncb {

struct NcReleasePattern {
  std::string expression;  // "12+7", "(5+3)*10", "2**3+10"
  std::string category;    // "double_digit_add"
  int difficulty = 0;
  std::string digit_type;  // "single", "double", "triple", "mixed", "power", "complex"
};

// Every pattern of generate_comprehensive_arithmetic_patterns() for `seed`, in order.
std::vector<NcReleasePattern> NcReleasePatterns(uint64_t seed = 2024);
// The released pool: the first `count` patterns (the generator's default, 1,000).
std::vector<NcReleasePattern> NcReleasePool(uint64_t seed = 2024, size_t count = 1000);

}  // namespace ncb
