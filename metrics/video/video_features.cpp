#include "metrics/video/video_features.h"

#include <torch/nn/functional/upsampling.h>
#include <torch/types.h>

#include <cmath>

#include "core/errors.h"
#include "core/hashing.h"

namespace ncb {

const VideoFeatureProtocol& FeatureProtocol(const std::string& name) {
  static const std::map<std::string, VideoFeatureProtocol> protocols = {
      {"i3d",
       {"i3d", 16, 400, "i3d_torchscript.pt",
        "StyleGAN-V's TorchScript I3D: "
        "https://www.dropbox.com/s/ge9e5ujwgetktms/i3d_torchscript.pt?dl=1"}},
      {"r3d18",
       {"r3d18", 16, 512, "r3d18_kinetics400.pt",
        "a TorchScript export of torchvision's r3d_18 (Kinetics-400) made by "
        "docs/examples/export_r3d18.py"}},
  };
  auto it = protocols.find(name);
  if (it == protocols.end()) throw Error("fvd: unknown detector '" + name + "'; known: i3d, r3d18");
  return it->second;
}

VideoFeatureExtractor::VideoFeatureExtractor(const std::string& protocol,
                                             const std::filesystem::path& file)
    : p_(FeatureProtocol(protocol)) {
  if (!std::filesystem::exists(file)) {
    throw MissingError("fvd: detector=" + p_.name + " needs " + file.string() +
                       " (not found; it is " + p_.how_to_get +
                       "; put it there or set --metric-option fvd.detector_file=PATH)");
  }
  try {
    module_ = torch::jit::load(file.string(), torch::kCPU);
  } catch (const c10::Error& e) {
    throw FormatError("fvd: " + file.string() +
                      ": not a TorchScript module: " + e.what_without_backtrace());
  }
  module_.eval();
  provenance_ = {{"detector", p_.name}, {"file", file.string()}, {"sha256", Sha256File(file)}};
}

torch::Tensor VideoFeatureExtractor::Prepare(const VideoFeatureProtocol& p,
                                             const torch::Tensor& frame) {
  namespace F = torch::nn::functional;
  auto x = frame.unsqueeze(0).to(torch::kFloat32);
  const int64_t h = x.size(2), w = x.size(3);
  auto bilinear = [](const torch::Tensor& t, int64_t oh, int64_t ow) {
    return F::interpolate(t, F::InterpolateFuncOptions()
                                 .size(std::vector<int64_t>{oh, ow})
                                 .mode(torch::kBilinear)
                                 .align_corners(false));
  };
  if (p.name == "i3d") {  // common_metrics_on_video_quality's preprocess_single
    const double scale = 224.0 / static_cast<double>(std::min(h, w));
    const int64_t oh = h < w ? 224 : static_cast<int64_t>(std::ceil(h * scale));
    const int64_t ow = h < w ? static_cast<int64_t>(std::ceil(w * scale)) : 224;
    const auto r = bilinear(x, oh, ow);
    const auto c = r.narrow(2, (oh - 224) / 2, 224).narrow(3, (ow - 224) / 2, 224);
    return ((c - 0.5) * 2)[0].contiguous();
  }
  // torchvision's VideoClassification preset (R3D_18_Weights.KINETICS400_V1.transforms()) on
  // the uint8 frame: bilinear resize of the 0..255 values rounded back to integers, centre
  // crop (offsets rounded half to even, as torchvision's center_crop), then float and
  // Kinetics mean/std.
  const auto r = torch::round(bilinear(torch::round(x * 255), 128, 171)).clamp(0, 255) / 255;
  const int64_t top = static_cast<int64_t>(std::nearbyint((128 - 112) / 2.0));
  const int64_t left = static_cast<int64_t>(std::nearbyint((171 - 112) / 2.0));
  const auto c = r.narrow(2, top, 112).narrow(3, left, 112);
  const auto mean = torch::tensor({0.43216f, 0.394666f, 0.37645f}, x.options()).view({1, 3, 1, 1});
  const auto stdv = torch::tensor({0.22803f, 0.22145f, 0.216989f}, x.options()).view({1, 3, 1, 1});
  return ((c - mean) / stdv)[0].contiguous();
}

torch::Tensor VideoFeatureExtractor::Features(const torch::Tensor& clips) {
  torch::NoGradGuard no_grad;
  if (clips.device() != device_) {
    module_.to(clips.device());
    device_ = clips.device();
  }
  torch::IValue out;
  try {
    if (p_.name == "i3d") {
      out = module_.get_method("forward")(
          {clips}, {{"rescale", false}, {"resize", false}, {"return_features", true}});
    } else {
      out = module_.forward({clips});
    }
  } catch (const c10::Error& e) {
    throw ContractError("fvd: the " + p_.name + " detector " +
                        provenance_["file"].get<std::string>() +
                        " failed on a [B,3,T,S,S] clip batch: " + e.what_without_backtrace());
  }
  if (!out.isTensor() || out.toTensor().dim() != 2 || out.toTensor().size(1) != p_.dim ||
      out.toTensor().size(0) != clips.size(0)) {
    throw ContractError("fvd: the " + p_.name + " detector must return [B, " +
                        std::to_string(p_.dim) + "] features");
  }
  return out.toTensor().to(torch::kCPU, torch::kFloat64);
}

std::vector<int64_t> ClipIndices(int64_t n, int64_t len, const std::string& mode) {
  std::vector<int64_t> idx;
  if (n <= 0) return idx;
  if (n >= len && mode == "uniform" && len > 1) {
    for (int64_t i = 0; i < len; ++i) {
      idx.push_back(static_cast<int64_t>(std::nearbyint(
          static_cast<double>(i) * static_cast<double>(n - 1) / static_cast<double>(len - 1))));
    }
    return idx;
  }
  for (int64_t i = 0; i < std::min(n, len); ++i) idx.push_back(i);
  while (static_cast<int64_t>(idx.size()) < len) idx.push_back(n - 1);
  return idx;
}

}  // namespace ncb
