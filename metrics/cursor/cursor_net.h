// A small learned cursor detector per dataset, beside its templates: `datasets
// cursor-templates` trains it on the same observations (cursor_templates.h) and writes it as
// DIR/cursor-net.pt; the detector (cursor_detector.h) asks it "is the cursor there?" where
// the templates do not find it.
//
// Why: a template needs the whole sprite. Blurred, JPEG-compressed or shrunk to the 256 px
// GUIWorld decode (a 24 px arrow becomes 7 px), a white arrow over a white window is a few
// grey pixels whose correlation with any template is low, while the look-alikes around it
// (a highlighted button, a menu's corner) correlate as well. A net trained on the dataset's
// own pointer, degraded the same ways, and on the same screens without it tells them apart
// (docs/gui.md has the figures).
//
// What a member is: a fully convolutional net on BGR at the library's scale, three 5x5 convolutions
// (kChannels each; the last two dilated by 2; batch-normalised, leaky ReLU), then a 1x1 to one
// logit per pixel: the heat that the pixel is the hotspot. Its receptive field is 21 px;
// 14,000 multiply-adds per pixel.
//
// Training (Train): crops of 48x48 px around the centre of the patches the learner gives it
// (LearnCursorNet, cursor_templates.h), moved by up to 6 px either way. Positives: the
// observations' patches, the target 1 on the 3x3 pixels around the hotspot. Negatives (target
// 0 everywhere): the screens without the cursor, the patches without the pointer, and places
// anywhere on whole frames without the cursor. Augmented as generated frames are seen: 30 % as
// is, 30 % blurred (sigma 1) and JPEG-compressed at quality 35, 40 % shrunk to 0.35-0.5 and
// expanded back (half of those degraded first). Adam, 1500 steps of 32 crops by default,
// binary cross-entropy with positives weighted 20. Batch normalisation made it hold across
// seeds: without it one seed in two found half of DMZ-White's degraded pointers (measured with
// a prototype of this net).
// An ensemble: `members` nets (2 by default) trained alike from consecutive seeds, their
// probabilities averaged. One net's verdict on a look-alike it never saw is a coin toss: of
// four single nets, whiteglass's open menu corner at 256 px scored 0.001, 0.004, 0.98 and
// 0.99; a net's scores saturate, and its calibrated threshold with them (0.99 or 1 for some
// seeds, which then lose the shrunk pointer).
// Inference (Near): the window around the point, resized to the library's scale where the
// frame is not at it (expanded from a 256 px decode), the members' mean heat, its best within
// the radius: the score (a probability) and where. The threshold that makes a score a hit is
// calibrated by the learner on the dataset's cursor-less places (cursor_templates.h), like the
// templates'.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <opencv2/core.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace ncb {

struct CursorNetOptions {
  int steps = 1500;
  int batch = 32;
  double learning_rate = 2e-3;
  uint64_t seed = 0;
  int threads = 0;  // LibTorch's intra-op threads for the training (0: its default)
  // Nets trained alike from seeds seed, seed + 1, ..., their probabilities averaged.
  int members = 2;
};

struct CursorNetMatch {
  cv::Point2d hotspot;  // frame px (pixel index, as logged)
  double score = 0;     // the heat's best there, in [0, 1]
};

class CursorNet {
 public:
  static constexpr int kChannels = 16;
  static constexpr int kHalf = 24;  // a training crop is 2 kHalf square
  static constexpr int kJitter = 6;
  static constexpr int kReceptive = 21;  // px

  // Trains options.members nets on patches of kPatch square with the logged point at the
  // centre: `positives` show the pointer there, `negatives` no pointer; neither empty.
  // cursor-net.pt holds each member as "member<i>"; Load also reads a single net.
  static CursorNet Train(const std::vector<cv::Mat>& positives,
                         const std::vector<cv::Mat>& negatives, const CursorNetOptions& options);
  // FormatError naming the file when it is not a net of this shape.
  static CursorNet Load(const std::filesystem::path& file);
  void Save(const std::filesystem::path& file) const;
  // The layers in words, for cursors.json.
  static std::string Architecture(int members);
  int members() const;

  // The best heat whose pixel lies within `radius` px of `point` (both in frame px) in `bgr`
  // (8-bit, a frame at `scale` frame px per library px).
  CursorNetMatch Near(const cv::Mat& bgr, cv::Point2d point, double radius, double scale) const;

 private:
  struct Impl;  // the libtorch module (cursor_net.cpp: no torch header here)
  explicit CursorNet(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<Impl> impl_;
};

// A patch as a generated video shows it: blurred (Gaussian sigma 1) and JPEG-compressed at
// quality 35 (the learner's calibration and the net's augmentation).
cv::Mat Degraded(const cv::Mat& bgr);

}  // namespace ncb
