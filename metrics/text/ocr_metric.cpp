// The `ocr` metric: character and exact-line accuracy of Tesseract's reading of generated
// terminal frames against the ground truth's (text_accuracy.h has the protocol).
//
// Frames are submitted to the shared OcrPool as they stream in, so OCR overlaps the rollout
// and the other metrics; EndSample waits for the texts. The ground truth's OCR goes through
// OcrTextCache (per dataset, keyed by frame content and OCR fingerprint).
#include <torch/types.h>

#include <set>

#include "core/errors.h"
#include "metrics/metric.h"
#include "metrics/text/ocr_cache.h"
#include "metrics/text/tesseract_ocr.h"
#include "metrics/text/text_accuracy.h"

namespace ncb {
namespace {
using nlohmann::json;

struct OcrMetricOptions {
  int64_t k = 5;
  std::string gt_source = "ocr";  // "ocr" | "buffer"
  bool cache = true;
  OcrOptions ocr;
};

// A text that is either known now (cache, buffer) or on its way from the pool.
struct PendingText {
  std::optional<std::string> ready;
  std::shared_future<std::string> future;
  std::string Get() { return ready ? *ready : future.get(); }
};

struct PendingFrame {
  int64_t index = 0;
  PendingText gen, gt;
  std::string gt_key;   // cache key; empty when the text came from the cache
  std::string gen_key;  // the same for a generated frame that is the conditioning frame
  std::optional<std::string> buffer;
};

struct Pair {
  CharScore chars;
  double lines = 0;
};

Pair Score(const std::vector<std::string>& ref, const std::vector<std::string>& hyp) {
  return {CharacterAccuracy(JoinLines(ref), JoinLines(hyp)), ExactLineAccuracy(ref, hyp)};
}

}  // namespace

const std::vector<MetricOption>& OcrOptionTable() {
  static const std::vector<MetricOption> t = {
      {"k", "integer", 5, true, "frames OCR'd per sample, spread evenly"},
      {"gt_source", "string", "ocr", true, "ocr (Tesseract on the ground truth) or buffer"},
      {"psm", "integer", 3, true, "Tesseract page segmentation mode, 0..13"},
      {"lang", "string", "eng", true, "traineddata language"},
      {"upscale", "integer", 1, true, "resize frames by this factor before OCR, 1..8"},
      {"invert", "boolean", false, true, "invert dark frames before OCR"},
      {"cache", "boolean", true, false, "use the on-disk ground-truth OCR cache"},
      {"tessdata", "string", nullptr, false, "tessdata folder (default: the system's)"},
      {"threads", "integer", 0, false, "OCR worker threads (0: every core)"}};
  return t;
}

namespace {

class OcrMetric : public Metric {
 public:
  OcrMetric(const OcrMetricOptions& o, const MetricEnv& env)
      : o_(o), pool_(OcrPool::Shared(o.ocr)) {
    if (o_.cache && !env.cache_dir.empty() && !env.dataset_id.empty()) {
      cache_ =
          OcrTextCache::Open(env.cache_dir / "ocr" / (env.dataset_id.substr(0, 16) + ".jsonl"));
    }
    info_ = {"ocr",
             1,
             "",
             "higher_is_better",
             "clip",
             "Neural Computers (Zhuge et al., 2026) App. B.2 protocol; Tesseract " +
                 pool_->provenance()["tesseract_version"].get<std::string>() + " C++ API"};
    info_.name += NameSuffix({{"k", o_.k},
                              {"gt_source", o_.gt_source},
                              {"psm", o_.ocr.psm},
                              {"lang", o_.ocr.lang},
                              {"upscale", o_.ocr.upscale},
                              {"invert", o_.ocr.invert}},
                             OcrOptionTable());
  }

  const MetricInfo& info() const override { return info_; }
  std::vector<OutputKey> outputs() const override {
    return {{"*_char_accuracy", "ratio", "higher_is_better", true},
            {"*_line_accuracy", "ratio", "higher_is_better", false},
            {"*_cer", "ratio", "lower_is_better", false},
            {"*_ceiling_char_accuracy", "data", "", false},  // Tesseract on the ground truth
            {"*_gt_vs_buffer_char_accuracy", "data", "", false},
            {"hits", "count", "", false},
            {"misses", "count", "", false}};
  }
  std::vector<OutputView> views() const override {
    return {{"frame_texts", "ocr_frames", "OCR", ""}};
  }
  // The model's content is traineddata_sha256; the cache holds what the same settings read.
  std::vector<std::string> incidental_options() const override {
    return {"cache", "tessdata", "threads"};
  }
  json options() const override {
    json j = pool_->provenance();
    j["k"] = o_.k;
    j["gt_source"] = o_.gt_source;
    j["threads"] = pool_->threads();
    j["frame_selection"] = "T <= k: all; else round_half_even(i*(T-1)/(k-1)), i < k, over k = 1..T";
    j["normalisation"] = "lines stripped, runs of spaces/tabs collapsed, empty lines dropped";
    j["cache"] = cache_ ? json(cache_->file().string()) : json(nullptr);
    return j;
  }

  void BeginSample(const SampleInfo& s) override {
    sample_id_ = s.id;
    conditioning_ = s.conditioning;
    pending_.clear();
    selected_.clear();
    for (int64_t i : SelectFrameIndices(s.num_frames, o_.k)) selected_.insert(i + 1);
  }

  std::vector<json> ObserveFrames(const torch::Tensor& gen, const torch::Tensor& gt,
                                  const FrameContext& ctx) override {
    std::vector<json> out(static_cast<size_t>(gen.size(0)), json::object());
    for (int64_t i = 0; i < gen.size(0); ++i) {
      const int64_t k = ctx.first_index + i;
      if (!selected_.count(k)) continue;
      PendingFrame f;
      f.index = k;
      if (static_cast<size_t>(i) < ctx.screen_text.size()) f.buffer = ctx.screen_text[i];
      if (o_.gt_source == "buffer" && !f.buffer) {
        throw Error("sample " + sample_id_ + ", frame " + std::to_string(k) +
                    ": ocr option gt_source=buffer needs the ground truth's screen text, and this "
                    "sample has none (it comes from a .cast or the manifest's \"screen_text\")");
      }
      cv::Mat gen_rgb = FrameToRgb8(gen[i]);
      const std::string gen_image = OcrTextCache::ImageKey(gen_rgb);
      // A generated frame that is the conditioning frame (the static baseline's, a copying
      // model's) is ground truth too: its text goes through the same cache.
      if (cache_ && conditioning_.defined() && torch::equal(gen[i], conditioning_)) {
        const std::string key = gen_image + ":" + pool_->fingerprint();
        f.gen.ready = cache_->Get(key);
        if (!f.gen.ready) f.gen_key = key;
      }
      if (!f.gen.ready) f.gen.future = pool_->SubmitOnce(std::move(gen_rgb), gen_image);
      cv::Mat gt_rgb = FrameToRgb8(gt[i]);
      const std::string gt_image = OcrTextCache::ImageKey(gt_rgb);
      if (cache_) {
        const std::string key = gt_image + ":" + pool_->fingerprint();
        f.gt.ready = cache_->Get(key);
        if (!f.gt.ready) f.gt_key = key;
      }
      if (!f.gt.ready) f.gt.future = pool_->SubmitOnce(std::move(gt_rgb), gt_image);
      pending_.push_back(std::move(f));
    }
    return out;
  }

  json EndSample() override {
    MetricState s;
    json frames = json::array();
    for (auto& f : pending_) {
      const bool cached = f.gt.ready.has_value();
      const std::string gt_text = f.gt.Get(), gen_text = f.gen.Get();
      if (cache_ && !cached) cache_->Put(f.gt_key, gt_text);
      if (cache_ && !f.gen_key.empty()) cache_->Put(f.gen_key, gen_text);
      s.Add(cached ? "gt_cache_hits" : "gt_cache_misses", 1);
      const auto gt_lines = NormaliseLines(gt_text);
      const auto ref = o_.gt_source == "buffer" ? NormaliseLines(*f.buffer) : gt_lines;
      const Pair main = Score(ref, NormaliseLines(gen_text));
      const Pair ceiling = Score(ref, gt_lines);
      json fr = {{"index", f.index},
                 {"gen_text", gen_text},
                 {"gt_text", gt_text},
                 {"char_accuracy", main.chars.accuracy},
                 {"line_accuracy", main.lines},
                 {"edits", main.chars.edits},
                 {"reference_chars", main.chars.reference_chars},
                 {"gt_cached", cached}};
      s.Add("frames", 1);
      s.Add("char_sum", main.chars.accuracy);
      s.Add("line_sum", main.lines);
      s.Add("edits", static_cast<double>(main.chars.edits));
      s.Add("reference_chars", static_cast<double>(main.chars.reference_chars));
      s.Add("ceiling_char_sum", ceiling.chars.accuracy);
      s.Add("ceiling_line_sum", ceiling.lines);
      if (f.buffer) {
        const Pair b = Score(NormaliseLines(*f.buffer), gt_lines);
        fr["buffer_text"] = *f.buffer;
        fr["gt_vs_buffer_char_accuracy"] = b.chars.accuracy;
        fr["gt_vs_buffer_line_accuracy"] = b.lines;
        s.Add("buffer_frames", 1);
        s.Add("buffer_char_sum", b.chars.accuracy);
        s.Add("buffer_line_sum", b.lines);
        s.Add("buffer_edits", static_cast<double>(b.chars.edits));
        s.Add("buffer_reference_chars", static_cast<double>(b.chars.reference_chars));
      }
      frames.push_back(std::move(fr));
    }
    pending_.clear();

    json out;
    const double n = s.Get("frames");
    PutRatio(&out, "ocr_char_accuracy", s.Get("char_sum"), n, "no frames were OCR'd");
    PutRatio(&out, "ocr_line_accuracy", s.Get("line_sum"), n, "no frames were OCR'd");
    PutRatio(&out, "ocr_cer", s.Get("edits"), s.Get("reference_chars"),
             "the reference text of every selected frame is empty");
    PutRatio(&out, "ocr_ceiling_char_accuracy", s.Get("ceiling_char_sum"), n, "no frames");
    const double nb = s.Get("buffer_frames");
    PutRatio(&out, "ocr_gt_vs_buffer_char_accuracy", s.Get("buffer_char_sum"), nb,
             "the dataset has no screen text for this sample");
    out["ocr_frames"] = std::move(frames);

    // Dataset sums: per-sample means (mean over videos) plus pooled counts.
    state_.Add("samples", 1);
    for (const char* key : {"frames", "edits", "reference_chars", "buffer_edits",
                            "buffer_reference_chars", "gt_cache_hits", "gt_cache_misses"}) {
      state_.Add(key, s.Get(key));
    }
    if (n > 0) {
      state_.Add("scored_samples", 1);
      state_.Add("sample_char_sum", s.Get("char_sum") / n);
      state_.Add("sample_line_sum", s.Get("line_sum") / n);
      state_.Add("sample_ceiling_char_sum", s.Get("ceiling_char_sum") / n);
      state_.Add("sample_ceiling_line_sum", s.Get("ceiling_line_sum") / n);
    }
    if (nb > 0) {
      state_.Add("buffer_samples", 1);
      state_.Add("sample_buffer_char_sum", s.Get("buffer_char_sum") / nb);
      state_.Add("sample_buffer_line_sum", s.Get("buffer_line_sum") / nb);
    }
    return out;
  }

  const MetricState& state() const override { return state_; }

  json Finalize(const MetricState& st) const override {
    json a;
    const double n = st.Get("scored_samples"), nb = st.Get("buffer_samples");
    const char* no_buffer = "no sample has screen text (buffer) in this dataset";
    PutRatio(&a, "ocr_char_accuracy", st.Get("sample_char_sum"), n, "no sample was scored");
    PutRatio(&a, "ocr_line_accuracy", st.Get("sample_line_sum"), n, "no sample was scored");
    PutRatio(&a, "ocr_cer", st.Get("edits"), st.Get("reference_chars"),
             "the reference text is empty everywhere");
    json ceiling;
    PutRatio(&ceiling, "gt_vs_reference_char_accuracy", st.Get("sample_ceiling_char_sum"), n,
             "no sample was scored");
    PutRatio(&ceiling, "gt_vs_reference_line_accuracy", st.Get("sample_ceiling_line_sum"), n,
             "no sample was scored");
    PutRatio(&ceiling, "gt_ocr_vs_buffer_char_accuracy", st.Get("sample_buffer_char_sum"), nb,
             no_buffer);
    PutRatio(&ceiling, "gt_ocr_vs_buffer_line_accuracy", st.Get("sample_buffer_line_sum"), nb,
             no_buffer);
    PutRatio(&ceiling, "gt_ocr_vs_buffer_cer", st.Get("buffer_edits"),
             st.Get("buffer_reference_chars"), no_buffer);
    a["ceiling"] = ceiling;
    a["samples"] = n;
    a["frames"] = st.Get("frames");
    a["gt_cache"] = {{"hits", st.Get("gt_cache_hits")}, {"misses", st.Get("gt_cache_misses")}};
    return a;
  }

 private:
  OcrMetricOptions o_;
  std::shared_ptr<OcrPool> pool_;
  std::shared_ptr<OcrTextCache> cache_;
  MetricInfo info_;
  std::string sample_id_;
  torch::Tensor conditioning_;
  std::set<int64_t> selected_;
  std::vector<PendingFrame> pending_;
  MetricState state_;
};

}  // namespace

std::unique_ptr<Metric> MakeOcrMetric(const json& j, const MetricEnv& env) {
  OcrMetricOptions o;
  o.ocr = OcrOptions::FromJson(j, "ocr");
  try {
    o.k = j.value("k", o.k);
    o.gt_source = j.value("gt_source", o.gt_source);
    o.cache = j.value("cache", o.cache);
  } catch (const json::exception& e) {
    throw Error(std::string("ocr: an option has the wrong type: ") + e.what());
  }
  if (o.k < 1) throw Error("ocr: option k must be at least 1");
  if (o.gt_source != "ocr" && o.gt_source != "buffer") {
    throw Error(
        "ocr: option gt_source must be \"ocr\" (Tesseract on the ground truth, the paper's) or "
        "\"buffer\" (the terminal emulator's screen text), got \"" +
        o.gt_source + "\"");
  }
  return std::make_unique<OcrMetric>(o, env);
}

}  // namespace ncb
