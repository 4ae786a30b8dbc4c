#include "probes/arithmetic/probe.h"

#include <torch/types.h>

#include <algorithm>
#include <cmath>
#include <deque>
#include <map>

#include "bench/rollout/rollout.h"
#include "core/errors.h"
#include "core/frame.h"
#include "core/hashing.h"
#include "core/stats.h"
#include "datasets/tape.h"
#include "metrics/text/text_accuracy.h"
#include "probes/arithmetic/problems.h"
#include "probes/arithmetic/screen.h"
#include "probes/probe.h"

namespace ncb {
using nlohmann::json;

namespace {

std::string RemoveSpaces(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c != ' ' && c != '\t') out += c;
  }
  return out;
}

// Bytes of the REPL prompt (">>>" as Tesseract reads it: '>' and its look-alikes '»', '›')
// at the start of `line`; 0 when it does not start with one.
size_t ReplPromptLength(const std::string& line) {
  size_t i = 0;
  while (i < line.size()) {
    if (line[i] == '>') {
      ++i;
      continue;
    }
    if (line.compare(i, 2, "\xC2\xBB") == 0) {
      i += 2;
      continue;
    }  // »
    if (line.compare(i, 3, "\xE2\x80\xBA") == 0) {
      i += 3;
      continue;
    }  // ›
    break;
  }
  return i;
}

struct ProblemRun {
  const ArithmeticProblem* problem;
  std::string prompt;
  int64_t frames = 0;
};

json Summarise(const std::vector<json>& rows) {
  std::map<std::string, std::pair<int64_t, int64_t>> per_cat;  // correct, total
  int64_t correct = 0, errors = 0;
  for (const auto& r : rows) {
    const bool ok = r.value("correct", false);
    correct += ok;
    errors += r.contains("error");
    auto& c = per_cat[r["category"].get<std::string>()];
    c.first += ok;
    c.second += 1;
  }
  const auto n = static_cast<int64_t>(rows.size());
  auto block = [](int64_t c, int64_t total) {
    const auto [lo, hi] = WilsonInterval(c, total);
    return json{{"accuracy", total ? static_cast<double>(c) / static_cast<double>(total) : 0.0},
                {"correct", c},
                {"total", total},
                {"wilson95", {lo, hi}}};
  };
  json out = block(correct, n);
  out["errors"] = errors;
  json cats = json::object();
  for (const auto& [cat, c] : per_cat) cats[cat] = block(c.first, c.second);
  out["per_category"] = cats;
  out["problems"] = rows;
  return out;
}

}  // namespace

// The released generator's TypingSpeed (its tapes' `Set TypingSpeed 70ms`).
constexpr const char* kReleasedTypingSpeed = "70ms";

namespace {

// The released tape's instruction and body from its fields as text: a problem's, or the
// report's placeholders ("<expr>", "<difficulty>").
std::string InstructionText(const std::string& expr, const std::string& category,
                            const std::string& digit_type, const std::string& difficulty) {
  return "Python REPL arithmetic demonstration: `" + expr + "` (" + category + ", " + digit_type +
         " digits, difficulty " + difficulty +
         "). User starts Python interactive mode, calculates the expression, and exits after "
         "viewing the result.";
}

std::string CaptionText(const std::string& instruction, const std::string& expr) {
  std::string c = instruction;
  const auto body = ArithmeticTapeBody(expr);
  for (size_t i = 0; i < body.size(); ++i) c += (i ? "; " : " ") + body[i];
  return c;
}

}  // namespace

std::string ArithmeticInstruction(const ArithmeticProblem& p) {
  return InstructionText(p.expr, p.category, p.digit_type, std::to_string(p.difficulty));
}

std::vector<std::string> ArithmeticTapeBody(const std::string& expr) {
  return {"Sleep 200ms", "Type \"python\"", "Enter",           "Sleep 1s", "Type \"" + expr + "\"",
          "Enter",       "Sleep 800ms",     "Type \"exit()\"", "Enter",    "Sleep 500ms"};
}

std::string ArithmeticCaption(const ArithmeticProblem& p,
                              const std::optional<std::string>& answer) {
  std::string c = CaptionText(ArithmeticInstruction(p), p.expr);
  if (answer) c += " The answer is " + *answer + ".";
  return c;
}

int64_t ArithmeticFrameCount(const std::string& expr, double fps) {
  std::string script = std::string("Set TypingSpeed ") + kReleasedTypingSpeed + "\n";
  for (const auto& line : ArithmeticTapeBody(expr)) script += line + "\n";
  const auto timeline = TapeTimeline(ParseTape(script, "arithmetic probe tape"));
  const double end = timeline.empty() ? 0 : timeline.back().time;
  return std::max<int64_t>(1, static_cast<int64_t>(std::ceil(end * fps - 1e-9)));
}

namespace {
// An expression line's characters for matching: '+' read as the '4' Tesseract often sees.
std::u32string PlusAsFour(const std::string& text) {
  std::u32string s = DecodeUtf8(text);
  std::replace(s.begin(), s.end(), U'+', U'4');
  return s;
}
}  // namespace

AnswerRead ReadAnswer(const std::string& ocr_text, const std::string& expr) {
  AnswerRead r;
  const auto lines = NormaliseLines(ocr_text);
  const std::string want = RemoveSpaces(expr);
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string line = RemoveSpaces(lines[i]);
    const size_t prompt_end = ReplPromptLength(line);
    if (prompt_end == 0) continue;
    // The operands identify the line; tessdata_fast misreads a monospace '+' as '4' or
    // '4+', so '+' and '4' count as one character and one more edit is allowed (JetBrains
    // Mono's "32+26" at 40 px reads "$2426").
    if (Levenshtein(PlusAsFour(line.substr(prompt_end)), PlusAsFour(want)) > 1) continue;
    r.found = true;
    r.expr_line = lines[i];
    r.answer.clear();
    if (i + 1 < lines.size()) {
      // The line after, unless it is the next prompt (the expression printed nothing).
      const std::string next = RemoveSpaces(lines[i + 1]);
      if (ReplPromptLength(next) == 0) r.answer = next;
    }
  }
  return r;
}

namespace {

// The last frames of a batch's rollout, each with its frame number.
using FrameTail = std::deque<std::pair<int64_t, torch::Tensor>>;

// Rejects options and checkpoints the probe cannot run with.
void CheckProbeInputs(Checkpoint& ckpt, const NcSpec& spec) {
  if (spec.modality != "cli") {
    throw Error("arithmetic probe: checkpoint '" + spec.name + "' is a " + spec.modality +
                " model; the probe types into a terminal (modality cli)");
  }
  if (ckpt.Describe().value("adapter", "") == "videos") {
    throw Error(
        "arithmetic probe: a videos: checkpoint only replays clips it was given; the probe "
        "needs a model that rolls out from the probe's own prompts");
  }
}

// The draw's problems with the captions of `variant` ("plain" or "reprompt") and their lengths.
// "counterfactual": problem i with the plain caption of problem perm[i] (a derangement of the
// draw, SplitMix64 seeded with fnv1a64("arithmetic:counterfactual")), at its own length.
std::vector<ProblemRun> MakeRuns(const std::vector<ArithmeticProblem>& drawn,
                                 const std::string& variant, double fps) {
  std::vector<size_t> caption_of(drawn.size());
  for (size_t i = 0; i < caption_of.size(); ++i) caption_of[i] = i;
  if (variant == "counterfactual") {
    SplitMix64 rng(Fnv1a64("arithmetic:counterfactual"));
    caption_of = Derangement(caption_of.size(), &rng);
  }
  std::vector<ProblemRun> runs;
  for (size_t i = 0; i < drawn.size(); ++i) {
    const auto& p = drawn[i];
    const auto& c = drawn[caption_of[i]];
    runs.push_back(
        {&p, ArithmeticCaption(c, variant == "reprompt" ? std::optional(p.expected) : std::nullopt),
         ArithmeticFrameCount(p.expr, fps)});
  }
  return runs;
}

// The next batch from `next` on: up to batch_size consecutive runs of the same length.
std::vector<size_t> NextBatch(const std::vector<ProblemRun>& runs, size_t& next, int batch_size) {
  std::vector<size_t> batch = {next++};
  while (next < runs.size() && static_cast<int>(batch.size()) < batch_size &&
         runs[next].frames == runs[batch[0]].frames) {
    batch.push_back(next++);
  }
  return batch;
}

// The rollout request of a batch: every element starts from the probe screen, with no actions.
RolloutRequest MakeRequest(const std::vector<ProblemRun>& runs, const std::vector<size_t>& batch,
                           const torch::Tensor& first, const NcSpec& spec, int64_t seed) {
  RolloutRequest req;
  for (size_t i : batch) {
    req.ids.push_back("arithmetic_" + std::to_string(runs[i].problem->index));
    req.prompts.push_back(runs[i].prompt);
  }
  const auto B = static_cast<int64_t>(batch.size());
  req.num_frames = runs[batch[0]].frames;
  req.first_frame = first.unsqueeze(0).repeat({B, 1, 1, 1});
  req.actions = torch::zeros({B, req.num_frames, static_cast<int64_t>(spec.action_dim)});
  req.seed = SampleSeed(seed, req.ids[0]);
  return req;
}

// A batch's result rows before anything is read: nothing read, not correct.
std::vector<json> BaseRows(const std::vector<ProblemRun>& runs, const std::vector<size_t>& batch,
                           int64_t num_frames) {
  std::vector<json> base;
  for (size_t i : batch) {
    const auto& p = *runs[i].problem;
    base.push_back({{"index", p.index},
                    {"expr", p.expr},
                    {"category", p.category},
                    {"expected", p.expected},
                    {"read", nullptr},
                    {"correct", false},
                    {"frames", num_frames}});
  }
  return base;
}

// Rolls the batch out, checks every frame, and keeps its last read_frames frames; a rollout
// that ends early or gives a bad frame throws ContractError.
FrameTail RollOutTail(Checkpoint& ckpt, const RolloutRequest& req, RolloutMode mode,
                      const NcSpec& spec, int64_t B, int read_frames) {
  FrameTail tail;
  auto stream = ckpt.Rollout(req, mode);
  for (int64_t k = 1; k <= req.num_frames; ++k) {
    auto f = stream->Next();
    if (!f)
      throw ContractError("the rollout ended after " + std::to_string(k - 1) + " of " +
                          std::to_string(req.num_frames) + " frames");
    for (int64_t b = 0; b < B; ++b) {
      if (auto bad = ValidateFrame((*f)[b], spec.height, spec.width)) {
        throw ContractError("frame " + std::to_string(k) + ": " + *bad);
      }
    }
    tail.emplace_back(k, f->cpu());
    if (static_cast<int>(tail.size()) > read_frames) tail.pop_front();
  }
  return tail;
}

// Reads latest first: OCRs the last frame of every element in parallel, and goes back one
// frame only for the elements where no ">>> <expr>" line was found yet.
void ReadBatchAnswers(OcrPool& ocr, const FrameTail& tail, const std::vector<ProblemRun>& runs,
                      const std::vector<size_t>& batch, std::vector<json>& base) {
  std::vector<bool> done(batch.size(), false);
  for (size_t j = 0; j < batch.size(); ++j) {
    base[j]["read_frame"] = tail.back().first;
    base[j]["ocr_text"] = "";
  }
  for (size_t t = tail.size(); t-- > 0;) {
    std::vector<std::pair<size_t, std::shared_future<std::string>>> texts;
    for (size_t j = 0; j < batch.size(); ++j) {
      if (done[j]) continue;
      const auto frame = tail[t].second[static_cast<int64_t>(j)];
      // A frame equal to the later one just read reads the same: skip it, go on to the one
      // before (a model that holds its screen, like the static baseline, is read once).
      if (t + 1 < tail.size() && torch::equal(frame, tail[t + 1].second[static_cast<int64_t>(j)]))
        continue;
      // A screen read before (the static baseline's at every problem; the re-prompted run's
      // answer screens, the same as the plain run's) is read once.
      texts.emplace_back(j, ocr.SubmitOnce(FrameToRgb8(frame)));
    }
    for (auto& [j, fut] : texts) {
      const std::string text = fut.get();
      if (t + 1 == tail.size()) base[j]["ocr_text"] = text;  // what was seen when nothing matches
      const AnswerRead a = ReadAnswer(text, runs[batch[j]].problem->expr);
      if (!a.found) continue;
      done[j] = true;
      base[j]["read"] = a.answer;
      base[j]["expr_line"] = a.expr_line;
      base[j]["correct"] = a.answer == base[j]["expected"].get<std::string>();
      base[j]["ocr_text"] = text;
      base[j]["read_frame"] = tail[t].first;
    }
  }
}

// Rolls one batch out and fills its rows; false when the rollout failed (the rows then say
// why).
bool RunBatch(Checkpoint& ckpt, const ArithmeticProbeOptions& o, RolloutMode mode,
              const torch::Tensor& first, OcrPool& ocr, const std::vector<ProblemRun>& runs,
              const std::vector<size_t>& batch, std::vector<json>& rows) {
  const NcSpec& spec = ckpt.spec();
  const RolloutRequest req = MakeRequest(runs, batch, first, spec, o.seed);
  const auto B = static_cast<int64_t>(batch.size());
  std::vector<json> base = BaseRows(runs, batch, req.num_frames);
  // Keep the last read_frames frames of each batch element.
  FrameTail tail;
  try {
    tail = RollOutTail(ckpt, req, mode, spec, B, o.read_frames);
  } catch (const Error& e) {
    for (size_t j = 0; j < batch.size(); ++j) {
      base[j]["error"] = e.what();
      rows[batch[j]] = base[j];
    }
    return false;
  }
  ReadBatchAnswers(ocr, tail, runs, batch, base);
  for (size_t j = 0; j < batch.size(); ++j) rows[batch[j]] = base[j];
  return true;
}

// How the probe was run, for the report: captions, frame counts, the answer rule, the screen,
// OCR and seeds.
json ProbeProtocol(const ArithmeticProbeOptions& o, const ProbeScreen& screen, const OcrPool& ocr,
                   int batch_size) {
  const std::string caption = CaptionText(
      InstructionText("<expr>", "<category>", "<digit_type>", "<difficulty>"), "<expr>");
  return {{"caption", caption},
          {"caption_source",
           "the released tape of the expression (engine/cli/vhs/generators/arithmetic.py): "
           "its # INSTRUCTION line, then its body"},
          {"reprompt_caption", caption + " The answer is <value>."},
          {"counterfactual_caption",
           "the plain caption of another problem of the draw (a derangement: SplitMix64 seeded "
           "with fnv1a64(\"arithmetic:counterfactual\"), Sattolo's algorithm), graded against "
           "the problem's own expression and answer"},
          {"first_frame", "probe screen with the shell prompt \"" + screen.prompt_text + "\""},
          {"frames", std::string("ceil(tape duration * fps); TypingSpeed ") + kReleasedTypingSpeed +
                         " per key, as the released tapes set it"},
          {"read_frames", o.read_frames},
          {"answer_rule",
           "latest of the last read_frames frames whose OCR has a '>>> <expr>' line (spaces "
           "ignored, '+' and '4' alike, <expr> within one edit); the next line, spaces removed, "
           "must equal "
           "Python 3's printed result exactly"},
          {"screen",
           {{"look", screen.look},
            {"font_px", screen.render.font_px},
            {"theme", screen.render.custom ? screen.render.custom->name : screen.render.theme},
            {"rows", screen.rows},
            {"cols", screen.cols}}},
          {"ocr", ocr.provenance()},
          {"seed_rule", "(seed + fnv1a64(\"arithmetic_<index>\")) mod 2^31"},
          {"batch_size", batch_size}};
}

}  // namespace

json RunArithmeticProbe(Checkpoint& ckpt, const ArithmeticProbeOptions& o, const Logger& log) {
  const NcSpec& spec = ckpt.spec();
  CheckProbeInputs(ckpt, spec);
  const auto pool = ArithmeticPool(o.pool);
  const auto draw = ArithmeticDraw(o.pool, pool.size(), o.problems);
  std::vector<ArithmeticProblem> drawn;
  for (size_t i : draw) drawn.push_back(pool[i]);
  const ProbeScreen screen = MakeProbeScreen(spec.height, spec.width, o.font_px, o.theme, o.look);
  const torch::Tensor first = MatToFrame(RenderProbeScreen(screen, screen.prompt));
  auto ocr = OcrPool::Shared(o.ocr);
  const int batch_size = std::max(1, std::min(o.batch_size, ckpt.max_batch()));
  const RolloutMode mode = o.mode;

  std::vector<std::string> variants = {"plain"};
  if (o.reprompt) variants.push_back("reprompt");
  if (o.counterfactual) variants.push_back("counterfactual");
  json out_variants = json::object();
  for (const auto& variant : variants) {
    const std::vector<ProblemRun> runs = MakeRuns(drawn, variant, spec.fps);
    std::vector<json> rows(runs.size());
    size_t next = 0;
    while (next < runs.size()) {
      const std::vector<size_t> batch = NextBatch(runs, next, batch_size);
      if (!RunBatch(ckpt, o, mode, first, *ocr, runs, batch, rows)) continue;
      if (next % 20 == 0 || next == runs.size()) {
        log(LogLevel::kInfo, "arithmetic probe, " + variant + " captions: " + std::to_string(next) +
                                 " of " + std::to_string(runs.size()) + " problems run");
      }
    }
    out_variants[variant] = Summarise(rows);
  }

  json protocol = ProbeProtocol(o, screen, *ocr, batch_size);
  return {{"probe", "arithmetic"},
          {"version", 2},  // 2: the released pool and tape (1: ncbench's pool and caption)
          {"pool",
           {{"name", o.pool},
            {"size", pool.size()},
            {"sha256", ArithmeticPoolHash(pool)},
            {"source", o.pool == "nc-release"
                           ? "metauto-ai/NeuralComputer engine/cli/vhs/generators/arithmetic.py "
                             "(bd6dc0a, MIT): random.seed(2024), the first 1000 patterns"
                           : "ncbench's balanced pool, SplitMix64 seed " +
                                 std::to_string(kArithmeticPoolSeed)}}},
          {"problems", o.problems},
          {"draw", {{"rule", ArithmeticDrawRule(o.pool)}, {"indices", draw}}},
          {"protocol", protocol},
          {"variants", out_variants}};
}

namespace {

// The registry's entry (probes/registry.cpp): options {pool, problems, reprompt,
// counterfactual, read_frames, font_px, theme, look} as the CLI's --pool, --problems,
// --reprompt, --counterfactual-captions, --probe-read-frames, --probe-font-px and --probe-look
// give them.
class ArithmeticProbe : public Probe {
 public:
  explicit ArithmeticProbe(ArithmeticProbeOptions o) : o_(std::move(o)) {}
  const std::string& name() const override { return name_; }
  json Run(const ProbeContext& c) override {
    ArithmeticProbeOptions o = o_;
    o.seed = c.seed;
    o.mode = c.mode;
    o.batch_size = c.batch_size;
    return RunArithmeticProbe(c.checkpoint, o, c.log);
  }
  // The screen must fit the checkpoint's frames (a look's Width x Height, plain's 20x5 cells).
  void Check(const NcSpec& spec) const override {
    if (spec.modality != "cli") return;  // refused with its reason when the probe runs
    try {
      MakeProbeScreen(spec.height, spec.width, o_.font_px, o_.theme, o_.look);
    } catch (const Error& e) {
      throw Error("checkpoint '" + spec.name + "': " + e.what());
    }
  }

 private:
  std::string name_ = "arithmetic";
  ArithmeticProbeOptions o_;
};

}  // namespace

std::unique_ptr<Probe> MakeArithmeticProbe(const json& options) {
  if (!options.is_object()) throw Error("arithmetic probe: options must be a JSON object");
  ArithmeticProbeOptions o;
  for (const auto& [key, v] : options.items()) {
    try {
      if (key == "pool")
        o.pool = v.get<std::string>();
      else if (key == "problems")
        o.problems = v.get<int>();
      else if (key == "reprompt")
        o.reprompt = v.get<bool>();
      else if (key == "counterfactual")
        o.counterfactual = v.get<bool>();
      else if (key == "read_frames")
        o.read_frames = v.get<int>();
      else if (key == "font_px")
        o.font_px = v.get<int>();
      else if (key == "theme")
        o.theme = v.get<std::string>();
      else if (key == "look")
        o.look = v.get<std::string>();
      else
        throw Error("arithmetic probe: unknown option '" + key +
                    "'; known: pool, problems, reprompt, counterfactual, read_frames, font_px, "
                    "theme, look");
    } catch (const json::exception& e) {
      throw Error("arithmetic probe: option '" + key + "': " + e.what());
    }
  }
  CheckArithmeticPoolName(o.pool);
  ArithmeticDraw(o.pool, kArithmeticPoolSize, o.problems);  // the size is checked before a run
  return std::make_unique<ArithmeticProbe>(std::move(o));
}

}  // namespace ncb
