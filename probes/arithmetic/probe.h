// The `arithmetic` probe: can the NC compute? (the Neural Computers paper's symbolic probe)
//
// Each problem of the draw becomes a CLI sample: the first frame is the probe screen
// (screen.h) showing a shell prompt at the checkpoint's resolution; the prompt is the released
// data engine's tape for the expression (engine/cli/vhs/generators/arithmetic.py): its
// `# INSTRUCTION:` caption, then its body as "; "-separated commands
//     Python REPL arithmetic demonstration: `12+7` (single_digit_add, single digits,
//     difficulty 1). User starts Python interactive mode, calculates the expression, and exits
//     after viewing the result. Sleep 200ms; Type "python"; Enter; Sleep 1s; Type "12+7";
//     Enter; Sleep 800ms; Type "exit()"; Enter; Sleep 500ms
// (re-prompted: followed by " The answer is <value>.", the paper's Figure 6); T covers the
// tape's duration at the checkpoint's fps (its TypingSpeed, 70 ms a key). The answer stays on
// screen from the expression's Enter to the end (exit() prints nothing), so it is read from
// the rollout's last `read_frames` frames, latest first: Tesseract reads the frame, the line
// after ">>> <expr>" is the answer, compared as text with what Python 3 prints. Accuracy
// comes with a 95% Wilson interval, per category and per problem. The pool (problems.h) is
// the paper's own by default.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "bench/checkpoint/checkpoint.h"
#include "core/logger.h"
#include "metrics/text/tesseract_ocr.h"
#include "probes/arithmetic/problems.h"

namespace ncb {

struct ArithmeticProbeOptions {
  std::string pool = kDefaultArithmeticPool;  // problems.h: nc-release, ncbench-balanced
  int problems = 100;     // the draw's size (1..1000; problems.h says which problems)
  bool reprompt = false;  // also run the re-prompted variant, side by side
  // Also run each problem with another problem's caption (a seeded derangement of the draw),
  // graded against its own expression: a model that reads its caption loses its accuracy.
  bool counterfactual = false;
  int read_frames = 3;  // last frames OCR'd for the answer
  int font_px = 0;      // probe screen font; 0 = fit about 24 rows
  std::string theme = "catppuccin-mocha";
  // The probe screen's look (screen.h): auto (CLIGen's for 1600x900 frames, else plain),
  // plain, cligen-clean, or a tape whose Set lines give it.
  std::string look = "auto";
  int batch_size = 1;
  int64_t seed = 0;
  RolloutMode mode = RolloutMode::kRollout;
  // Tesseract reads the screen as one uniform block of text (psm 6): at its default (psm 3,
  // automatic layout) it dropped every line below a two-character answer on the released
  // tape's end screen (">>> 5*4", "20", ">>> exit()", "$ "). A dark screen is inverted first
  // (dark text on light, Tesseract's own case), which spares it trying each line inverted.
  OcrOptions ocr = [] {
    OcrOptions o;
    o.psm = 6;
    o.invert = true;
    return o;
  }();
};

// The released tape's `# INSTRUCTION:` for a problem, and its body, one command a line.
std::string ArithmeticInstruction(const ArithmeticProblem& problem);
std::vector<std::string> ArithmeticTapeBody(const std::string& expr);
// The prompt: the instruction, then the body joined by "; ", then " The answer is <answer>."
// when re-prompted.
std::string ArithmeticCaption(const ArithmeticProblem& problem,
                              const std::optional<std::string>& answer);
// Frames after the first that cover the tape's body at `fps`.
int64_t ArithmeticFrameCount(const std::string& expr, double fps);

struct AnswerRead {
  bool found = false;     // a ">>> <expr>" line was seen
  std::string expr_line;  // that line as read
  std::string answer;     // the next line, spaces removed ("" when there is none)
};
// Finds the last line that is the REPL prompt (one or more '>', OCR's '»' or '›') followed by
// `expr` (spaces ignored; within one edit, as Tesseract reads a monospace '+' as '4' or
// '4+') and returns the line after it.
AnswerRead ReadAnswer(const std::string& ocr_text, const std::string& expr);

// Runs the draw (and its re-prompted twin) on `checkpoint`; the report's probes.arithmetic.
// Per-problem failures (a rollout that raises, a bad frame) are recorded and count as wrong.
nlohmann::json RunArithmeticProbe(Checkpoint& checkpoint, const ArithmeticProbeOptions& options,
                                  const Logger& log = NullLogger());

}  // namespace ncb
