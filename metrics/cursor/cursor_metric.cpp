// `cursor`: where the generated frame draws the pointer, against the logged position and
// against the pointer found in the ground-truth frame (cursor_detector.h finds it).
//
// Per frame k with a logged position: the detected hotspots (generated, ground truth), their
// confidences, the logged point, and the errors in pixels. Per sample and run:
//   cursor_hit_rate          generated within R px of the logged point / frames with a log
//                            (a frame where no cursor is found is a miss)
//   cursor_hit_rate_vs_gt    generated within R px of the ground truth's detected cursor /
//                            frames where the ground truth's cursor is found
//   cursor_error_mean/median generated vs logged, in pixels, over frames where it is found
//                            (the median floored to whole pixels from a 1-px histogram, so
//                            shards merge exactly)
//   cursor_hit_rate_rN       the hit rate within N px, for every N of `radii` (a curve; the
//                            fraction of the screen's width each N is is in the options)
//   cursor_dx_mean, cursor_dy_mean   mean |dx| and |dy| of generated vs logged, px, over
//                            frames where it is found (NeuralOS's measure, with the Euclidean
//                            cursor_error_mean beside them)
//   cursor_not_found_rate    frames with no cursor found in the generated frame
//   cursor_gt_hit_rate, cursor_gt_not_found_rate   the same for the ground truth: the
//                            detector's own ceiling on the dataset
//   cursor_frames            frames counted (with a logged position inside the frame)
//   cursor_frames_outside    frames whose logged position lies outside the video (a log of
//                            a larger screen the video shows a crop of): not counted
// R (`radius`, default 8) is in pixels of the recordings' screen and scales with the frame:
// the recordings' Adwaita arrow (a 24x24 sprite, about 10x16 px opaque, at 1024x768) is
// larger than that, so within 8 px the tip lies inside the arrow's own extent; a model that
// draws the arrow elsewhere misses.
#include <torch/types.h>

#include <algorithm>
#include <cmath>

#include "core/errors.h"
#include "core/frame.h"
#include "core/hashing.h"
#include "core/recent_memo.h"
#include "core/stats.h"
#include "metrics/cursor/cursor_detector.h"
#include "metrics/metric.h"

namespace ncb {

const std::vector<MetricOption>& CursorOptions() {
  static const std::vector<MetricOption> t = {
      {"templates", "string", nullptr, false,
       "cursor sprite folder (default: the dataset's cursors/)"},
      {"radius", "number", 8.0, true, "a hit: within this many px of the logged position"},
      {"min_confidence", "number", nullptr, true,
       "the detector's threshold, in (0, 1] (default: the library's calibrated one, else 0.8)"},
      {"scales", "array", nlohmann::json::array({1.0}), true, "sprite scales searched"},
      {"radii", "array", nlohmann::json::array({2.0, 4.0, 16.0, 32.0}), true,
       "further radii (px) of the hit-rate curve, each reported as cursor_hit_rate_rN"}};
  return t;
}

namespace {

constexpr int kHistogramBins = 1025;  // 0..1023 px in 1-px bins, then everything beyond

class CursorMetric : public Metric {
 public:
  CursorMetric(const nlohmann::json& o, const MetricEnv& env) {
    templates_ = o.contains("templates") ? std::filesystem::path(o["templates"].get<std::string>())
                                         : env.dataset_dir / "cursors";
    library_ = CursorLibrary::Load(templates_);
    templates_sha256_ = Sha256Tree(templates_);
    radius_ = o.value("radius", 8.0);
    // The library's own threshold (calibrated by `datasets cursor-templates`), else 0.8.
    const bool given = o.contains("min_confidence") && !o["min_confidence"].is_null();
    if (given) min_confidence_ = o["min_confidence"].get<double>();
    scales_ = o.value("scales", std::vector<double>{1.0});
    radii_ = o.value("radii", std::vector<double>{2.0, 4.0, 16.0, 32.0});
    if (!(radius_ > 0) || (min_confidence_ && !(*min_confidence_ > 0 && *min_confidence_ <= 1)) ||
        scales_.empty()) {
      throw Error("cursor: radius must be > 0, min_confidence in (0, 1], scales non-empty");
    }
    for (double r : radii_) {
      if (!(r > 0) || r != std::floor(r) || r > 1024)
        throw Error("cursor: radii must be whole numbers of px in 1..1024, got " +
                    nlohmann::json(r).dump());
    }
    info_ = {"cursor",
             2,
             "px",
             "higher_is_better",
             "frame",
             "ncbench ZNCC matching of the dataset's cursor templates near the logged point, then "
             "anywhere (hotspot); hit within R px"};
    info_.name += NameSuffix({{"radius", radius_},
                              {"min_confidence", given ? o["min_confidence"] : nlohmann::json()},
                              {"scales", scales_},
                              {"radii", radii_}},
                             CursorOptions());
    config_ = options().dump();
  }
  const MetricInfo& info() const override { return info_; }
  // Against the log: the hit rate and the errors; not the *_vs_gt keys (against the cursor
  // found in the ground truth) or the not-found rate.
  std::vector<std::string> cursor_log_keys() const override {
    std::vector<std::string> keys = {"_hit_rate",     "_error",   "_error_mean",
                                     "_error_median", "_dx_mean", "_dy_mean"};
    for (double r : radii_) keys.push_back("_hit_rate_r" + Num(r));
    return keys;
  }
  std::vector<OutputKey> outputs() const override {
    std::vector<OutputKey> keys = {
        {"*_hit_rate", "ratio", "higher_is_better", true},
        {"*_not_found_rate", "ratio", "lower_is_better", false},
        {"*_gt_hit_rate", "data", "", false},  // the detector on the ground truth
        {"*_gt_not_found_rate", "data", "", false},
        {"*_error_mean", "px", "lower_is_better", false},
        {"*_error_median", "px", "lower_is_better", false},
        {"*_error", "px", "lower_is_better", false},
        {"*_dx_mean", "px", "lower_is_better", false},
        {"*_dy_mean", "px", "lower_is_better", false},
        {"*_radius_px", "count", "", false},
        {"*_frames_outside", "count", "", false},
        {"*_min_confidence", "data", "", false}};
    for (double r : radii_)
      keys.push_back({"*_hit_rate_r" + Num(r), "ratio", "higher_is_better", false});
    return keys;
  }
  std::vector<OutputView> views() const override {
    return {{"histogram", "error_histogram", "cursor error histogram (frames)", "px"}};
  }
  nlohmann::json options() const override {
    return {{"templates", templates_.string()},
            {"templates_sha256", templates_sha256_},  // the library's content, where it lies
            {"radius", radius_},
            {"radius_unit", "px of a " + std::to_string(library_.screen.width) + "x" +
                                std::to_string(library_.screen.height) +
                                " screen, scaled with the frame"},
            {"min_confidence",
             min_confidence_ ? nlohmann::json(*min_confidence_) : nlohmann::json("default")},
            {"scales", scales_},
            {"radii", radii_},
            {"radii_fraction_of_width", RadiiFractions()},
            {"sprites", library_.sprites.size()}};
  }
  void BeginSample(const SampleInfo& s) override {
    cursor_ = s.cursor;
    sample_ = {};
  }
  std::vector<nlohmann::json> ObserveFrames(const torch::Tensor& gen, const torch::Tensor& gt,
                                            const FrameContext& c) override {
    std::vector<nlohmann::json> out;
    for (int64_t i = 0; i < gen.size(0); ++i) {
      const auto k = static_cast<size_t>(c.first_index + i);
      nlohmann::json f = nlohmann::json::object();
      if (k >= cursor_.size() || !cursor_[k]) {
        out.push_back(f);  // no logged position: nothing to compare with
        continue;
      }
      const cv::Point2d logged(cursor_[k]->first, cursor_[k]->second);
      if (logged.x < 0 || logged.y < 0 || logged.x >= static_cast<double>(gt[i].size(2)) ||
          logged.y >= static_cast<double>(gt[i].size(1))) {
        // A log of a larger screen than the video shows (a crop): the pointer is off view.
        f["cursor_log"] = {logged.x, logged.y};
        f["cursor_log_outside_frame"] = true;
        sample_.Add("outside", 1);
        out.push_back(f);
        continue;
      }
      const auto dg = DetectOnce(gen[i], logged), dt = DetectOnce(gt[i], logged);
      const double r = radius_ * frame_.width / library_.screen.width;
      f["cursor_log"] = {logged.x, logged.y};
      Put(&f, "cursor_gen", dg);
      Put(&f, "cursor_gt", dt);
      sample_.Add("frames", 1);
      if (dg) {
        const double e = cv::norm(dg->hotspot - logged);
        f["cursor_error"] = e;
        sample_.Add("gen_found", 1);
        sample_.Add("error_sum", e);
        sample_.Add("dx_sum", std::abs(dg->hotspot.x - logged.x));
        sample_.Add("dy_sum", std::abs(dg->hotspot.y - logged.y));
        sample_.Add("gen_hits", e <= r);
        for (double radius : radii_)
          sample_.Add("gen_hits_r" + Num(radius),
                      e <= radius * frame_.width / library_.screen.width);
        Histogram(e);
      }
      if (dt) {
        const double e = cv::norm(dt->hotspot - logged);
        f["cursor_gt_error"] = e;
        sample_.Add("gt_found", 1);
        sample_.Add("gt_hits", e <= r);
        if (dg) {
          const double egt = cv::norm(dg->hotspot - dt->hotspot);
          f["cursor_error_vs_gt"] = egt;
          sample_.Add("gen_hits_vs_gt", egt <= r);
        }
      }
      out.push_back(std::move(f));
    }
    return out;
  }
  nlohmann::json EndSample() override {
    nlohmann::json s;
    if (sample_.Get("frames") == 0) {
      s["cursor_excluded"] =
          cursor_.empty() ? "no GUI action log" : "no frame with a logged cursor position";
      return s;
    }
    s = Summary(sample_);
    state_.Merge(sample_);
    state_.Add("samples", 1);
    return s;
  }
  const MetricState& state() const override { return state_; }
  nlohmann::json Finalize(const MetricState& st) const override {
    auto a = Summary(st);
    a["samples"] = st.Get("samples");
    a["cursor_radius_px"] = radius_;
    if (threshold_ > 0) a["cursor_min_confidence"] = threshold_;
    // The rates over frames get Wilson intervals (frames as trials; frames of one sample are
    // correlated, so these are narrower than the bootstrap over samples the runner adds for
    // the other keys).
    const double n = st.Get("frames"), found = st.Get("gen_found"), gt_found = st.Get("gt_found");
    const auto wilson = [&](const char* key, double k, double trials) {
      if (trials <= 0) return;
      const auto [lo, hi] = WilsonInterval(std::llround(k), std::llround(trials));
      a["ci95"][key] = {lo, hi};
      a["ci95_method"][key] = "wilson over frames";
    };
    wilson("cursor_hit_rate", st.Get("gen_hits"), n);
    wilson("cursor_hit_rate_vs_gt", st.Get("gen_hits_vs_gt"), gt_found);
    wilson("cursor_not_found_rate", n - found, n);
    wilson("cursor_gt_hit_rate", st.Get("gt_hits"), n);
    wilson("cursor_gt_not_found_rate", n - gt_found, n);
    return a;
  }

 private:
  static void Put(nlohmann::json* f, const std::string& key,
                  const std::optional<CursorDetection>& d) {
    if (!d) {
      (*f)[key] = nullptr;
      (*f)[key + "_null_reason"] = "no cursor found";
      return;
    }
    (*f)[key] = {d->hotspot.x, d->hotspot.y};
    (*f)[key + "_confidence"] = d->confidence;
  }
  void Histogram(double e) {
    auto& h = sample_.arrays["error_histogram"];
    if (h.empty()) h.assign(kHistogramBins, 0.0);
    h[static_cast<size_t>(std::min<double>(std::floor(e), kHistogramBins - 1))] += 1;
  }
  // The median from the 1-px histogram, in whole pixels: the lower edge of the bin holding
  // the middle error.
  static std::optional<double> Median(const MetricState& st) {
    auto it = st.arrays.find("error_histogram");
    if (it == st.arrays.end()) return std::nullopt;
    double total = 0;
    for (double v : it->second) total += v;
    double seen = 0;
    for (size_t b = 0; b < it->second.size(); ++b) {
      seen += it->second[b];
      if (seen >= total / 2) return static_cast<double>(b);
    }
    return std::nullopt;
  }
  nlohmann::json Summary(const MetricState& st) const {
    nlohmann::json a;
    const double n = st.Get("frames"), found = st.Get("gen_found"), gt_found = st.Get("gt_found");
    PutRatio(&a, "cursor_hit_rate", st.Get("gen_hits"), n, "no frame with a logged cursor");
    PutRatio(&a, "cursor_hit_rate_vs_gt", st.Get("gen_hits_vs_gt"), gt_found,
             "no cursor found in the ground truth");
    PutRatio(&a, "cursor_error_mean", st.Get("error_sum"), found,
             "no cursor found in the generated frames");
    PutRatio(&a, "cursor_dx_mean", st.Get("dx_sum"), found,
             "no cursor found in the generated frames");
    PutRatio(&a, "cursor_dy_mean", st.Get("dy_sum"), found,
             "no cursor found in the generated frames");
    for (double radius : radii_) {
      PutRatio(&a, "cursor_hit_rate_r" + Num(radius), st.Get("gen_hits_r" + Num(radius)), n,
               "no frame with a logged cursor");
    }
    const auto median = Median(st);
    PutScore(&a, "cursor_error_median", median.value_or(0), median.has_value(),
             "no cursor found in the generated frames");
    PutRatio(&a, "cursor_not_found_rate", n - found, n, "no frame with a logged cursor");
    PutRatio(&a, "cursor_gt_hit_rate", st.Get("gt_hits"), n, "no frame with a logged cursor");
    PutRatio(&a, "cursor_gt_not_found_rate", n - gt_found, n, "no frame with a logged cursor");
    a["cursor_frames"] = n;
    a["cursor_frames_outside"] = st.Get("outside");
    return a;
  }

  // A whole number of px as the key's suffix ("16").
  static std::string Num(double v) { return std::to_string(std::llround(v)); }
  nlohmann::json RadiiFractions() const {
    nlohmann::json out = nlohmann::json::object();
    for (double r : radii_) out[Num(r)] = r / library_.screen.width;
    return out;
  }

  MetricInfo info_;
  std::filesystem::path templates_;
  std::string templates_sha256_;
  double radius_ = 8;
  std::optional<double> min_confidence_;  // given; else the detector's default
  double threshold_ = 0;                  // the detector's threshold in use
  std::vector<double> scales_, radii_;
  // Where the cursor is in a frame whose log puts it at `logged`: the best match within R of
  // the logged point when it reaches min_confidence (the question "is the cursor there?" is
  // a small search, and a look-alike elsewhere on the screen cannot hide it); else the best
  // match within the curve's largest radius, then anywhere on the frame, when it reaches
  // the detector's stricter frame_confidence() (how far off the cursor is); else not found. Kept
  // for a frame seen recently by any instance of this configuration (core/recent_memo.h): the
  // model's and the static baseline's instances see the same ground-truth tensor, and the static
  // baseline the same frame at every k.
  std::optional<CursorDetection> DetectOnce(const torch::Tensor& frame,  // [3,H,W]
                                            cv::Point2d logged) {
    if (const cv::Size size(static_cast<int>(frame.size(2)), static_cast<int>(frame.size(1)));
        size != frame_) {
      frame_ = size;  // the radius scales with it, whether the detection is new or kept
      detector_.reset();
    }
    if (!detector_) {
      detector_.emplace(library_, frame_, scales_, min_confidence_);
      threshold_ = detector_->min_confidence();
    }
    // Near the logged point: kept per frame and point. Anywhere: per frame alone (the static
    // baseline's frame, searched once for all its logged points).
    static TensorMemo<std::optional<CursorDetection>> near_memo(8);
    // The whole-frame search, by the frame's pixels (a search costs tens of ms).
    static RecentMemo<PixelContent, std::optional<CursorDetection>> frame_memo(8);
    const std::string tag =
        config_ + "@" + std::to_string(logged.x) + "," + std::to_string(logged.y);
    return near_memo.Get(
        frame,
        [&] {
          const cv::Mat bgr = FrameToMat(frame);
          const double px = static_cast<double>(frame_.width) / library_.screen.width;
          auto near = detector_->Near(bgr, logged, radius_ * px);
          if (near && near->confidence >= detector_->min_confidence()) return near;
          double reach = radius_;
          for (double r : radii_) reach = std::max(reach, r);
          if (reach > radius_) {
            near = detector_->Near(bgr, logged, reach * px);
            if (near && detector_->CountsAnywhere(*near)) return near;
          }
          return frame_memo.Get(
              bgr, [&] { return detector_->Detect(bgr); }, config_);
        },
        tag);
  }

  CursorLibrary library_;
  std::string config_;  // options(), the key part of DetectOnce's entries
  std::optional<CursorDetector> detector_;
  cv::Size frame_;
  std::vector<std::optional<std::pair<double, double>>> cursor_;
  MetricState sample_, state_;
};

}  // namespace

std::unique_ptr<Metric> MakeCursorMetric(const nlohmann::json& options, const MetricEnv& env) {
  return std::make_unique<CursorMetric>(options, env);
}

}  // namespace ncb
