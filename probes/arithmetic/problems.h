// The arithmetic probe's problems: two pools of 1,000 held-out expressions, and their answers
// as Python 3 prints them.
//
//   nc-release        (the default) the Neural Computers paper's own problems: its released
//                     generator's first 1,000 patterns (nc_release_pool.h), in its order and
//                     with its category labels ("single_digit_add" ... "modulo_mixed"; 993
//                     distinct expressions, 12 categories). The pool is sorted by category, so
//                     a draw of N < 1,000 takes every (1000/N)-th problem: problem
//                     floor(i * 1000 / N) for i = 0..N-1, which keeps the pool's mix.
//   ncbench-balanced  ncbench's own pool (before the released generator was ported): 80
//                     problems each of +, -, *, / with single-, double- and triple-digit
//                     operands (both operands of the same width; 0-9, 10-99, 100-999; divisors
//                     non-zero) and 40 of % (14, 13, 13), categories "add_1d" ... "mod_3d",
//                     unique, shuffled with SplitMix64 (the same on every platform). A draw of
//                     N is its first N, as in every report made with it.
// Expressions have no spaces ("40/1"). Every report names the pool, its sha256 and the draw.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ncb {

inline constexpr uint64_t kArithmeticPoolSeed = 20260401;  // ncbench-balanced's seed
inline constexpr int kArithmeticPoolSize = 1000;
inline constexpr const char* kDefaultArithmeticPool = "nc-release";

struct ArithmeticProblem {
  int index = 0;           // position in the pool
  std::string expr;        // "12+7"
  std::string category;    // "double_digit_add" (nc-release), "add_2d" (ncbench-balanced)
  std::string expected;    // what Python 3 prints: "19"; true division as repr: "40.0"
  int difficulty = 0;      // the released generator's 1..5; ncbench-balanced: the digit count
  std::string digit_type;  // "single", "double", "triple", "mixed"
};

// "nc-release", "ncbench-balanced".
const std::vector<std::string>& ArithmeticPoolNames();
// Error naming the known pools when `name` is not one of them.
void CheckArithmeticPoolName(const std::string& name);
// The named pool; Error naming the known pools otherwise.
std::vector<ArithmeticProblem> ArithmeticPool(const std::string& name = kDefaultArithmeticPool);
std::vector<ArithmeticProblem> BalancedArithmeticPool(uint64_t seed = kArithmeticPoolSeed);
// The indices of a draw of n problems from the named pool of `pool_size` (see above).
std::vector<size_t> ArithmeticDraw(const std::string& pool, size_t pool_size, int n);
// How the draw is made, in words, for the report.
std::string ArithmeticDrawRule(const std::string& pool);
// sha256 over "expr\texpected\n" of every problem, in order.
std::string ArithmeticPoolHash(const std::vector<ArithmeticProblem>& pool);

// What Python 3's REPL prints for `expr`: integers (+, -, *, %, ** with Python's semantics:
// % takes the divisor's sign, ** of ints is an int), true division as a float, parentheses,
// unary + and -. Error for anything else (names, //, a division by zero, an int beyond 64
// bits).
std::string PythonEval(const std::string& expr);
// Python 3's result of `a op b` for integers, printed as the REPL prints it.
std::string PythonResult(int64_t a, char op, int64_t b);
// Python 3's repr(float): the shortest string that reads back to x, positional for
// 1e-4 <= |x| < 1e16 with at least one decimal ("40.0"), else "1e+16" / "1.5e-05".
std::string PythonFloatRepr(double x);

}  // namespace ncb
