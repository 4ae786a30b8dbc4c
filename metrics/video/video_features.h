// Video feature extractors for FVD, behind one interface, loaded with torch::jit::load.
//
//  i3d   the StyleGAN-V TorchScript I3D (i3d_torchscript.pt, Kinetics-400), as StyleGAN-V and
//        common_metrics_on_video_quality call it: 16-frame clips, the short side resized to
//        224 (bilinear, align_corners=False, no antialiasing), centre crop 224x224, values
//        scaled to [-1, 1], called as model(x, rescale=False, resize=False,
//        return_features=True) on [B, 3, 16, 224, 224] -> [B, 400].
//  r3d18 the Neural Computers paper's protocol (App. B.3): torchvision's r3d_18 (Kinetics-400)
//        prelogits, with torchvision's Kinetics evaluation transform: resize to 128x171
//        (bilinear), centre crop 112x112, Kinetics mean/std; model(x) on
//        [B, 3, 16, 112, 112] -> [B, 512]. docs/examples/export_r3d18.py makes the file.
#pragma once

#include <torch/script.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

namespace ncb {

struct VideoFeatureProtocol {
  std::string name;  // i3d | r3d18
  int64_t clip_len = 16;
  int64_t dim = 0;         // feature dimension
  std::string file;        // the default file name in the weights folder
  std::string how_to_get;  // where the file comes from
};

const VideoFeatureProtocol& FeatureProtocol(const std::string& name);

class VideoFeatureExtractor {
 public:
  // Throws MissingError naming the file and how to get it when `file` does not exist,
  // FormatError when it is not a TorchScript module of the protocol's call signature.
  VideoFeatureExtractor(const std::string& protocol, const std::filesystem::path& file);
  const VideoFeatureProtocol& protocol() const { return p_; }
  // One frame [3,H,W] in [0,1] -> the protocol's model input for it, [3,S,S].
  static torch::Tensor Prepare(const VideoFeatureProtocol& protocol, const torch::Tensor& frame);
  torch::Tensor PrepareFrame(const torch::Tensor& frame) const { return Prepare(p_, frame); }
  // Clips [B,3,T,S,S] (prepared frames) -> features [B,D] in float64 on the CPU.
  torch::Tensor Features(const torch::Tensor& clips);
  const nlohmann::json& provenance() const { return provenance_; }

 private:
  VideoFeatureProtocol p_;
  torch::jit::Module module_;
  torch::Device device_ = torch::kCPU;
  nlohmann::json provenance_;
};

// Which of n frames (0-based) make a clip of `len`: n >= len: `len` indices spread evenly,
// round(i (n-1)/(len-1)) with ties to even (np.linspace(0, n-1, len).round()); n < len: all
// of them, then the last one repeated. mode "first": the first `len`, padded the same way.
std::vector<int64_t> ClipIndices(int64_t n, int64_t len, const std::string& mode);

}  // namespace ncb
