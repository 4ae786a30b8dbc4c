#include "metrics/perceptual/lpips.h"

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <algorithm>
#include <cstdlib>

#include "core/errors.h"
#include "core/hashing.h"
#include "metrics/perceptual/state_dict.h"

namespace ncb {
namespace {

struct NetFiles {
  std::string backbone;       // torchvision's file name
  std::string backbone_url;   // where it comes from
  std::vector<int> channels;  // per slice, = the heads' input channels
};

const std::map<std::string, NetFiles>& Nets() {
  static const std::map<std::string, NetFiles> nets = {
      {"squeeze",
       {"squeezenet1_1-b8a52dc0.pth",
        "https://download.pytorch.org/models/squeezenet1_1-b8a52dc0.pth",
        {64, 128, 256, 384, 384, 512, 512}}},
      {"alex",
       {"alexnet-owt-7be5be79.pth",
        "https://download.pytorch.org/models/alexnet-owt-7be5be79.pth",
        {64, 192, 384, 256, 256}}},
      {"vgg",
       {"vgg16-397923af.pth",
        "https://download.pytorch.org/models/vgg16-397923af.pth",
        {64, 128, 256, 512, 512}}},
  };
  return nets;
}

const std::string kHeadsUrl =
    "https://github.com/richzhang/PerceptualSimilarity/tree/master/lpips/weights/v0.1";

// Loads the weights into `w` in lpips naming, from a complete state_dict or from torchvision's
// backbone (renamed with `slice_of`) plus the heads; records the files in `provenance` and
// returns their names, for messages.
std::string LoadLpipsWeights(const LpipsFiles& files, const std::map<int, int>& slice_of,
                             std::map<std::string, torch::Tensor>& w, nlohmann::json& provenance) {
  std::string where;
  if (!files.full.empty()) {
    w = LoadStateDict(files.full);
    where = files.full.string();
    provenance["weights"] = {{"file", where}, {"sha256", Sha256File(files.full)}};
  } else {
    // torchvision naming -> lpips naming; the heads are already in lpips naming.
    for (const auto& [k, v] : LoadStateDict(files.backbone)) {
      if (k.rfind("features.", 0) != 0) continue;  // the classifier is not used
      const auto dot = k.find('.', 9);
      const int index = std::atoi(k.substr(9, dot - 9).c_str());
      if (slice_of.count(index))
        w["net.slice" + std::to_string(slice_of.at(index)) + "." + k.substr(9)] = v;
    }
    for (const auto& [k, v] : LoadStateDict(files.heads)) w[k] = v;
    where = files.backbone.string() + " + " + files.heads.string();
    provenance["backbone"] = {{"file", files.backbone.string()},
                              {"sha256", Sha256File(files.backbone)}};
    provenance["heads"] = {{"file", files.heads.string()}, {"sha256", Sha256File(files.heads)}};
  }
  return where;
}

// The tensor `key` of `w`, checked against `shape` (when given) and made contiguous float32 in
// place; a missing or misshapen tensor is a FormatError naming the files (`where`).
torch::Tensor NeedTensor(std::map<std::string, torch::Tensor>& w, const std::string& where,
                         const std::string& net, const std::string& key,
                         std::vector<int64_t> shape) {
  auto it = w.find(key);
  if (it == w.end()) {
    throw FormatError("lpips: " + where + ": missing tensor '" + key +
                      "' (expected LPIPS net=" + net +
                      " weights: the lpips package's state_dict, or torchvision's backbone plus "
                      "the v0.1 heads)");
  }
  if (!shape.empty() && it->second.sizes() != c10::IntArrayRef(shape)) {
    std::ostringstream got;
    got << it->second.sizes();
    throw FormatError("lpips: " + where + ": tensor '" + key + "' has shape " + got.str() +
                      ", expected " + c10::str(c10::IntArrayRef(shape)));
  }
  it->second = it->second.to(torch::kFloat32).contiguous();
  return it->second;
}

}  // namespace

LpipsFiles ResolveLpipsFiles(const std::string& net, const std::filesystem::path& full,
                             const std::filesystem::path& backbone,
                             const std::filesystem::path& heads, const std::filesystem::path& dir) {
  auto it = Nets().find(net);
  if (it == Nets().end())
    throw Error("lpips: unknown net '" + net + "'; known: alex, squeeze, vgg");
  LpipsFiles f;
  f.net = net;
  auto exists = [](const std::filesystem::path& p) {
    return !p.empty() && std::filesystem::exists(p);
  };
  if (!full.empty()) {
    if (!exists(full))
      throw MissingError("lpips: weights file " + full.string() + " does not exist");
    f.full = full;
    return f;
  }
  const auto dir_full = dir / ("lpips_" + net + "_full.pt");
  if (backbone.empty() && heads.empty() && exists(dir_full)) {
    f.full = dir_full;
    return f;
  }
  f.backbone = backbone.empty() ? dir / it->second.backbone : backbone;
  f.heads = heads.empty() ? dir / (net + "_lin_v0.1.pth") : heads;
  if (!exists(f.backbone)) {
    throw MissingError("lpips: net=" + net + " needs torchvision's backbone weights " +
                       f.backbone.string() + " (not found; download " + it->second.backbone_url +
                       " into " + dir.string() + ", or set --metric-option lpips.backbone=PATH" +
                       (net == "squeeze" ? "; scripts/fetch-weights.sh does this" : "") + ")");
  }
  if (!exists(f.heads)) {
    throw MissingError("lpips: net=" + net + " needs the LPIPS v0.1 linear heads " +
                       f.heads.string() + " (not found; " + net + ".pth from " + kHeadsUrl +
                       ", saved as " + net + "_lin_v0.1.pth in " + dir.string() +
                       ", or --metric-option lpips.heads=PATH)");
  }
  return f;
}

Lpips::Lpips(const LpipsFiles& files) : net_(files.net) {
  using L = Layer;
  auto conv = [](int i, int s, int p) { return L{L::kConv, i, s, p}; };
  auto relu = [](int i) { return L{L::kRelu, i}; };
  auto pool = [](int i, int k, bool ceil) { return L{L::kMaxPool, i, 2, 0, k, ceil}; };
  auto fire = [](int i) { return L{L::kFire, i}; };
  if (net_ == "squeeze") {  // torchvision squeezenet1_1().features; lpips.pn.squeezenet slices
    slices_ = {{conv(0, 2, 0), relu(1)},
               {pool(2, 3, true), fire(3), fire(4)},
               {pool(5, 3, true), fire(6), fire(7)},
               {pool(8, 3, true), fire(9)},
               {fire(10)},
               {fire(11)},
               {fire(12)}};
  } else if (net_ == "alex") {  // torchvision alexnet().features; lpips.pn.alexnet slices
    slices_ = {{conv(0, 4, 2), relu(1)},
               {pool(2, 3, false), conv(3, 1, 2), relu(4)},
               {pool(5, 3, false), conv(6, 1, 1), relu(7)},
               {conv(8, 1, 1), relu(9)},
               {conv(10, 1, 1), relu(11)}};
  } else if (net_ == "vgg") {  // torchvision vgg16().features; lpips.pn.vgg16 slices
    slices_ = {{conv(0, 1, 1), relu(1), conv(2, 1, 1), relu(3)},
               {pool(4, 2, false), conv(5, 1, 1), relu(6), conv(7, 1, 1), relu(8)},
               {pool(9, 2, false), conv(10, 1, 1), relu(11), conv(12, 1, 1), relu(13),
                conv(14, 1, 1), relu(15)},
               {pool(16, 2, false), conv(17, 1, 1), relu(18), conv(19, 1, 1), relu(20),
                conv(21, 1, 1), relu(22)},
               {pool(23, 2, false), conv(24, 1, 1), relu(25), conv(26, 1, 1), relu(27),
                conv(28, 1, 1), relu(29)}};
  } else {
    throw Error("lpips: unknown net '" + net_ + "'; known: alex, squeeze, vgg");
  }
  std::map<int, int> slice_of;  // torchvision feature index -> lpips slice (1-based)
  for (size_t s = 0; s < slices_.size(); ++s) {
    for (const auto& l : slices_[s]) slice_of[l.index] = static_cast<int>(s) + 1;
  }
  provenance_ = {{"net", net_}, {"version", "0.1"}};
  const std::string where = LoadLpipsWeights(files, slice_of, w_, provenance_);
  auto need = [&](const std::string& key, std::vector<int64_t> shape) {
    return NeedTensor(w_, where, net_, key, std::move(shape));
  };
  for (size_t s = 0; s < slices_.size(); ++s) {
    for (const auto& l : slices_[s]) {
      const std::string p =
          "net.slice" + std::to_string(s + 1) + "." + std::to_string(l.index) + ".";
      if (l.kind == L::kConv) {
        need(p + "weight", {}), need(p + "bias", {});
      } else if (l.kind == L::kFire) {
        for (const char* m : {"squeeze", "expand1x1", "expand3x3"})
          need(p + m + ".weight", {}), need(p + m + ".bias", {});
      }
    }
  }
  const auto& channels = Nets().at(net_).channels;
  for (size_t l = 0; l < channels.size(); ++l) {
    heads_.push_back(need("lin" + std::to_string(l) + ".model.1.weight", {1, channels[l], 1, 1}));
  }
  // The ScalingLayer's constants (lpips/pretrained_networks.py); a complete state_dict has them as
  // buffers.
  shift_ = w_.count("scaling_layer.shift")
               ? need("scaling_layer.shift", {1, 3, 1, 1})
               : torch::tensor({-.030f, -.088f, -.188f}).view({1, 3, 1, 1});
  scale_ = w_.count("scaling_layer.scale")
               ? need("scaling_layer.scale", {1, 3, 1, 1})
               : torch::tensor({.458f, .448f, .450f}).view({1, 3, 1, 1});
}

torch::Tensor Lpips::W(int slice, int index, const std::string& name) const {
  return w_.at("net.slice" + std::to_string(slice) + "." + std::to_string(index) + "." + name);
}

void Lpips::To(torch::Device device) {
  if (device == device_) return;
  for (auto& [k, v] : w_) v = v.to(device);
  for (auto& h : heads_) h = h.to(device);
  shift_ = shift_.to(device);
  scale_ = scale_.to(device);
  device_ = device;
}

std::vector<torch::Tensor> Lpips::Features(const torch::Tensor& input) {
  std::vector<torch::Tensor> out;
  auto h = input;
  for (size_t s = 0; s < slices_.size(); ++s) {
    const int sl = static_cast<int>(s) + 1;
    for (const auto& l : slices_[s]) {
      switch (l.kind) {
        case Layer::kConv:
          h = torch::conv2d(h, W(sl, l.index, "weight"), W(sl, l.index, "bias"), l.stride,
                            l.padding);
          break;
        case Layer::kRelu:
          h = torch::relu(h);
          break;
        case Layer::kMaxPool:
          h = torch::max_pool2d(h, l.kernel, l.stride, 0, 1, l.ceil);
          break;
        case Layer::kFire: {
          auto sq = torch::relu(
              torch::conv2d(h, W(sl, l.index, "squeeze.weight"), W(sl, l.index, "squeeze.bias")));
          h = torch::cat({torch::relu(torch::conv2d(sq, W(sl, l.index, "expand1x1.weight"),
                                                    W(sl, l.index, "expand1x1.bias"))),
                          torch::relu(torch::conv2d(sq, W(sl, l.index, "expand3x3.weight"),
                                                    W(sl, l.index, "expand3x3.bias"), 1, 1))},
                         1);
          break;
        }
      }
    }
    out.push_back(h);
  }
  return out;
}

void Lpips::BuildCvNet() {
  auto blob = [](const torch::Tensor& t) {  // a tensor's copy as an OpenCV blob
    const auto c = t.to(torch::kCPU, torch::kFloat32).contiguous();
    std::vector<int> sizes(c.sizes().begin(), c.sizes().end());
    return cv::Mat(static_cast<int>(sizes.size()), sizes.data(), CV_32F, c.data_ptr()).clone();
  };
  int id = 0;  // the last layer's id; 0 is the network's input
  auto add = [&](const std::string& name, const std::string& type, cv::dnn::LayerParams lp,
                 std::vector<int> inputs) {
    lp.name = name;
    lp.type = type;
    const int l = cv_net_.addLayer(name, type, lp);
    for (size_t i = 0; i < inputs.size(); ++i)
      cv_net_.connect(inputs[i], 0, l, static_cast<int>(i));
    return l;
  };
  auto conv = [&](const std::string& name, const torch::Tensor& w, const torch::Tensor& b,
                  int stride, int pad, int in) {
    cv::dnn::LayerParams lp;
    lp.set("kernel_h", static_cast<int>(w.size(2)));
    lp.set("kernel_w", static_cast<int>(w.size(3)));
    lp.set("stride", stride);
    lp.set("pad", pad);
    lp.set("num_output", static_cast<int>(w.size(0)));
    lp.set("bias_term", true);
    lp.blobs = {blob(w), blob(b.view({1, -1}))};
    return add(name, "Convolution", lp, {in});
  };
  auto relu = [&](const std::string& name, int in) { return add(name, "ReLU", {}, {in}); };
  for (size_t s = 0; s < slices_.size(); ++s) {
    const int sl = static_cast<int>(s) + 1;
    for (const auto& l : slices_[s]) {
      const std::string n = "s" + std::to_string(sl) + "_" + std::to_string(l.index);
      switch (l.kind) {
        case Layer::kConv:
          id = conv(n, W(sl, l.index, "weight"), W(sl, l.index, "bias"), l.stride, l.padding, id);
          break;
        case Layer::kRelu:
          id = relu(n, id);
          break;
        case Layer::kMaxPool: {
          cv::dnn::LayerParams lp;
          lp.set("pool", "max");
          lp.set("kernel_size", l.kernel);
          lp.set("stride", l.stride);
          lp.set("ceil_mode", l.ceil);
          id = add(n, "Pooling", lp, {id});
          break;
        }
        case Layer::kFire: {
          const int sq = relu(n + "_sq_relu", conv(n + "_sq", W(sl, l.index, "squeeze.weight"),
                                                   W(sl, l.index, "squeeze.bias"), 1, 0, id));
          const int e1 = relu(n + "_e1_relu", conv(n + "_e1", W(sl, l.index, "expand1x1.weight"),
                                                   W(sl, l.index, "expand1x1.bias"), 1, 0, sq));
          const int e3 = relu(n + "_e3_relu", conv(n + "_e3", W(sl, l.index, "expand3x3.weight"),
                                                   W(sl, l.index, "expand3x3.bias"), 1, 1, sq));
          cv::dnn::LayerParams lp;
          lp.set("axis", 1);
          id = add(n, "Concat", lp, {e1, e3});
          break;
        }
      }
    }
    cv_outputs_.push_back(cv_net_.getLayerNames()[static_cast<size_t>(id) - 1]);
  }
  cv_net_.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
  cv_net_.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
}

namespace {

// One head on one pair, fused into a single pass over the features: with A = sum_c a_c^2,
// B = sum_c b_c^2 and na = sqrt(A) + eps, nb = sqrt(B) + eps per pixel,
//   sum_c w_c (a_c/na - b_c/nb)^2 = WAA/na^2 - 2 WAB/(na nb) + WBB/nb^2,
// accumulated in double (no cancellation worth the name). Calls out(block index, first
// pixel, count, values) for fixed blocks of pixels, in parallel.
constexpr int64_t kHeadBlock = 2048;
template <class Out>
void HeadValues(const float* a, const float* b, const float* w, int64_t channels, int64_t pixels,
                Out out) {
  const int64_t blocks = (pixels + kHeadBlock - 1) / kHeadBlock;
  at::parallel_for(0, blocks, 1, [&](int64_t begin, int64_t end) {
    std::vector<double> aa(kHeadBlock), bb(kHeadBlock), waa(kHeadBlock), wbb(kHeadBlock),
        wab(kHeadBlock);
    for (int64_t blk = begin; blk < end; ++blk) {
      const int64_t p0 = blk * kHeadBlock, n = std::min(kHeadBlock, pixels - p0);
      std::fill_n(aa.begin(), n, 0.0), std::fill_n(bb.begin(), n, 0.0),
          std::fill_n(waa.begin(), n, 0.0);
      std::fill_n(wbb.begin(), n, 0.0), std::fill_n(wab.begin(), n, 0.0);
      for (int64_t c = 0; c < channels; ++c) {
        const float* pa = a + c * pixels + p0;
        const float* pb = b + c * pixels + p0;
        const double wc = w[c];
        for (int64_t i = 0; i < n; ++i) {
          const double x = pa[i], y = pb[i];
          aa[i] += x * x, bb[i] += y * y;
          waa[i] += wc * x * x, wbb[i] += wc * y * y, wab[i] += wc * x * y;
        }
      }
      for (int64_t i = 0; i < n; ++i) {
        const double na = std::sqrt(aa[i]) + 1e-10, nb = std::sqrt(bb[i]) + 1e-10;
        aa[i] = waa[i] / (na * na) - 2 * wab[i] / (na * nb) + wbb[i] / (nb * nb);
      }
      out(blk, p0, n, aa.data());
    }
  });
}

// The head's mean over pixels: blocks summed in order, the same for any thread count.
double HeadDistance(const float* a, const float* b, const float* w, int64_t channels,
                    int64_t pixels) {
  std::vector<double> partial(static_cast<size_t>((pixels + kHeadBlock - 1) / kHeadBlock));
  HeadValues(a, b, w, channels, pixels, [&](int64_t blk, int64_t, int64_t n, const double* v) {
    double sum = 0;
    for (int64_t i = 0; i < n; ++i) sum += v[i];
    partial[static_cast<size_t>(blk)] = sum;
  });
  double total = 0;
  for (double v : partial) total += v;
  return total / static_cast<double>(pixels);
}

// The head's value at every pixel, into map (pixels doubles).
void HeadMap(const float* a, const float* b, const float* w, int64_t channels, int64_t pixels,
             double* map) {
  HeadValues(a, b, w, channels, pixels,
             [&](int64_t, int64_t p0, int64_t n, const double* v) { std::copy_n(v, n, map + p0); });
}

// The lpips package's upsample(): bilinear, align_corners=False, to the input's size.
torch::Tensor UpsampleTo(const torch::Tensor& map, int64_t h, int64_t w) {
  namespace F = torch::nn::functional;
  return F::interpolate(map, F::InterpolateFuncOptions()
                                 .size(std::vector<int64_t>{h, w})
                                 .mode(torch::kBilinear)
                                 .align_corners(false));
}

}  // namespace

std::vector<torch::Tensor> Lpips::CvFeatures(const torch::Tensor& input) {
  if (cv_net_.empty()) BuildCvNet();
  const auto x = input.contiguous();
  std::vector<int> sizes(x.sizes().begin(), x.sizes().end());
  cv_net_.setInput(cv::Mat(4, sizes.data(), CV_32F, x.data_ptr()));
  std::vector<cv::Mat> outs;
  cv_net_.forward(outs, cv_outputs_);
  std::vector<torch::Tensor> layers;
  for (const cv::Mat& m : outs) {  // the net's buffers: copied out before the next forward
    std::vector<int64_t> shape(m.size.p, m.size.p + m.dims);
    layers.push_back(torch::from_blob(m.data, shape, torch::kFloat32).clone());
  }
  return layers;
}

std::vector<std::vector<torch::Tensor>> Lpips::ImageFeatures(
    const std::vector<torch::Tensor>& images, bool use_opencv) {
  const std::string tag = use_opencv ? "opencv" : "libtorch";
  std::vector<std::vector<torch::Tensor>> out(images.size());
  std::vector<size_t> missing;
  for (size_t i = 0; i < images.size(); ++i) {
    if (auto f = memo_.Find(images[i], tag))
      out[i] = std::move(*f);
    else
      missing.push_back(i);
  }
  // One image per backbone pass: its features must not depend on which other images share
  // the batch (OpenCV's and oneDNN's convolutions round differently for other batch sizes),
  // or a frame equal to the conditioning frame would not score exactly the baseline's value.
  for (size_t j : missing) {
    const auto in = (images[j].unsqueeze(0).to(torch::kFloat32) * 2 - 1 - shift_) / scale_;
    const auto layers = use_opencv ? CvFeatures(in) : Features(in);
    if (memo_bytes_ == 0) {  // the memo holds about 768 MB of features, at most 8 images
      for (const auto& l : layers) memo_bytes_ += l[0].numel() * l.element_size();
      memo_capacity_ =
          static_cast<size_t>(std::clamp<int64_t>((int64_t{768} << 20) / memo_bytes_, 0, 8));
      memo_.set_capacity(memo_capacity_);
    }
    auto& f = out[j];
    for (const auto& l : layers) f.push_back(l[0]);
    if (memo_capacity_ > 0) memo_.Put(images[j], f, tag);
  }
  return out;
}

torch::Tensor Lpips::Distance(const torch::Tensor& x, const torch::Tensor& y, bool use_opencv) {
  return Run(x, y, use_opencv, false);
}

torch::Tensor Lpips::SpatialMap(const torch::Tensor& x, const torch::Tensor& y, bool use_opencv) {
  return Run(x, y, use_opencv, true);
}

torch::Tensor Lpips::Run(const torch::Tensor& x, const torch::Tensor& y, bool use_opencv,
                         bool spatial) {
  NCB_CHECK(x.sizes() == y.sizes() && x.dim() == 4 && x.size(1) == 3);
  torch::NoGradGuard no_grad;
  To(x.device());
  use_opencv = use_opencv && x.device().is_cpu();
  const int64_t n = x.size(0), h = x.size(2), w = x.size(3);
  // Both sides' features, the references last (they are what the static baseline sees again).
  std::vector<torch::Tensor> images;
  for (const auto* side : {&x, &y}) {
    for (int64_t i = 0; i < n; ++i) images.push_back((*side)[i]);
  }
  const auto f = ImageFeatures(images, use_opencv);
  const size_t layers = f[0].size();
  if (use_opencv) {  // the fused heads, one pair at a time
    auto d =
        spatial ? torch::zeros({n, 1, h, w}, torch::kFloat64) : torch::zeros({n}, torch::kFloat64);
    for (size_t l = 0; l < layers; ++l) {
      const auto head = heads_[l].to(torch::kCPU).contiguous();
      const auto& shape = f[0][l].sizes();  // [C, h_l, w_l]
      const int64_t c = shape[0], pixels = shape[1] * shape[2];
      auto map =
          spatial ? torch::empty({n, 1, shape[1], shape[2]}, torch::kFloat64) : torch::Tensor();
      for (int64_t i = 0; i < n; ++i) {
        const auto a = f[static_cast<size_t>(i)][l].contiguous();
        const auto b = f[static_cast<size_t>(n + i)][l].contiguous();
        if (spatial)
          HeadMap(a.data_ptr<float>(), b.data_ptr<float>(), head.data_ptr<float>(), c, pixels,
                  map.data_ptr<double>() + i * pixels);
        else
          d[i] += HeadDistance(a.data_ptr<float>(), b.data_ptr<float>(), head.data_ptr<float>(), c,
                               pixels);
      }
      if (spatial) d += UpsampleTo(map, h, w);
    }
    return d;
  }
  torch::Tensor total;
  for (size_t l = 0; l < layers; ++l) {
    std::vector<torch::Tensor> side(static_cast<size_t>(2 * n));
    for (size_t i = 0; i < side.size(); ++i) side[i] = f[i][l];
    auto fl = torch::stack(side);
    fl = fl / (fl.square().sum(1, true).sqrt() + 1e-10);
    const auto d = (fl.narrow(0, 0, n) - fl.narrow(0, n, n)).square();
    auto head = torch::conv2d(d, heads_[l]);  // [n, 1, h_l, w_l]
    head = spatial ? UpsampleTo(head, h, w) : head.mean({1, 2, 3});
    total = total.defined() ? total + head : head;
  }
  return total.to(torch::kFloat64);
}

}  // namespace ncb
