// The `lpips` metric: LPIPS v0.1 per frame pair, averaged per sample, then over samples.
#include <mutex>

#include "core/errors.h"
#include "metrics/frame_mean_metric.h"
#include "metrics/perceptual/lpips.h"
#include "metrics/pixel/changed_region.h"
#include "metrics/weights.h"

namespace ncb {
namespace {

// One network per set of weight files, shared by every metric instance of the process (the
// runner makes one instance per batch slot; VGG16 weights are 0.5 GB).
std::shared_ptr<Lpips> SharedLpips(const LpipsFiles& f) {
  static std::mutex mu;
  static std::map<std::string, std::shared_ptr<Lpips>> nets;
  const std::string key =
      f.net + "|" + f.full.string() + "|" + f.backbone.string() + "|" + f.heads.string();
  std::lock_guard<std::mutex> lock(mu);
  auto& p = nets[key];
  if (!p) p = std::make_shared<Lpips>(f);
  return p;
}

// The options that never change a number (Metric::incidental_options): the weights' content
// is provenance.weights.sha256.
std::vector<std::string> LpipsIncidentalOptions() { return {"weights_dir"}; }

}  // namespace

const std::vector<MetricOption>& LpipsOptions() {
  static const std::vector<MetricOption> t = {
      {"net", "string", "squeeze", true, "backbone: squeeze, alex or vgg"},
      {"weights", "string", nullptr, false, "a complete LPIPS state_dict (.pt)"},
      {"backbone", "string", nullptr, false, "a torchvision backbone state_dict"},
      {"heads", "string", nullptr, false, "the official linear heads (*_lin_v0.1.pth)"},
      {"weights_dir", "string", nullptr, false, "where the default weights are looked for"},
      {"chunk", "integer", 2, false, "frame pairs scored per call (memory, not numbers)"}};
  return t;
}

namespace {

class LpipsMetric : public FrameMeanMetric {
 public:
  LpipsMetric(std::shared_ptr<Lpips> net, int64_t chunk, nlohmann::json options)
      : net_(std::move(net)), chunk_(chunk), options_(std::move(options)) {
    const std::string name = net_->provenance()["net"];
    info_ = {"lpips" + NameSuffix({{"net", name}}, LpipsOptions()),
             1,
             "",
             "lower_is_better",
             "frame",
             "lpips 0.1.4 (LPIPS(net='" + name + "', version='0.1'), inputs scaled to [-1, 1])"};
    options_["provenance"] = net_->provenance();
  }
  const MetricInfo& info() const override { return info_; }
  nlohmann::json options() const override { return options_; }
  std::vector<std::string> incidental_options() const override { return LpipsIncidentalOptions(); }

 protected:
  std::string key() const override { return "lpips"; }
  torch::Tensor Score(const torch::Tensor& gen, const torch::Tensor& gt) override {
    std::vector<torch::Tensor> parts;  // a few pairs per forward pass bound the activations' memory
    for (int64_t i = 0; i < gen.size(0); i += chunk_) {
      const int64_t n = std::min(chunk_, gen.size(0) - i);
      parts.push_back(net_->Distance(gen.narrow(0, i, n), gt.narrow(0, i, n)));
    }
    return torch::cat(parts);
  }

 private:
  std::shared_ptr<Lpips> net_;
  int64_t chunk_;
  nlohmann::json options_;
  MetricInfo info_;
};

}  // namespace

namespace {

struct LpipsSetup {
  std::shared_ptr<Lpips> net;
  int64_t chunk;
  nlohmann::json options;  // net, weights_dir, chunk
};

LpipsSetup ReadLpips(const nlohmann::json& j, const std::string& metric) {
  const std::string net = j.value("net", std::string("squeeze"));
  const std::filesystem::path dir = j.value("weights_dir", DefaultWeightsDir().string());
  const auto files =
      ResolveLpipsFiles(net, j.value("weights", std::string()), j.value("backbone", std::string()),
                        j.value("heads", std::string()), dir);
  const int64_t chunk = j.value("chunk", 2);
  if (chunk < 1) throw Error(metric + ": option chunk must be at least 1");
  return {SharedLpips(files), chunk,
          nlohmann::json{{"net", net}, {"weights_dir", dir.string()}, {"chunk", chunk}}};
}

}  // namespace

std::unique_ptr<Metric> MakeLpipsMetric(const nlohmann::json& j, const MetricEnv&) {
  auto s = ReadLpips(j, "lpips");
  return std::make_unique<LpipsMetric>(std::move(s.net), s.chunk, std::move(s.options));
}

const std::vector<MetricOption>& LpipsChangedOptions();

// lpips_changed: the LPIPS spatial map averaged over the changed region
// (metrics/pixel/changed_region.h).
std::unique_ptr<Metric> MakeLpipsChangedMetric(const nlohmann::json& j, const MetricEnv&) {
  auto s = ReadLpips(j, "lpips_changed");
  const std::string net = s.net->provenance()["net"];
  nlohmann::json options = s.options;
  options["provenance"] = s.net->provenance();
  auto map = [net = s.net, chunk = s.chunk](const torch::Tensor& gen, const torch::Tensor& gt) {
    std::vector<torch::Tensor> parts;
    for (int64_t i = 0; i < gen.size(0); i += chunk) {
      const int64_t n = std::min(chunk, gen.size(0) - i);
      parts.push_back(net->SpatialMap(gen.narrow(0, i, n), gt.narrow(0, i, n)));
    }
    return torch::cat(parts);
  };
  return MakeChangedRegionMetric({"lpips", "", "lower_is_better",
                                  "lpips 0.1.4 (LPIPS(net='" + net +
                                      "', version='0.1', spatial=True), inputs scaled to "
                                      "[-1, 1]) averaged over the changed region",
                                  options, map, LpipsChangedOptions, LpipsIncidentalOptions()},
                                 j);
}

const std::vector<MetricOption>& LpipsChangedOptions() {
  static const std::vector<MetricOption> t = [] {
    std::vector<MetricOption> o = ChangedRegionOptionTable();
    for (const auto& l : LpipsOptions()) o.push_back(l);
    return o;
  }();
  return t;
}

}  // namespace ncb
