#include "probes/arithmetic/problems.h"

#include <charconv>
#include <cmath>
#include <set>
#include <stdexcept>

#include "core/hashing.h"

namespace ncb {
namespace {

// SplitMix64 (Steele, Lea, Flood 2014): tiny, fully specified, portable.
struct SplitMix64 {
  uint64_t state;
  uint64_t Next() {
    uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  // Uniform in [lo, hi] by rejection (no modulo bias).
  int64_t Uniform(int64_t lo, int64_t hi) {
    const uint64_t span = static_cast<uint64_t>(hi - lo) + 1;
    const uint64_t limit = UINT64_MAX - UINT64_MAX % span;
    uint64_t r;
    do r = Next();
    while (r >= limit);
    return lo + static_cast<int64_t>(r % span);
  }
};

struct Kind {
  char op;
  const char* name;
};

}  // namespace

std::string PythonFloatRepr(double x) {
  if (std::isnan(x)) return "nan";
  if (std::isinf(x)) return x > 0 ? "inf" : "-inf";
  if (x == 0) return std::signbit(x) ? "-0.0" : "0.0";
  char buf[64];
  // Shortest round-trip digits in scientific form give the decimal exponent Python uses.
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, x, std::chars_format::scientific);
  if (ec != std::errc()) throw std::runtime_error("to_chars failed");
  std::string sci(buf, end);
  const auto epos = sci.find('e');
  const int exponent = std::stoi(sci.substr(epos + 1));
  if (exponent >= -4 && exponent < 16) {
    auto [e2, ec2] = std::to_chars(buf, buf + sizeof buf, x, std::chars_format::fixed);
    if (ec2 != std::errc()) throw std::runtime_error("to_chars failed");
    std::string fixed(buf, e2);
    if (fixed.find('.') == std::string::npos) fixed += ".0";
    return fixed;
  }
  std::string mantissa = sci.substr(0, epos);
  std::string exp = std::to_string(std::abs(exponent));
  if (exp.size() < 2) exp = "0" + exp;
  return mantissa + "e" + (exponent < 0 ? "-" : "+") + exp;
}

std::string PythonResult(int64_t a, char op, int64_t b) {
  switch (op) {
    case '+':
      return std::to_string(a + b);
    case '-':
      return std::to_string(a - b);
    case '*':
      return std::to_string(a * b);
    case '/':
      return PythonFloatRepr(static_cast<double>(a) / static_cast<double>(b));
    case '%': {  // Python's modulo takes the divisor's sign
      int64_t r = a % b;
      if (r != 0 && ((r < 0) != (b < 0))) r += b;
      return std::to_string(r);
    }
  }
  throw std::invalid_argument(std::string("unknown operator ") + op);
}

std::vector<ArithmeticProblem> ArithmeticPool(uint64_t seed) {
  SplitMix64 rng{seed};
  const Kind kinds[] = {{'+', "add"}, {'-', "sub"}, {'*', "mul"}, {'/', "div"}, {'%', "mod"}};
  const int64_t lo[] = {0, 10, 100}, hi[] = {9, 99, 999};
  std::vector<ArithmeticProblem> pool;
  std::set<std::string> seen;
  for (const auto& kind : kinds) {
    for (int d = 0; d < 3; ++d) {
      const int count = kind.op != '%' ? 80 : (d == 0 ? 14 : 13);
      for (int n = 0; n < count;) {
        const int64_t a = rng.Uniform(lo[d], hi[d]);
        const int64_t b =
            rng.Uniform((kind.op == '/' || kind.op == '%') && d == 0 ? 1 : lo[d], hi[d]);
        ArithmeticProblem p;
        p.expr = std::to_string(a) + kind.op + std::to_string(b);
        if (!seen.insert(p.expr).second) continue;
        p.category = std::string(kind.name) + "_" + std::to_string(d + 1) + "d";
        p.expected = PythonResult(a, kind.op, b);
        pool.push_back(std::move(p));
        ++n;
      }
    }
  }
  // Fisher-Yates with the same generator.
  for (size_t i = pool.size() - 1; i > 0; --i) {
    const auto j = static_cast<size_t>(rng.Uniform(0, static_cast<int64_t>(i)));
    std::swap(pool[i], pool[j]);
  }
  for (size_t i = 0; i < pool.size(); ++i) pool[i].index = static_cast<int>(i);
  return pool;
}

std::string ArithmeticPoolHash(const std::vector<ArithmeticProblem>& pool) {
  std::string all;
  for (const auto& p : pool) all += p.expr + "\t" + p.expected + "\n";
  return Sha256Hex(all);
}

}  // namespace ncb
