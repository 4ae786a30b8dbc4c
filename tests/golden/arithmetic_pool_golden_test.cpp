// The paper's arithmetic problems: core/python_random.h against CPython itself (Debian's
// python3), and the C++ port of the released generator (probes/arithmetic/nc_release_pool.h)
// against the released Python file in ../shared/reference/neuralcomputer, run as is.
#include <set>

#include "core/errors.h"
#include "core/python_random.h"
#include "probes/arithmetic/nc_release_pool.h"
#include "probes/arithmetic/problems.h"
#include "tests/test_util.h"

namespace ncb {
namespace {

// Runs `code` with Debian's python3 and parses what it prints.
nlohmann::json Python(const std::string& code) {
  test::TempDir tmp;
  std::ofstream(tmp / "run.py") << code;
  const auto r = test::Run("/usr/bin/python3 " + (tmp / "run.py").string());
  EXPECT_EQ(r.status, 0) << r.output;
  return nlohmann::json::parse(r.output);
}

// Seeds below and above 2^32 (more than one key word), every getrandbits width the port
// handles, random(), and random.sample over both of its methods (a small population: the pool;
// a large one: rejection from a set).
TEST(PythonRandom, DrawsWhatCPythonDraws) {
  const std::vector<uint64_t> seeds = {0, 1, 2024, 4294967296ull + 7, 18446744073709551615ull};
  const std::vector<std::pair<int, int>> samples = {{10, 3}, {30, 8}, {100, 40}, {2025, 150}};
  const auto want = Python(R"(
import json, random
out = []
for s in (0, 1, 2024, 4294967296 + 7, 18446744073709551615):
    random.seed(s)
    o = {"bits": [random.getrandbits(k) for k in (1, 7, 31, 32, 33, 53, 64)],
         "random": [random.random() for _ in range(3)],
         "below": [random.randrange(n) for n in (1, 2, 3, 1000, 2**40 + 3)],
         "sample": [random.sample(range(n), k) for n, k in ((10, 3), (30, 8), (100, 40), (2025, 150))]}
    out.append(o)
print(json.dumps(out))
)");
  ASSERT_EQ(want.size(), seeds.size());
  for (size_t s = 0; s < seeds.size(); ++s) {
    PythonRandom r(seeds[s]);
    const auto& w = want[s];
    size_t i = 0;
    for (int k : {1, 7, 31, 32, 33, 53, 64})
      EXPECT_EQ(r.GetRandBits(k), w["bits"][i++].get<uint64_t>())
          << "seed " << seeds[s] << " k " << k;
    for (const auto& v : w["random"]) EXPECT_EQ(r.Random(), v.get<double>()) << seeds[s];
    i = 0;
    for (uint64_t n : {1ull, 2ull, 3ull, 1000ull, (1ull << 40) + 3})
      EXPECT_EQ(r.RandBelow(n), w["below"][i++].get<uint64_t>()) << seeds[s] << " n " << n;
    for (size_t j = 0; j < samples.size(); ++j) {
      const auto got = r.Sample(samples[j].first, samples[j].second);
      EXPECT_EQ(nlohmann::json(got), w["sample"][j]) << seeds[s] << " sample " << j;
    }
  }
}

TEST(Golden, NcReleasePoolIsTheReleasedGeneratorsOutput) {
  NCB_REQUIRE_SHARED();
  const auto dir = test::SharedDir() / "reference/neuralcomputer";
  const auto want = Python("import sys\nsys.path.insert(0, '" + dir.string() + "')\n" + R"(
import json, random
import arithmetic
random.seed(2024)
print(json.dumps(arithmetic.generate_comprehensive_arithmetic_patterns()))
)");
  const auto got = NcReleasePatterns(2024);
  ASSERT_EQ(got.size(), want.size());
  EXPECT_EQ(got.size(), 1158u);
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].expression, want[i]["expression"].get<std::string>()) << "pattern " << i;
    EXPECT_EQ(got[i].category, want[i]["category"].get<std::string>()) << "pattern " << i;
    EXPECT_EQ(got[i].difficulty, want[i]["difficulty"].get<int>()) << "pattern " << i;
    EXPECT_EQ(got[i].digit_type, want[i]["digit_type"].get<std::string>()) << "pattern " << i;
  }
  // The pool: the first 1,000, as main() cuts them: 993 distinct expressions, 12 categories.
  const auto pool = NcReleasePool();
  ASSERT_EQ(pool.size(), 1000u);
  std::set<std::string> exprs, categories;
  for (const auto& p : pool) exprs.insert(p.expression), categories.insert(p.category);
  EXPECT_EQ(exprs.size(), 993u);
  EXPECT_EQ(categories.size(), 12u);
  // The default pool is that pool, with the released order and labels.
  const auto def = ArithmeticPool();
  ASSERT_EQ(def.size(), 1000u);
  for (size_t i = 0; i < def.size(); ++i) {
    EXPECT_EQ(def[i].expr, want[i]["expression"].get<std::string>()) << i;
    EXPECT_EQ(def[i].category, want[i]["category"].get<std::string>()) << i;
  }
}

// PythonEval against Python's own eval and repr: every released pattern (parentheses, **, /,
// % mixed with floats) and the corners of Python's semantics.
TEST(Golden, PythonEvalPrintsWhatPythonPrints) {
  std::vector<std::string> exprs;
  for (const auto& p : NcReleasePatterns(2024)) exprs.push_back(p.expression);
  for (const char* e : {"-2**2",     "2**-1",
                        "(-2)**3",   "-1**0",
                        "(-1)**5",   "2**3**2",
                        "7%-3",      "-7%3",
                        "(7/2)%-2",  "(-7/2)%2",
                        "(0-6/3)%3", "1/3*3",
                        "10/4",      "2**62",
                        "-(3-5)",    "+4",
                        "1 + 2 * 3", "((1))",
                        "0**0",      "5%5",
                        "(1/2)**-2", "100000000*100000000",
                        "1/7",       "2/3"})
    exprs.push_back(e);
  // The expressions as a JSON literal (plain ASCII, no quotes or backslashes in them).
  const auto want = Python("import json\nexprs = json.loads('" + nlohmann::json(exprs).dump() +
                           "')\nprint(json.dumps([repr(eval(e)) for e in exprs]))\n");
  ASSERT_EQ(want.size(), exprs.size());
  for (size_t i = 0; i < exprs.size(); ++i)
    EXPECT_EQ(PythonEval(exprs[i]), want[i].get<std::string>()) << exprs[i];
  // Beyond what it covers (64-bit ints, no //, names) and what Python refuses, it throws.
  for (const char* bad : {"1/0", "5%0", "2**64", "9//2", "(1+2", "1+", "x+1", "1 2", "(-8)**(1/3)"})
    EXPECT_THROW(PythonEval(bad), Error) << bad;
}

}  // namespace
}  // namespace ncb
