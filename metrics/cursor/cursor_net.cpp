#include "metrics/cursor/cursor_net.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <random>

#include "core/errors.h"
#include "metrics/cursor/cursor_templates.h"  // kPatch

namespace ncb {
namespace {

constexpr float kPositiveWeight = 20;
constexpr double kHeatRadius = 1.5;  // px: the target's 3x3 pixels around the hotspot

torch::nn::Sequential Build() {
  namespace nn = torch::nn;
  const int c = CursorNet::kChannels;
  const auto conv = [](int in, int out, int dilation) {
    return nn::Conv2d(nn::Conv2dOptions(in, out, 5).padding(2 * dilation).dilation(dilation));
  };
  const auto act = [] { return nn::LeakyReLU(nn::LeakyReLUOptions().negative_slope(0.1)); };
  nn::Sequential s(conv(3, c, 1), nn::BatchNorm2d(c), act(), conv(c, c, 2), nn::BatchNorm2d(c),
                   act(), conv(c, c, 2), nn::BatchNorm2d(c), act(),
                   nn::Conv2d(nn::Conv2dOptions(c, 1, 1)));
  // Start near "no cursor anywhere": the positives are a few pixels of each crop.
  auto last = s->ptr<nn::Conv2dImpl>(s->size() - 1);
  torch::NoGradGuard no_grad;
  last->bias.fill_(-4.0);
  return s;
}

// BGR 8-bit images (all one size) as a [n, 3, h, w] tensor in [-0.5, 0.5].
torch::Tensor Batch(const std::vector<cv::Mat>& images) {
  const int h = images.front().rows, w = images.front().cols;
  auto t = torch::empty({static_cast<int64_t>(images.size()), h, w, 3}, torch::kUInt8);
  for (size_t i = 0; i < images.size(); ++i) {
    NCB_CHECK(images[i].isContinuous() && images[i].rows == h && images[i].cols == w);
    std::memcpy(t[static_cast<int64_t>(i)].data_ptr(), images[i].data,
                static_cast<size_t>(h) * w * 3);
  }
  return t.permute({0, 3, 1, 2}).to(torch::kFloat32).div(255.0).sub(0.5).contiguous();
}

// A member's key in cursor-net.pt.
std::string Member(int m) { return "member" + std::to_string(m); }

cv::Mat ShrunkAndBack(const cv::Mat& bgr, double s) {
  cv::Mat small, back;
  cv::resize(bgr, small,
             {std::max(1, static_cast<int>(std::lround(bgr.cols * s))),
              std::max(1, static_cast<int>(std::lround(bgr.rows * s)))},
             0, 0, cv::INTER_AREA);
  cv::resize(small, back, bgr.size(), 0, 0, cv::INTER_LINEAR);
  return back;
}

}  // namespace

cv::Mat Degraded(const cv::Mat& bgr) {
  cv::Mat blurred;
  cv::GaussianBlur(bgr, blurred, {0, 0}, 1.0);
  std::vector<uchar> jpeg;
  cv::imencode(".jpg", blurred, jpeg, {cv::IMWRITE_JPEG_QUALITY, 35});
  return cv::imdecode(jpeg, cv::IMREAD_COLOR);
}

struct CursorNet::Impl {
  std::vector<torch::nn::Sequential> members;  // their probabilities averaged
};

namespace {

torch::nn::Sequential TrainOne(const std::vector<cv::Mat>& positives,
                               const std::vector<cv::Mat>& negatives, const CursorNetOptions& o,
                               uint64_t seed) {
  torch::manual_seed(seed);
  std::mt19937_64 rng(seed);
  const auto uniform = [&](double a, double b) {
    return std::uniform_real_distribution<double>(a, b)(rng);
  };
  constexpr int kHalf = CursorNet::kHalf, kJitter = CursorNet::kJitter;

  torch::nn::Sequential module = Build();
  module->train();
  torch::optim::Adam adam(module->parameters(), torch::optim::AdamOptions(o.learning_rate));
  const int side = 2 * kHalf, margin = 8, outer = side + 2 * margin;
  std::vector<cv::Mat> crops(static_cast<size_t>(o.batch));
  for (int step = 0; step < o.steps; ++step) {
    auto target = torch::zeros({o.batch, side, side});
    auto ta = target.accessor<float, 3>();
    for (int b = 0; b < o.batch; ++b) {
      const bool positive = uniform(0, 1) < 0.5;
      const auto& from = positive ? positives : negatives;
      const cv::Mat& img = from[std::uniform_int_distribution<size_t>(0, from.size() - 1)(rng)];
      const int jx = std::uniform_int_distribution<int>(-kJitter, kJitter)(rng),
                jy = std::uniform_int_distribution<int>(-kJitter, kJitter)(rng);
      // The outer crop, so that blur and shrinking see past the edges of what is learned.
      const cv::Rect r(kPatch / 2 + jx - outer / 2, kPatch / 2 + jy - outer / 2, outer, outer);
      cv::Mat c = img(r).clone();
      const double a = uniform(0, 1);
      if (a >= 0.3 && a < 0.6) {
        c = Degraded(c);
      } else if (a >= 0.6) {
        const double s = uniform(0.35, 0.5);
        c = ShrunkAndBack(uniform(0, 1) < 0.5 ? Degraded(c) : c, s);
      }
      crops[static_cast<size_t>(b)] = c(cv::Rect(margin, margin, side, side)).clone();
      if (!positive) continue;
      // The hotspot (the logged point) in the inner crop.
      const int hx = kPatch / 2 - r.x - margin, hy = kPatch / 2 - r.y - margin;
      for (int y = std::max(0, hy - 2); y <= std::min(side - 1, hy + 2); ++y) {
        for (int x = std::max(0, hx - 2); x <= std::min(side - 1, hx + 2); ++x) {
          if (std::hypot(x - hx, y - hy) <= kHeatRadius) ta[b][y][x] = 1;
        }
      }
    }
    const auto logits = module->forward(Batch(crops)).squeeze(1);
    const auto loss = torch::nn::functional::binary_cross_entropy_with_logits(
        logits, target,
        torch::nn::functional::BinaryCrossEntropyWithLogitsFuncOptions().pos_weight(
            torch::full({1}, kPositiveWeight)));
    adam.zero_grad();
    loss.backward();
    adam.step();
  }
  module->eval();
  return module;
}

}  // namespace

CursorNet CursorNet::Train(const std::vector<cv::Mat>& positives,
                           const std::vector<cv::Mat>& negatives, const CursorNetOptions& o) {
  NCB_CHECK(!positives.empty() && !negatives.empty() && o.steps >= 0 && o.batch > 0 &&
            o.members >= 1);
  if (o.threads > 0) torch::set_num_threads(o.threads);
  auto impl = std::make_shared<Impl>();
  for (int m = 0; m < o.members; ++m)
    impl->members.push_back(TrainOne(positives, negatives, o, o.seed + static_cast<uint64_t>(m)));
  return CursorNet(impl);
}

CursorNet CursorNet::Load(const std::filesystem::path& file) {
  if (!std::filesystem::exists(file)) throw MissingError(file.string() + ": no such file");
  auto impl = std::make_shared<Impl>();
  try {
    torch::serialize::InputArchive archive;
    archive.load_from(file.string());
    torch::serialize::InputArchive one;
    for (int m = 0; archive.try_read(Member(m), one); ++m) {
      impl->members.push_back(Build());
      impl->members.back()->load(one);
    }
    // One net without members, as the learner wrote it before the ensembles.
    if (impl->members.empty() && archive.try_read("0", one)) {
      impl->members.push_back(Build());
      impl->members.back()->load(archive);
    }
    for (auto& m : impl->members) m->eval();
  } catch (const c10::Error& e) {
    throw FormatError(file.string() + ": not a cursor net of ncbench's shape (" +
                      std::to_string(kChannels) +
                      " channels; metrics/cursor/cursor_net.h): " + e.what_without_backtrace());
  }
  if (impl->members.empty()) {
    throw FormatError(file.string() + ": no member0: not a cursor net of ncbench's shape (" +
                      Architecture(1) + ")");
  }
  return CursorNet(impl);
}

std::string CursorNet::Architecture(int members) {
  const std::string c = std::to_string(kChannels);
  return (members > 1 ? "the mean probability of " + std::to_string(members) +
                            " nets trained alike from consecutive seeds, each: "
                      : std::string()) +
         "BGR/255-0.5; conv5x5 3->" + c + ", conv5x5 dilation 2 " + c + "->" + c +
         " (twice), each batch-normalised with leaky ReLU 0.1; conv1x1 " + c +
         "->1: the logit that a pixel is the hotspot (libtorch nn::Sequential)";
}

int CursorNet::members() const { return static_cast<int>(impl_->members.size()); }

void CursorNet::Save(const std::filesystem::path& file) const {
  torch::serialize::OutputArchive archive;
  for (size_t m = 0; m < impl_->members.size(); ++m) {
    torch::serialize::OutputArchive one;
    impl_->members[m]->save(one);
    archive.write(Member(static_cast<int>(m)), one);
  }
  archive.save_to(file.string());
}

CursorNetMatch CursorNet::Near(const cv::Mat& bgr, cv::Point2d point, double radius,
                               double scale) const {
  NCB_CHECK(bgr.type() == CV_8UC3 && scale > 0);
  // The window in frame px: the radius and half the receptive field beyond it, at the
  // library's scale.
  const int half = static_cast<int>(std::ceil(radius + (kReceptive / 2 + 2) * scale));
  const cv::Point c(static_cast<int>(std::lround(point.x)), static_cast<int>(std::lround(point.y)));
  const cv::Rect want(c.x - half, c.y - half, 2 * half + 1, 2 * half + 1);
  const cv::Rect inside = want & cv::Rect(0, 0, bgr.cols, bgr.rows);
  cv::Mat window;
  cv::copyMakeBorder(bgr(inside), window, inside.y - want.y, want.br().y - inside.br().y,
                     inside.x - want.x, want.br().x - inside.br().x, cv::BORDER_REPLICATE);
  // At the library's scale: a library pixel q lies at frame px want.x + (q + 0.5) f - 0.5.
  double f = 1;
  if (std::abs(scale - 1) > 1e-6) {
    const int n = std::max(1, static_cast<int>(std::lround(window.cols / scale)));
    cv::resize(window, window, {n, n}, 0, 0, scale < 1 ? cv::INTER_LINEAR : cv::INTER_AREA);
    f = static_cast<double>(want.width) / n;
  }
  torch::NoGradGuard no_grad;
  const auto input = Batch({window});
  auto sum = torch::zeros({window.rows, window.cols});
  for (auto& m : impl_->members) sum += torch::sigmoid(m->forward(input)).squeeze();
  const auto heat = (sum / static_cast<double>(impl_->members.size())).contiguous();
  const auto h = heat.accessor<float, 2>();
  const double px = (point.x - want.x + 0.5) / f - 0.5, py = (point.y - want.y + 0.5) / f - 0.5;
  const double reach = radius / f;
  CursorNetMatch best;
  best.hotspot = point;
  for (int y = 0; y < window.rows; ++y) {
    for (int x = 0; x < window.cols; ++x) {
      if (std::hypot(x - px, y - py) > reach || h[y][x] <= best.score) continue;
      best.score = h[y][x];
      best.hotspot = {want.x + (x + 0.5) * f - 0.5, want.y + (y + 0.5) * f - 0.5};
    }
  }
  return best;
}

}  // namespace ncb
