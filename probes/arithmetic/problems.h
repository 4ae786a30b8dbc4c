// The arithmetic probe's problems: a deterministic pool of 1,000 held-out expressions in the
// mix of the Neural Computers paper's data engine, and their answers as Python 3 prints them.
//
// Pool: 80 problems each of +, -, *, / with single-, double- and triple-digit operands (both
// operands of the same width; 0-9, 10-99, 100-999; divisors non-zero) and 40 of % (14, 13, 13),
// categories "add_1d" ... "mod_3d". Expressions are unique, written without spaces ("40/1"),
// and shuffled. Everything comes from SplitMix64 with explicit integer arithmetic, so the pool
// is the same on every platform and compiler; its sha256 is in every report.
// The evaluation draw of N problems is the pool's first N.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ncb {

inline constexpr uint64_t kArithmeticPoolSeed = 20260401;
inline constexpr int kArithmeticPoolSize = 1000;

struct ArithmeticProblem {
  int index = 0;         // position in the pool
  std::string expr;      // "12+7"
  std::string category;  // "add_2d"
  std::string expected;  // "19"; true division as Python's repr: "40.0", "0.3333333333333333"
};

std::vector<ArithmeticProblem> ArithmeticPool(uint64_t seed = kArithmeticPoolSeed);
// sha256 over "expr\texpected\n" of every problem, in order.
std::string ArithmeticPoolHash(const std::vector<ArithmeticProblem>& pool);

// Python 3's result of `a op b` for non-negative integers, printed as the REPL prints it.
std::string PythonResult(int64_t a, char op, int64_t b);
// Python 3's repr(float): the shortest string that reads back to x, positional for
// 1e-4 <= |x| < 1e16 with at least one decimal ("40.0"), else "1e+16" / "1.5e-05".
std::string PythonFloatRepr(double x);

}  // namespace ncb
