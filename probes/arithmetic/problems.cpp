#include "probes/arithmetic/problems.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <initializer_list>
#include <set>
#include <stdexcept>

#include "core/errors.h"
#include "core/hashing.h"
#include "probes/arithmetic/nc_release_pool.h"

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

namespace {

// A Python number: an int (64 bits here; beyond that Error) or a float.
struct PyNumber {
  bool is_float = false;
  int64_t i = 0;
  double f = 0;
  double AsDouble() const { return is_float ? f : static_cast<double>(i); }
  std::string Repr() const { return is_float ? PythonFloatRepr(f) : std::to_string(i); }
};

PyNumber Int(int64_t v) { return {false, v, 0}; }
PyNumber Float(double v) { return {true, 0, v}; }

[[noreturn]] void Fail(const std::string& expr, const std::string& why) {
  throw Error("arithmetic expression \"" + expr + "\": " + why);
}

// Python's binary operators on ints and floats.
PyNumber Apply(const PyNumber& a, const std::string& op, const PyNumber& b,
               const std::string& expr) {
  const bool ints = !a.is_float && !b.is_float;
  int64_t r = 0;
  auto overflow = [&] { Fail(expr, "an integer beyond 64 bits"); };
  if (op == "+") {
    if (!ints) return Float(a.AsDouble() + b.AsDouble());
    if (__builtin_add_overflow(a.i, b.i, &r)) overflow();
    return Int(r);
  }
  if (op == "-") {
    if (!ints) return Float(a.AsDouble() - b.AsDouble());
    if (__builtin_sub_overflow(a.i, b.i, &r)) overflow();
    return Int(r);
  }
  if (op == "*") {
    if (!ints) return Float(a.AsDouble() * b.AsDouble());
    if (__builtin_mul_overflow(a.i, b.i, &r)) overflow();
    return Int(r);
  }
  if (op == "/" || op == "%") {
    if (b.AsDouble() == 0) Fail(expr, "division by zero");
    if (op == "/") return Float(a.AsDouble() / b.AsDouble());
    if (ints) {  // the divisor's sign
      r = a.i % b.i;
      if (r != 0 && ((r < 0) != (b.i < 0))) r += b.i;
      return Int(r);
    }
    double m = std::fmod(a.AsDouble(), b.AsDouble());  // float_rem in Objects/floatobject.c
    if (m != 0) {
      if ((b.AsDouble() < 0) != (m < 0)) m += b.AsDouble();
    } else {
      m = std::copysign(0.0, b.AsDouble());
    }
    return Float(m);
  }
  // "**": an int to a non-negative int power is an int; otherwise a float.
  if (ints && b.i >= 0) {
    if (a.i == 0 || a.i == 1) return Int(b.i == 0 ? 1 : a.i);
    if (a.i == -1) return Int(b.i % 2 ? -1 : 1);
    int64_t acc = 1;  // |a| >= 2 overflows within 63 steps
    for (int64_t e = 0; e < b.i; ++e) {
      if (__builtin_mul_overflow(acc, a.i, &acc)) overflow();
    }
    return Int(acc);
  }
  if (a.AsDouble() == 0 && b.AsDouble() < 0) Fail(expr, "division by zero (0 to a negative power)");
  if (a.AsDouble() < 0 && b.AsDouble() != std::floor(b.AsDouble()))
    Fail(expr, "a complex result (a negative number to a fractional power)");
  return Float(std::pow(a.AsDouble(), b.AsDouble()));
}

// Recursive descent over Python's grammar for these operators:
//   sum := term (("+" | "-") term)*      term := unary (("*" | "/" | "%") unary)*
//   unary := ("+" | "-") unary | power   power := atom ["**" unary]
//   atom := digits | "(" sum ")"
class PyParser {
 public:
  explicit PyParser(const std::string& expr) : s_(expr) {}
  PyNumber Parse() {
    PyNumber v = Sum();
    Skip();
    if (at_ != s_.size()) Fail(s_, "unexpected '" + s_.substr(at_, 1) + "' at " + Where());
    return v;
  }

 private:
  void Skip() {
    while (at_ < s_.size() && (s_[at_] == ' ' || s_[at_] == '\t')) ++at_;
  }
  bool Eat(const std::string& tok) {
    Skip();
    if (s_.compare(at_, tok.size(), tok) != 0) return false;
    if (tok == "/" && s_.compare(at_, 2, "//") == 0)
      Fail(s_, "floor division (//) is not supported");
    if (tok == "*" && s_.compare(at_, 2, "**") == 0) return false;  // "**" is another operator
    at_ += tok.size();
    return true;
  }
  std::string Where() const { return "character " + std::to_string(at_ + 1); }
  // One left-associative level: next (op next)*, with the level's operators.
  PyNumber Level(std::initializer_list<const char*> ops, PyNumber (PyParser::*next)()) {
    PyNumber v = (this->*next)();
    for (;;) {
      const char* op = nullptr;
      for (const char* o : ops) {
        if (Eat(o)) {
          op = o;
          break;
        }
      }
      if (!op) return v;
      v = Apply(v, op, (this->*next)(), s_);
    }
  }
  PyNumber Sum() { return Level({"+", "-"}, &PyParser::Term); }
  PyNumber Term() { return Level({"*", "/", "%"}, &PyParser::Unary); }
  PyNumber Unary() {
    if (Eat("-")) {
      const PyNumber v = Unary();
      return v.is_float ? Float(-v.f) : Apply(Int(0), "-", v, s_);
    }
    if (Eat("+")) return Unary();
    return Power();
  }
  PyNumber Power() {
    const PyNumber base = Atom();
    if (Eat("**")) return Apply(base, "**", Unary(), s_);
    return base;
  }
  PyNumber Atom() {
    Skip();
    if (Eat("(")) {
      const PyNumber v = Sum();
      if (!Eat(")")) Fail(s_, "expected ')' at " + Where());
      return v;
    }
    const size_t start = at_;
    while (at_ < s_.size() && s_[at_] >= '0' && s_[at_] <= '9') ++at_;
    if (at_ == start) {
      Fail(s_, at_ < s_.size() ? "unexpected '" + s_.substr(at_, 1) + "' at " + Where()
                               : "ends where a number was expected");
    }
    int64_t v = 0;
    const auto [end, ec] = std::from_chars(s_.data() + start, s_.data() + at_, v);
    if (ec != std::errc() || end != s_.data() + at_) Fail(s_, "an integer beyond 64 bits");
    return Int(v);
  }

  const std::string& s_;
  size_t at_ = 0;
};

}  // namespace

std::string PythonEval(const std::string& expr) { return PyParser(expr).Parse().Repr(); }

std::string PythonResult(int64_t a, char op, int64_t b) {
  return Apply(Int(a), std::string(1, op), Int(b), std::to_string(a) + op + std::to_string(b))
      .Repr();
}

std::vector<ArithmeticProblem> BalancedArithmeticPool(uint64_t seed) {
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
        p.difficulty = d + 1;
        p.digit_type = d == 0 ? "single" : d == 1 ? "double" : "triple";
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

const std::vector<std::string>& ArithmeticPoolNames() {
  static const std::vector<std::string> names = {"nc-release", "ncbench-balanced"};
  return names;
}

void CheckArithmeticPoolName(const std::string& name) {
  const auto& names = ArithmeticPoolNames();
  if (std::find(names.begin(), names.end(), name) == names.end()) {
    throw Error("arithmetic probe: unknown pool '" + name +
                "'; known: nc-release (the paper's released problems, the default), "
                "ncbench-balanced");
  }
}

std::vector<ArithmeticProblem> ArithmeticPool(const std::string& name) {
  CheckArithmeticPoolName(name);
  if (name == "ncbench-balanced") return BalancedArithmeticPool();
  std::vector<ArithmeticProblem> pool;
  for (const auto& p : NcReleasePool()) {
    ArithmeticProblem a;
    a.index = static_cast<int>(pool.size());
    a.expr = p.expression;
    a.category = p.category;
    a.expected = PythonEval(p.expression);
    a.difficulty = p.difficulty;
    a.digit_type = p.digit_type;
    pool.push_back(std::move(a));
  }
  return pool;
}

std::vector<size_t> ArithmeticDraw(const std::string& pool, size_t pool_size, int n) {
  if (n < 1 || static_cast<size_t>(n) > pool_size) {
    throw Error("arithmetic probe: --problems must be 1.." + std::to_string(pool_size) + ", got " +
                std::to_string(n));
  }
  std::vector<size_t> draw(static_cast<size_t>(n));
  for (size_t i = 0; i < draw.size(); ++i)
    draw[i] = pool == "ncbench-balanced" ? i : i * pool_size / draw.size();
  return draw;
}

std::string ArithmeticDrawRule(const std::string& pool) {
  return pool == "ncbench-balanced"
             ? "the pool's first N (the pool is shuffled)"
             : "problem floor(i * 1000 / N) for i = 0..N-1 (evenly spaced: the pool is sorted "
               "by category, so every category keeps its share)";
}

std::string ArithmeticPoolHash(const std::vector<ArithmeticProblem>& pool) {
  std::string all;
  for (const auto& p : pool) all += p.expr + "\t" + p.expected + "\n";
  return Sha256Hex(all);
}

}  // namespace ncb
