// LPIPS v0.1 (Zhang et al. 2018), as the `lpips` package computes it.
//
// d(x, y) = sum_l mean_hw( w_l . (f_l(x)/|f_l(x)| - f_l(y)/|f_l(y)|)^2 ), with x, y scaled to
// [-1, 1], then shifted and scaled by the package's ScalingLayer; f_l are the outputs of the
// backbone's slices (ReLU activations), normalised over channels with eps 1e-10; w_l are
// the 1x1 linear heads. The backbones (SqueezeNet 1.1, AlexNet, VGG16) are written out
// layer by layer below; weights come from one state_dict in the lpips package's naming:
// either the package's complete state_dict, or a torchvision backbone state_dict
// ("features.N.*", renamed to "net.sliceK.N.*") plus the official *_lin_v0.1.pth heads.
#pragma once

#include <torch/types.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <opencv2/dnn.hpp>
#include <string>
#include <vector>

#include "core/recent_memo.h"

namespace ncb {

struct LpipsFiles {
  std::string net = "squeeze";     // squeeze | alex | vgg
  std::filesystem::path full;      // a complete lpips state_dict, or
  std::filesystem::path backbone;  // a torchvision backbone state_dict
  std::filesystem::path heads;     // plus the v0.1 linear heads
};

// Picks the files for `net` from explicit paths or from `dir`: the complete state_dict
// (lpips_<net>_full.pt) if present, else the torchvision backbone and the heads by their
// official file names. Throws MissingError saying which file to supply and where it comes from.
LpipsFiles ResolveLpipsFiles(const std::string& net, const std::filesystem::path& full,
                             const std::filesystem::path& backbone,
                             const std::filesystem::path& heads, const std::filesystem::path& dir);

class Lpips {
 public:
  explicit Lpips(const LpipsFiles& files);
  // x, y: [N,3,H,W] float RGB in [0,1] on any device -> [N] float64 distances. The backbone
  // runs in OpenCV's DNN module on CPU (use_opencv) and in LibTorch otherwise.
  torch::Tensor Distance(const torch::Tensor& x, const torch::Tensor& y, bool use_opencv = true);
  // The package's LPIPS(spatial=True): each layer's head map upsampled to the input's size
  // (bilinear, align_corners=False) and summed over layers: [N,1,H,W] float64.
  torch::Tensor SpatialMap(const torch::Tensor& x, const torch::Tensor& y, bool use_opencv = true);
  // net, files and their sha256, for the report.
  const nlohmann::json& provenance() const { return provenance_; }

 private:
  struct Layer {
    enum Kind { kConv, kRelu, kMaxPool, kFire } kind;
    int index;  // position in torchvision's `features`
    int stride = 1, padding = 0, kernel = 0;
    bool ceil = false;
  };
  std::vector<torch::Tensor> Features(const torch::Tensor& x);  // LibTorch (CUDA)
  torch::Tensor Run(const torch::Tensor& x, const torch::Tensor& y, bool use_opencv, bool spatial);
  // Each image's backbone outputs ([C,h,w] per slice) of images [m,3,H,W] in [0,1], from the
  // memo when the image was seen recently (the static baseline's ground truth and
  // conditioning frame, lpips and lpips_changed on the same frames): core/recent_memo.h.
  // images: [3,H,W] each, views of the caller's frames (their identity is the memo's key).
  std::vector<std::vector<torch::Tensor>> ImageFeatures(const std::vector<torch::Tensor>& images,
                                                        bool use_opencv);
  std::vector<torch::Tensor> CvFeatures(const torch::Tensor& x);  // OpenCV DNN (CPU)
  void BuildCvNet();
  torch::Tensor W(int slice, int index, const std::string& name) const;
  void To(torch::Device device);

  std::string net_;
  std::vector<std::vector<Layer>> slices_;
  std::map<std::string, torch::Tensor> w_;  // lpips naming
  torch::Tensor shift_, scale_;
  std::vector<torch::Tensor> heads_;
  torch::Device device_ = torch::kCPU;
  // On CPU the backbone runs in OpenCV's DNN module: about 7x faster than Debian's LibTorch
  // (whose BLAS is the generic one) on this project's 2-core machine; the golden test holds
  // both paths to the reference.
  cv::dnn::Net cv_net_;
  std::vector<std::string> cv_outputs_;
  nlohmann::json provenance_;
  TensorMemo<std::vector<torch::Tensor>> memo_{0};
  int64_t memo_bytes_ = 0;  // one image's features
  size_t memo_capacity_ = 0;
};

}  // namespace ncb
