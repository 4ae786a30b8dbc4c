#include "probes/arithmetic/nc_release_pool.h"

#include <algorithm>
#include <utility>

#include "core/python_random.h"

namespace ncb {
namespace {

std::string Op(int a, const char* op, int b) { return std::to_string(a) + op + std::to_string(b); }

}  // namespace

std::vector<NcReleasePattern> NcReleasePatterns(uint64_t seed) {
  PythonRandom random(seed);
  std::vector<NcReleasePattern> p;
  auto add = [&](std::string e, const char* c, int d, const char* t) {
    p.push_back({std::move(e), c, d, t});
  };
  auto count = [&](const std::string& c) {
    return std::count_if(p.begin(), p.end(), [&](const auto& x) { return x.category == c; });
  };
  // 1. Single digit operations.
  for (int a = 1; a < 10; ++a)
    for (int b = 1; b < 10; ++b) add(Op(a, "+", b), "single_digit_add", 1, "single");
  for (int a = 1; a < 10; ++a)
    for (int b = 1; b < 10; ++b) add(Op(a, "*", b), "single_digit_mul", 1, "single");
  for (int a = 2; a < 10; ++a)
    for (int b = 1; b < a; ++b) add(Op(a, "-", b), "single_digit_sub", 1, "single");
  // 2. Double digit operations: 150 of the 2,025 additions, random.sample's order.
  std::vector<std::string> double_add;
  for (int ta = 1; ta < 10; ++ta)
    for (int tb = 1; tb < 10; ++tb)
      for (int ua = 0; ua < 10; ua += 2)
        for (int ub = 0; ub < 10; ub += 2)
          double_add.push_back(Op(ta * 10 + ua, "+", tb * 10 + ub));
  for (uint64_t j : random.Sample(double_add.size(), std::min<size_t>(150, double_add.size())))
    add(double_add[j], "double_digit_add", 2, "double");
  std::vector<std::string> double_mul;
  for (int a = 10; a < 100; a += 5)
    for (int b = 10; b < 50; b += 3)
      if (a <= 50 || b <= 30) double_mul.push_back(Op(a, "*", b));
  for (size_t i = 0; i < double_mul.size() && i < 100; ++i)
    add(double_mul[i], "double_digit_mul", 3, "double");
  for (int a = 20; a < 100; a += 4)
    for (int b = 10; b < std::min(a, 50); b += 3)
      add(Op(a, "-", b), "double_digit_sub", 2, "double");
  const std::vector<std::pair<int, int>> double_div = {
      {20, 2},  {20, 4},  {20, 5},  {20, 10},  {30, 2},   {30, 3},   {30, 5},  {30, 6},
      {30, 10}, {30, 15}, {40, 2},  {40, 4},   {40, 5},   {40, 8},   {40, 10}, {40, 20},
      {50, 2},  {50, 5},  {50, 10}, {50, 25},  {60, 2},   {60, 3},   {60, 4},  {60, 5},
      {60, 6},  {60, 10}, {60, 12}, {60, 15},  {60, 20},  {60, 30},  {80, 2},  {80, 4},
      {80, 5},  {80, 8},  {80, 10}, {80, 16},  {80, 20},  {80, 40},  {90, 2},  {90, 3},
      {90, 5},  {90, 6},  {90, 9},  {90, 10},  {90, 15},  {90, 18},  {90, 30}, {90, 45},
      {100, 2}, {100, 4}, {100, 5}, {100, 10}, {100, 20}, {100, 25}, {100, 50}};
  for (const auto& [a, b] : double_div) add(Op(a, "/", b), "double_digit_div", 2, "double");
  // 3. Triple digit operations.
  std::vector<std::string> triple_add;
  for (int a = 100; a < 1000; a += 50)
    for (int b = 100; b < 500; b += 25)
      if (a + b < 1500) triple_add.push_back(Op(a, "+", b));
  for (size_t i = 0; i < triple_add.size() && i < 80; ++i)
    add(triple_add[i], "triple_digit_add", 3, "triple");
  for (int a = 200; a < 1000 && count("triple_digit_sub") < 60; a += 40) {
    for (int b = 100; b < std::min(a, 500); b += 30) {
      add(Op(a, "-", b), "triple_digit_sub", 3, "triple");
      if (count("triple_digit_sub") >= 60) break;
    }
  }
  for (int a = 100; a < 200; a += 10)
    for (int b = 2; b < 6; ++b) add(Op(a, "*", b), "triple_digit_mul", 4, "triple");
  const std::vector<std::pair<int, int>> triple_div = {
      {100, 2},   {100, 4},  {100, 5},  {100, 10}, {100, 20},  {100, 25},  {100, 50},  {200, 2},
      {200, 4},   {200, 5},  {200, 8},  {200, 10}, {200, 20},  {200, 25},  {200, 40},  {200, 50},
      {200, 100}, {300, 2},  {300, 3},  {300, 4},  {300, 5},   {300, 6},   {300, 10},  {300, 12},
      {300, 15},  {300, 20}, {300, 25}, {300, 30}, {300, 50},  {300, 60},  {300, 75},  {300, 100},
      {300, 150}, {400, 2},  {400, 4},  {400, 5},  {400, 8},   {400, 10},  {400, 16},  {400, 20},
      {400, 25},  {400, 40}, {400, 50}, {400, 80}, {400, 100}, {400, 200}, {500, 2},   {500, 4},
      {500, 5},   {500, 10}, {500, 20}, {500, 25}, {500, 50},  {500, 100}, {500, 125}, {500, 250}};
  for (const auto& [a, b] : triple_div) add(Op(a, "/", b), "triple_digit_div", 3, "triple");
  // 4. Modulo operations.
  std::vector<std::string> modulo;
  for (int a = 5; a < 100; a += 3)
    for (int b = 2; b < 12; ++b)
      if (a > b) modulo.push_back(Op(a, "%", b));
  for (size_t i = 0; i < modulo.size() && i < 80; ++i) add(modulo[i], "modulo_mixed", 2, "mixed");
  for (int a = 100; a < 500 && count("modulo_large") < 20; a += 25) {
    for (int b = 7; b < 20; b += 2) {
      add(Op(a, "%", b), "modulo_large", 3, "triple");
      if (count("modulo_large") >= 20) break;
    }
  }
  // 5. Power operations.
  const std::vector<std::pair<int, int>> power = {
      {2, 2},  {2, 3},  {2, 4},  {2, 5},  {2, 6},  {2, 7},  {2, 8},  {2, 9},  {2, 10}, {3, 2},
      {3, 3},  {3, 4},  {3, 5},  {3, 6},  {4, 2},  {4, 3},  {4, 4},  {4, 5},  {5, 2},  {5, 3},
      {5, 4},  {6, 2},  {6, 3},  {7, 2},  {7, 3},  {8, 2},  {8, 3},  {9, 2},  {9, 3},  {10, 2},
      {10, 3}, {10, 4}, {11, 2}, {12, 2}, {13, 2}, {14, 2}, {15, 2}, {20, 2}, {25, 2}};
  for (const auto& [a, b] : power) add(Op(a, "**", b), "power_operations", 4, "power");
  // 6. Complex expressions.
  for (const char* e :
       {"(5+3)*10",    "(12-4)/2",    "20+(3*4)",    "(15+5)*2",     "30-(2*5)",    "(8+2)*5",
        "(20-8)/3",    "15+(4*3)",    "(10+10)/4",   "25-(3*2)",     "(25+15)*2",   "(40-10)/5",
        "30+(20/4)",   "(50+30)/10",  "60-(15*2)",   "(35+25)/3",    "(80-20)*2",   "45+(30/6)",
        "(70+50)/6",   "90-(25+5)",   "(100+50)/3",  "200+(50*2)",   "(300-100)*2", "150+(200/4)",
        "(250+150)/5", "400-(100*2)", "(500+300)/8", "600+(150/3)",  "(400-200)/2", "800-(300+200)",
        "2**3+10",     "5**2-15",     "(2**4)+20",   "50-(3**2)",    "(4**2)*3",    "100+(2**3)",
        "(3**3)-2",    "200-(5**2)",  "(2**5)/4",    "150+(3**2*2)", "(20%7)+10",   "30-(15%4)",
        "(25%8)*3",    "40+(18%5)",   "(35%6)+25"})
    add(e, "complex_expressions", 5, "complex");
  return p;
}

std::vector<NcReleasePattern> NcReleasePool(uint64_t seed, size_t count) {
  auto p = NcReleasePatterns(seed);
  if (p.size() > count) p.resize(count);
  return p;
}

}  // namespace ncb
