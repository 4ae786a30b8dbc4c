// The `arithmetic` probe: can the NC compute? (the Neural Computers paper's symbolic probe)
//
// Each problem of the draw becomes a CLI sample: the first frame is the probe screen
// (screen.h) showing a shell prompt at the checkpoint's resolution; the prompt is the paper's
// scripted caption
//     Type "python"; Enter; Sleep 1s; Type "<expr>"; Enter; Sleep 800ms; Hide
// (re-prompted: followed by " The answer is <value>.", the paper's Figure 6); T covers the
// script's duration at the checkpoint's fps (vhs timing, 50 ms per typed character).
// The answer is read from the rollout's last `read_frames` frames, latest first: Tesseract
// reads the frame, the line after ">>> <expr>" is the answer, compared as text with what
// Python 3 prints. Accuracy comes with a 95% Wilson interval, per category and per problem.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "bench/checkpoint/checkpoint.h"
#include "core/logger.h"
#include "metrics/text/tesseract_ocr.h"

namespace ncb {

struct ArithmeticProbeOptions {
  int problems = 100;     // the draw: the pool's first N (1..1000)
  bool reprompt = false;  // also run the re-prompted variant, side by side
  // Also run each problem with another problem's caption (a seeded derangement of the draw),
  // graded against its own expression: a model that reads its caption loses its accuracy.
  bool counterfactual = false;
  int read_frames = 3;  // last frames OCR'd for the answer
  int font_px = 0;      // probe screen font; 0 = fit about 24 rows
  std::string theme = "catppuccin-mocha";
  int batch_size = 1;
  int64_t seed = 0;
  RolloutMode mode = RolloutMode::kRollout;
  OcrOptions ocr;
};

std::string ArithmeticCaption(const std::string& expr, const std::optional<std::string>& answer);
// Frames after the first that cover the caption's script at `fps`.
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
