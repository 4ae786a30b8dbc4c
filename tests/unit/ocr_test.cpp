// The text-space scores, the arithmetic probe's pieces, and the OCR metric's option checks.
#include <torch/script.h>

#include <set>

#include "core/errors.h"
#include "core/stats.h"
#include "metrics/metric.h"
#include "metrics/text/text_accuracy.h"
#include "probes/arithmetic/calculator_checkpoint.h"
#include "probes/arithmetic/probe.h"
#include "probes/arithmetic/problems.h"
#include "tests/test_util.h"

namespace ncb {
namespace {

int64_t Lev(const std::string& a, const std::string& b) {
  return Levenshtein(DecodeUtf8(a), DecodeUtf8(b));
}

TEST(Levenshtein, EdgeCases) {
  EXPECT_EQ(Lev("", ""), 0);
  EXPECT_EQ(Lev("abc", ""), 3);
  EXPECT_EQ(Lev("", "abcd"), 4);
  EXPECT_EQ(Lev("kitten", "sitting"), 3);
  EXPECT_EQ(Lev("sitting", "kitten"), 3);
  EXPECT_EQ(Lev("flaw", "lawn"), 2);
  EXPECT_EQ(Lev("abc", "abc"), 0);
  EXPECT_EQ(Lev("ab", "ba"), 2);  // no transpositions: two substitutions
  // Code points, not bytes: one substitution for a two-byte character.
  EXPECT_EQ(Lev("caf\xC3\xA9", "cafe"), 1);
  EXPECT_EQ(DecodeUtf8("caf\xC3\xA9").size(), 4u);
  // An invalid byte is one replacement character, as Python's errors="replace".
  EXPECT_EQ(DecodeUtf8("a\xFF"
                       "b"),
            std::u32string(U"a\uFFFDb"));
}

TEST(TextAccuracy, NormalisationKeepsCaseAndPunctuation) {
  const auto lines = NormaliseLines("  $ ls   -la \t\n\n\t Total: 12\r\n   \n\f");
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], "$ ls -la");
  EXPECT_EQ(lines[1], "Total: 12");
  EXPECT_TRUE(NormaliseLines("").empty());
  EXPECT_TRUE(NormaliseLines(" \n \n").empty());
  EXPECT_EQ(JoinLines(lines), "$ ls -la\nTotal: 12");
}

TEST(TextAccuracy, EmptySideRules) {
  EXPECT_EQ(CharacterAccuracy("", "").accuracy, 1.0);
  EXPECT_EQ(CharacterAccuracy("", "x").accuracy, 0.0);
  EXPECT_EQ(CharacterAccuracy("abc", "").accuracy, 0.0);
  // Clamped at 0 when the hypothesis is much longer than the reference.
  const auto c = CharacterAccuracy("ab", "xxxxxxx");
  EXPECT_EQ(c.accuracy, 0.0);
  EXPECT_EQ(c.edits, 7);
  EXPECT_EQ(c.reference_chars, 2);
  EXPECT_DOUBLE_EQ(CharacterAccuracy("kitten", "sitting").accuracy, 0.5);

  EXPECT_EQ(ExactLineAccuracy({}, {}), 1.0);
  EXPECT_EQ(ExactLineAccuracy({}, {"x"}), 0.0);
  EXPECT_EQ(ExactLineAccuracy({"a"}, {}), 0.0);
  EXPECT_DOUBLE_EQ(ExactLineAccuracy({"a", "b", "c", "d"}, {"a", "x", "c"}), 0.5);
  // Lines are compared by position: an extra line at the top shifts everything.
  EXPECT_EQ(ExactLineAccuracy({"a", "b"}, {"z", "a", "b"}), 0.0);
}

TEST(TextAccuracy, FrameSelectionRoundsHalfToEven) {
  using V = std::vector<int64_t>;
  EXPECT_EQ(SelectFrameIndices(0, 5), V{});
  EXPECT_EQ(SelectFrameIndices(1, 5), (V{0}));
  EXPECT_EQ(SelectFrameIndices(5, 5), (V{0, 1, 2, 3, 4}));
  EXPECT_EQ(SelectFrameIndices(3, 5), (V{0, 1, 2}));
  // i*6/4 = 0, 1.5, 3, 4.5, 6 -> Python's round: 0, 2, 3, 4, 6
  EXPECT_EQ(SelectFrameIndices(7, 5), (V{0, 2, 3, 4, 6}));
  // i*99/4 = 0, 24.75, 49.5, 74.25, 99
  EXPECT_EQ(SelectFrameIndices(100, 5), (V{0, 25, 50, 74, 99}));
  // i*5/4 = 0, 1.25, 2.5, 3.75, 5: 2.5 -> 2
  EXPECT_EQ(SelectFrameIndices(6, 5), (V{0, 1, 2, 4, 5}));
}

TEST(ArithmeticPool, BalancedPoolIsDeterministicUniqueAndBalanced) {
  const auto pool = ArithmeticPool("ncbench-balanced");
  ASSERT_EQ(pool.size(), 1000u);
  EXPECT_EQ(ArithmeticPoolHash(pool), ArithmeticPoolHash(BalancedArithmeticPool()));
  // Pinned: a change to the generator changes every published number of the probe.
  EXPECT_EQ(ArithmeticPoolHash(pool).substr(0, 16), "eac0de3841414c2e");
  std::set<std::string> exprs;
  std::map<std::string, int> per_category;
  for (size_t i = 0; i < pool.size(); ++i) {
    const auto& p = pool[i];
    EXPECT_EQ(p.index, static_cast<int>(i));
    exprs.insert(p.expr);
    ++per_category[p.category];
    const auto op = p.expr.find_first_of("+-*/%", 1);
    ASSERT_NE(op, std::string::npos) << p.expr;
    const int digits = p.category.back() == 'd' ? p.category[p.category.size() - 2] - '0' : 0;
    for (const auto& operand : {p.expr.substr(0, op), p.expr.substr(op + 1)}) {
      EXPECT_TRUE(operand.size() == static_cast<size_t>(digits)) << p.expr << " " << p.category;
    }
    EXPECT_EQ(p.expected, PythonResult(std::stoll(p.expr.substr(0, op)), p.expr[op],
                                       std::stoll(p.expr.substr(op + 1))));
  }
  EXPECT_EQ(exprs.size(), 1000u);
  for (const char* op : {"add", "sub", "mul", "div"}) {
    for (int d = 1; d <= 3; ++d)
      EXPECT_EQ(per_category[std::string(op) + "_" + std::to_string(d) + "d"], 80);
  }
  EXPECT_EQ(per_category["mod_1d"] + per_category["mod_2d"] + per_category["mod_3d"], 40);
}

TEST(ArithmeticPool, PythonPrinting) {
  EXPECT_EQ(PythonFloatRepr(40.0), "40.0");
  EXPECT_EQ(PythonFloatRepr(1.0 / 3), "0.3333333333333333");
  EXPECT_EQ(PythonFloatRepr(0.1), "0.1");
  EXPECT_EQ(PythonFloatRepr(82.0 / 54), "1.5185185185185186");
  EXPECT_EQ(PythonFloatRepr(1e16), "1e+16");
  EXPECT_EQ(PythonFloatRepr(1e15), "1000000000000000.0");
  EXPECT_EQ(PythonFloatRepr(1e-5), "1e-05");
  EXPECT_EQ(PythonFloatRepr(1.5e-5), "1.5e-05");
  EXPECT_EQ(PythonFloatRepr(0.0001), "0.0001");
  EXPECT_EQ(PythonFloatRepr(0.0), "0.0");
  EXPECT_EQ(PythonResult(40, '/', 1), "40.0");
  EXPECT_EQ(PythonResult(3, '-', 7), "-4");
  EXPECT_EQ(PythonResult(-7, '%', 3), "2");  // the divisor's sign
  EXPECT_EQ(PythonResult(7, '%', -3), "-2");
  EXPECT_EQ(PythonResult(999, '*', 999), "998001");
}

TEST(ArithmeticProbe, ReadsTheLineAfterTheExpression) {
  const std::string screen = "$ python\nPython 3.11.2 (main) on linux\n>>> 12+7\n19\n>>>\n";
  auto a = ReadAnswer(screen, "12+7");
  EXPECT_TRUE(a.found);
  EXPECT_EQ(a.answer, "19");
  // Tesseract reads a monospace '+' as '4': the operands still identify the line.
  a = ReadAnswer(">>> 1247\n\n19\n>>>", "12+7");
  EXPECT_TRUE(a.found);
  EXPECT_EQ(a.answer, "19");
  a = ReadAnswer(">>> 124+7\n19\n>>>", "12+7");  // or as '4+' at larger sizes
  EXPECT_TRUE(a.found);
  EXPECT_EQ(a.answer, "19");
  // ... and, with it, one more character (JetBrains Mono 40 px: "32+26" read "$2426").
  a = ReadAnswer(">>> $2426\n\n58\n>>> exit(Q)", "32+26");
  EXPECT_TRUE(a.found);
  EXPECT_EQ(a.answer, "58");
  EXPECT_FALSE(ReadAnswer(">>> $2436\n58\n", "32+26").found);  // two edits besides the '+'
  EXPECT_FALSE(ReadAnswer(">>> 1+2\n3\n", "12+7").found);      // two edits away
  // Spaces inside the answer are OCR's, not Python's.
  EXPECT_EQ(ReadAnswer(">>> 82/54\n1. 5185185185185186\n", "82/54").answer, "1.5185185185185186");
  EXPECT_EQ(ReadAnswer(">> 3-7\n-4\n", "3-7").answer, "-4");
  // The expression printed nothing: the next line is a prompt.
  a = ReadAnswer(">>> 12+7\n>>>\n", "12+7");
  EXPECT_TRUE(a.found);
  EXPECT_EQ(a.answer, "");
  // No REPL line at all, or another expression.
  EXPECT_FALSE(ReadAnswer("$ python\n", "12+7").found);
  EXPECT_FALSE(ReadAnswer(">>> 99*99\n9801\n", "12+7").found);
  EXPECT_FALSE(ReadAnswer("12+7\n19\n", "12+7").found);  // no prompt before it
}

TEST(ArithmeticProbe, WilsonInterval) {
  auto [lo, hi] = WilsonInterval(0, 100);
  EXPECT_NEAR(lo, 0.0, 1e-12);
  EXPECT_NEAR(hi, 0.036993, 1e-6);
  std::tie(lo, hi) = WilsonInterval(50, 100);
  EXPECT_NEAR(lo, 0.403832, 1e-6);
  EXPECT_NEAR(hi, 0.596168, 1e-6);
  std::tie(lo, hi) = WilsonInterval(100, 100);
  EXPECT_NEAR(lo, 0.963007, 1e-6);
  EXPECT_NEAR(hi, 1.0, 1e-12);
  std::tie(lo, hi) = WilsonInterval(0, 0);
  EXPECT_EQ(lo, 0.0);
  EXPECT_EQ(hi, 1.0);
}

TEST(ArithmeticPool, DefaultIsTheReleasedPoolAndDrawsKeepItsMix) {
  const auto pool = ArithmeticPool();
  ASSERT_EQ(pool.size(), 1000u);
  EXPECT_EQ(pool[0].expr, "1+1");
  EXPECT_EQ(pool[0].category, "single_digit_add");
  // Pinned: a change to the port changes every published number of the probe.
  EXPECT_EQ(ArithmeticPoolHash(pool).substr(0, 16), "4e0e8bd8fddc1143");
  EXPECT_THROW(ArithmeticPool("nc-relase"), Error);
  // A draw of 100 takes every 10th problem: all 12 categories, in the pool's proportions.
  const auto draw = ArithmeticDraw("nc-release", pool.size(), 100);
  ASSERT_EQ(draw.size(), 100u);
  EXPECT_EQ(draw[1], 10u);
  EXPECT_EQ(draw.back(), 990u);
  std::map<std::string, int> per_category;
  for (size_t i : draw) ++per_category[pool[i].category];
  EXPECT_EQ(per_category.size(), 12u);
  EXPECT_EQ(per_category["double_digit_add"], 15);  // 150 of 1000
  EXPECT_EQ(ArithmeticDraw("nc-release", 1000, 1000).back(), 999u);
  EXPECT_EQ(ArithmeticDraw("ncbench-balanced", 1000, 3), (std::vector<size_t>{0, 1, 2}));
  EXPECT_THROW(ArithmeticDraw("nc-release", 1000, 0), Error);
  EXPECT_THROW(ArithmeticDraw("nc-release", 1000, 1001), Error);
}

TEST(ArithmeticPool, PythonEval) {
  EXPECT_EQ(PythonEval("20/2"), "10.0");
  EXPECT_EQ(PythonEval("(12-4)/2"), "4.0");
  EXPECT_EQ(PythonEval("150+(3**2*2)"), "168");
  EXPECT_EQ(PythonEval("-2**2"), "-4");
  EXPECT_EQ(PythonEval("2**-1"), "0.5");
  EXPECT_EQ(PythonEval("(-1)**5"), "-1");
  EXPECT_EQ(PythonEval("7%-3"), "-2");
  EXPECT_EQ(PythonEval("1 + 2 * 3"), "7");
  EXPECT_EQ(PythonEval("30+(20/4)"), "35.0");
  try {
    PythonEval("3+x");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("\"3+x\""), std::string::npos) << e.what();
  }
}

TEST(ArithmeticProbe, CaptionIsTheReleasedTapeAndFrameCountItsLength) {
  ArithmeticProblem p;
  p.expr = "12+7";
  p.category = "double_digit_add";
  p.digit_type = "double";
  p.difficulty = 2;
  const std::string plain =
      "Python REPL arithmetic demonstration: `12+7` (double_digit_add, double digits, "
      "difficulty 2). User starts Python interactive mode, calculates the expression, and exits "
      "after viewing the result. Sleep 200ms; Type \"python\"; Enter; Sleep 1s; Type \"12+7\"; "
      "Enter; Sleep 800ms; Type \"exit()\"; Enter; Sleep 500ms";
  EXPECT_EQ(ArithmeticCaption(p, std::nullopt), plain);
  EXPECT_EQ(ArithmeticCaption(p, std::string("19")), plain + " The answer is 19.");
  // 6 + 4 + 6 characters and three Enters at 70 ms, 2.5 s of sleeps: 3.83 s, 58 frames.
  const int64_t t = ArithmeticFrameCount("12+7", 15.0);
  EXPECT_EQ(t, 58);
  EXPECT_GT(ArithmeticFrameCount("123+456", 15.0), t);
}

// The known-answer checkpoint computes every problem of the pool as Python does.
TEST(ArithmeticProbe, CalculatorCheckpointAnswersTheWholePool) {
  test::TempDir tmp;
  const NcSpec spec = test::CliSpec(640, 408, 15);
  WriteCalculatorCheckpoint(spec, false, 24, "catppuccin-mocha", tmp / "calc.pt");
  WriteCalculatorCheckpoint(spec, true, 24, "catppuccin-mocha", tmp / "wrong.pt");
  auto calc = torch::jit::load((tmp / "calc.pt").string());
  auto wrong = torch::jit::load((tmp / "wrong.pt").string());
  int mismatches = 0;
  for (const auto& p : ArithmeticPool()) {
    const auto caption = ArithmeticCaption(p, std::nullopt);
    const auto expr = calc.get_method("expr_of")({caption}).toStringRef();
    ASSERT_EQ(expr, p.expr);
    const auto got = calc.get_method("answer")({expr}).toStringRef();
    mismatches += got != p.expected;
    EXPECT_EQ(got, p.expected) << p.expr;
    const auto bad = wrong.get_method("perturb")({got}).toStringRef();
    EXPECT_NE(bad, p.expected) << p.expr;
  }
  EXPECT_EQ(mismatches, 0);
}

TEST(OcrMetric, OptionsAreChecked) {
  EXPECT_THROW(CreateMetric("ocr", {{"psm", 14}}), Error);
  EXPECT_THROW(CreateMetric("ocr", {{"gt_source", "screen"}}), Error);
  EXPECT_THROW(CreateMetric("ocr", {{"k", 0}}), Error);
  EXPECT_THROW(CreateMetric("ocr", {{"kk", 5}}), Error);
  EXPECT_THROW(CreateMetric("ocr", {{"psm", "three"}}), Error);
  try {
    CreateMetric("ocr", {{"tessdata", "/nonexistent/tessdata"}});
    FAIL() << "expected MissingError";
  } catch (const MissingError& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/tessdata"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("tesseract-ocr-eng"), std::string::npos) << e.what();
  }
  auto m = CreateMetric("ocr", {{"psm", 6}, {"gt_source", "buffer"}});
  EXPECT_EQ(m->info().name, "ocr_buffer_psm6");
  EXPECT_EQ(m->options()["psm"], 6);
  EXPECT_EQ(m->options()["preprocess"]["upscale"], 1);
}

}  // namespace
}  // namespace ncb
