// The `fvd` metric: Frechet Video Distance between the generated and the ground-truth clips
// of a run, from per-side feature statistics that merge across shards.
#include <torch/types.h>

#include <algorithm>
#include <mutex>

#include "core/errors.h"
#include "metrics/metric.h"
#include "metrics/video/frechet.h"
#include "metrics/video/video_features.h"
#include "metrics/weights.h"

namespace ncb {
namespace {

std::shared_ptr<VideoFeatureExtractor> SharedExtractor(const std::string& detector,
                                                       const std::filesystem::path& file) {
  static std::mutex mu;
  static std::map<std::string, std::shared_ptr<VideoFeatureExtractor>> cache;
  std::lock_guard<std::mutex> lock(mu);
  auto& p = cache[detector + "|" + file.string()];
  if (!p) p = std::make_shared<VideoFeatureExtractor>(detector, file);
  return p;
}

}  // namespace

const std::vector<MetricOption>& FvdOptions() {
  static const std::vector<MetricOption> t = {
      {"detector", "string", "i3d", true, "feature extractor: i3d or r3d18"},
      {"clip", "string", "first", true, "first (16 frames) or uniform; r3d18's default: uniform"},
      {"detector_file", "string", nullptr, false, "the detector's TorchScript file"}};
  return t;
}

namespace {

class FvdMetric : public Metric {
 public:
  FvdMetric(std::shared_ptr<VideoFeatureExtractor> x, std::string clip, nlohmann::json options)
      : x_(std::move(x)), clip_(std::move(clip)), options_(std::move(options)) {
    const auto& p = x_->protocol();
    info_ = {"fvd",
             1,
             "",
             "lower_is_better",
             "distribution",
             p.name == "i3d"
                 ? "StyleGAN-V / common_metrics_on_video_quality FVD (I3D features, scipy sqrtm)"
                 : "Neural Computers App. B.3 FVD (torchvision r3d_18 prelogits)"};
    // The default clip rule follows the detector (the protocol each was published with).
    auto table = FvdOptions();
    for (auto& o : table) {
      if (o.key == "clip") o.default_value = DefaultClip(p.name);
    }
    info_.name += NameSuffix({{"detector", p.name}, {"clip", clip_}}, table);
    options_["provenance"] = x_->provenance();
  }
  static std::string DefaultClip(const std::string& detector) {
    return detector == "i3d" ? "first" : "uniform";
  }
  // What video_features.cpp does to the frames, in words, for the report.
  static nlohmann::json Preprocessing(const std::string& detector, const std::string& clip) {
    nlohmann::json p;
    p["clip"] = clip == "uniform"
                    ? "16 of the compared frames 1..T at indices round(linspace(0, T-1, 16)) (half "
                      "to even); "
                      "T < 16: all T, padded with the last"
                    : "the first 16 compared frames; T < 16: all T, padded with the last";
    if (detector == "i3d") {
      p["input"] = "float RGB in [0, 1] as rendered (not rounded to 8 bits)";
      p["resize"] = "short side to 224, bilinear, align_corners=False, the long side rounded up";
      p["crop"] = "centre 224x224";
      p["normalisation"] = "2x - 1, to [-1, 1]";
      p["features"] = "model(x, rescale=False, resize=False, return_features=True): 400-d";
    } else {
      p["input"] = "8-bit frames, round(255 x), as torchvision's Kinetics preset receives them";
      p["resize"] =
          "128x171, bilinear on the 0..255 values, align_corners=False, rounded back to integers";
      p["crop"] = "centre 112x112, offsets rounded half to even";
      p["normalisation"] =
          "x / 255, then Kinetics mean [0.43216, 0.394666, 0.37645], std [0.22803, 0.22145, "
          "0.216989]";
      p["features"] = "model(x): the 512-d prelogits";
    }
    p["distance"] =
        "Frechet distance of Gaussians fitted to the two feature sets (unbiased covariances), "
        "float64; "
        "a negative result of round-off is reported as 0";
    return p;
  }
  const MetricInfo& info() const override { return info_; }
  bool device_kernels() const override { return true; }
  std::vector<OutputKey> outputs() const override {
    return {{"clips", "count", "", false},
            {"feature_dim", "count", "", false},
            {"*_warning", "note", "", false}};
  }
  nlohmann::json options() const override { return options_; }
  nlohmann::json preprocessing() const override {
    return Preprocessing(x_->protocol().name, clip_);
  }

  void BeginSample(const SampleInfo& s) override {
    // Frames k = 1..T arrive in order; keep only the prepared frames the clip uses.
    wanted_ = ClipIndices(s.num_frames, x_->protocol().clip_len, clip_);
    gen_.clear();
    gt_.clear();
  }
  std::vector<nlohmann::json> ObserveFrames(const torch::Tensor& gen, const torch::Tensor& gt,
                                            const FrameContext& c) override {
    for (int64_t i = 0; i < gen.size(0); ++i) {
      const int64_t k0 = c.first_index + i - 1;  // 0-based among the compared frames
      if (std::find(wanted_.begin(), wanted_.end(), k0) == wanted_.end()) continue;
      gen_[k0] = x_->PrepareFrame(gen[i]);
      gt_[k0] = x_->PrepareFrame(gt[i]);
    }
    return std::vector<nlohmann::json>(static_cast<size_t>(gen.size(0)), nlohmann::json::object());
  }
  nlohmann::json EndSample() override {
    last_ = nlohmann::json::object();
    if (wanted_.empty()) return {{"fvd_clip_frames", nlohmann::json::array()}};
    std::vector<torch::Tensor> g, t;
    for (int64_t k : wanted_) {
      if (!gen_.count(k))
        throw Error("fvd: frame " + std::to_string(k + 1) + " of the clip was never observed");
      g.push_back(gen_[k]);
      t.push_back(gt_[k]);
    }
    // [2, 3, T, S, S]: the generated clip and the reference clip in one batch.
    const auto clips = torch::stack({torch::stack(g, 1), torch::stack(t, 1)});
    const auto f = x_->Features(clips);
    if (!torch::isfinite(f).all().item<bool>())
      throw Error("fvd: the detector returned non-finite features");
    const auto f64 = f.to(torch::kCPU, torch::kFloat64).contiguous();
    for (int side = 0; side < 2; ++side) {
      const double* p = f64[side].data_ptr<double>();
      last_[side == 0 ? "gen" : "gt"] = std::vector<double>(p, p + f64.size(1));  // exact in JSON
    }
    state_.Merge(StateOfSample(last_));
    std::vector<int64_t> ks;
    for (int64_t k : wanted_) ks.push_back(k + 1);
    gen_.clear();
    gt_.clear();
    return {{"fvd_clip_frames", ks}};
  }
  const MetricState& state() const override { return state_; }
  nlohmann::json LastSample() const override { return last_; }
  // {"gen": [D], "gt": [D]}: one clip's features a side ({} when the sample had no clip).
  MetricState StateOfSample(const nlohmann::json& kept) const override {
    MetricState st;
    for (const char* side : {"gen", "gt"}) {
      if (!kept.contains(side)) continue;
      const auto& v = kept[side];
      if (!v.is_array() || static_cast<int64_t>(v.size()) != x_->protocol().dim) {
        throw Error(info_.name + ": a kept sample's \"" + side + "\" must be " +
                    std::to_string(x_->protocol().dim) + " features");
      }
      const auto x = v.get<std::vector<double>>();
      FeatureStats fs(x_->protocol().dim);
      fs.Add(torch::tensor(x, torch::kFloat64).unsqueeze(0));
      fs.Store(side, &st);
    }
    return st;
  }
  nlohmann::json Finalize(const MetricState& st) const override {
    const auto gen = FeatureStats::Load("gen", st), gt = FeatureStats::Load("gt", st);
    nlohmann::json a;
    a["clips"] = gen.n();
    a["feature_dim"] = x_->protocol().dim;
    if (gen.n() < 2 || gt.n() < 2) {
      PutScore(&a, "fvd", 0, false,
               "FVD needs at least 2 clips per side; " + std::to_string(gen.n()) + " were scored");
      return a;
    }
    a["fvd"] = FrechetDistanceOfSets(gt, gen);  // clamped at 0
    if (gen.n() < gen.dim()) {
      a["fvd_warning"] = std::to_string(gen.n()) + " clips < feature dimension " +
                         std::to_string(gen.dim()) +
                         ": both covariances are singular and FVD is biased at this sample size; "
                         "compare only runs "
                         "with the same number of clips";
    }
    return a;
  }

 private:
  std::shared_ptr<VideoFeatureExtractor> x_;
  std::string clip_;
  nlohmann::json options_;
  MetricInfo info_;
  std::vector<int64_t> wanted_;
  std::map<int64_t, torch::Tensor> gen_, gt_;
  MetricState state_;
  nlohmann::json last_;  // the last sample's features, LastSample()
};

}  // namespace

std::unique_ptr<Metric> MakeFvdMetric(const nlohmann::json& j, const MetricEnv&) {
  const std::string detector = j.value("detector", std::string("i3d"));
  const auto& p = FeatureProtocol(detector);
  const std::string clip = j.value("clip", FvdMetric::DefaultClip(detector));
  if (clip != "first" && clip != "uniform")
    throw Error("fvd: option clip must be 'first' or 'uniform'");
  const std::filesystem::path file =
      j.value("detector_file", (DefaultWeightsDir() / p.file).string());
  return std::make_unique<FvdMetric>(
      SharedExtractor(detector, file), clip,
      nlohmann::json{{"detector", detector}, {"clip", clip}, {"clip_len", p.clip_len}});
}

}  // namespace ncb
