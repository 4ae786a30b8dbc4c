// Finding the mouse cursor in a frame: matching a library of cursor templates.
//
// The templates are cursor sprites with their hotspots (a cursors/ folder: BGRA PNGs and
// cursors.json). The GUI recorder writes the exact sprites it drew; any other folder in that
// format works (metric option `templates`).
//
// The score of a place is the zero-mean normalised cross-correlation (ZNCC) of grey levels,
// blind to brightness and contrast, taken as the better of two comparisons:
//  - exact: the raw frame against the sprite's opaque pixels (alpha > 250: the body and
//    outline, not the translucent shadow); an exact copy on any background scores 1;
//  - smooth: the frame smoothed by a Gaussian (1 px at the recordings' size, at least 0.5)
//    against the whole sprite (shadow too) drawn over the mean grey around it in its box and
//    smoothed alike, over the sprite and the halo the smoothing spreads it to: what survives
//    blur, JPEG or H.264 artefacts and a model's own drawing of a similar arrow.
// The confidence is that ZNCC damped where the frame's contrast is far from the sprite's
// (`gain`, the regression slope of frame on sprite: a faint ghost or a busy patch that
// correlates by chance): zncc * min(1, gain / 0.4) * min(1, 2.5 / gain). Sprites shrunk by
// more than 2 are matched at each quarter-pixel phase (the full-size sprite moved by
// 1 / (4 scale) px steps before shrinking), since at 6 px the phase changes the picture.
//
// Search: within a radius of a point (Near: "is the cursor there?", full size, direct
// correlation over the small window), or over the whole frame (Detect, Best): a coarse search
// at half size when every sprite is at least 16 px at the frame's scale, the three
// correlations of the ZNCC (frame and weights, its square and weights, frame and zero-mean
// weighted sprite) by FFT with the frame transformed once; the best `candidates_` places of
// each sprite are re-scored at full size (the exact score within reach, then the smooth one
// there and at its four neighbours). The exact sum of squared differences of ncbench's first
// detector failed such a coarse-to-fine search (a sprite at an odd offset straddles the 2x2
// blocks); ZNCC over an area-averaged frame does not.
#pragma once

#include <algorithm>
#include <filesystem>
#include <memory>
#include <opencv2/core.hpp>
#include <optional>
#include <string>
#include <vector>

namespace ncb {

struct CursorSprite {
  std::string name;
  cv::Mat bgra;         // straight alpha
  cv::Point2d hotspot;  // pixels from the sprite's top-left
  // This sprite's own threshold, calibrated on the dataset's ground truth (a learned
  // library's cursors.json); nullopt: the detector's. 1 (here or in min_confidence_shrunk):
  // its look-alikes score as high as it does; the sprite is not searched at that size unless
  // the detector is given one threshold for all.
  std::optional<double> min_confidence;
  // Its threshold where the frames show it shrunk by more than 2 (kShrunk; the 256 px GUIWorld
  // decode), calibrated on the dataset's ground truth shrunk alike (cursors.json
  // "min_confidence_shrunk": a sprite of a few pixels has more look-alikes, such as a
  // highlighted button under a shrunk hand); nullopt: min_confidence at every size.
  std::optional<double> min_confidence_shrunk;
  // The score its match away from a logged point must reach, over kFrameFloor: calibrated on
  // whole cursor-less frames of the dataset (cursors.json "min_score_anywhere"; above 1, a
  // sprite that look-alikes on the screen match perfectly and is never reported away from a
  // logged point); nullopt: kFrameFloor alone.
  std::optional<double> min_score_anywhere;
};

class CursorNet;

struct CursorLibrary {
  std::filesystem::path dir;
  cv::Size screen;  // the recordings' screen size (the frames' size at scale 1)
  std::vector<CursorSprite> sprites;
  std::string default_sprite;  // the desktop's arrow ("default" in cursors.json), may be empty
  // The detector's threshold calibrated on the dataset's ground truth, when the library was
  // learned (cursors.json "min_confidence"); nullopt otherwise.
  std::optional<double> min_confidence;
  // The dataset's learned detector (cursor_net.h; cursors.json "net"), asked where the
  // templates find no cursor near a point, with its own calibrated thresholds (at the frames'
  // size, and shrunk by more than 2); null when the library has none.
  std::shared_ptr<const CursorNet> net;
  double net_min_confidence = 0, net_min_confidence_shrunk = 0;
  // Reads DIR/cursors.json and its PNGs; MissingError when absent, FormatError naming the
  // file and field when malformed.
  static CursorLibrary Load(const std::filesystem::path& dir);
};

struct CursorDetection {
  cv::Point2d hotspot;  // in frame pixels
  // The score, less (the sprite's own threshold - the detector's) where the sprite has one:
  // compared with the detector's threshold, each sprite is held to its own.
  double confidence = 0;
  double score = 0;  // the score itself
  std::string sprite;
  double scale = 1;
  double min_score_anywhere = 0;  // the sprite's (CursorSprite), 0 if none
};

class CursorDetector {
 public:
  // `scales`: multipliers of frame_width / screen width to search. `min_confidence`: for
  // every sprite when given; else each sprite's own calibrated threshold where it has one,
  // and otherwise the library's calibrated threshold, else kMinConfidence, or kMinConfidenceSmall
  // where the sprites are shrunk by more than 2 (at the 256 px GUIWorld decode an arrow is
  // 6 px: an I-beam is a short dark line any text edge matches; docs/gui.md has the figures).
  CursorDetector(const CursorLibrary& library, cv::Size frame, std::vector<double> scales,
                 std::optional<double> min_confidence);
  static constexpr double kMinConfidence = 0.8, kMinConfidenceSmall = 0.85;
  // Below this scale (frame px per library px) a sprite counts as shrunk: kMinConfidenceSmall,
  // or a sprite's min_confidence_shrunk, holds.
  static constexpr double kShrunk = 0.5;
  // Sub-pixel phases per axis of a shrunk sprite (a template at each quarter pixel).
  static constexpr int kPhases = 4;
  // A sprite whose opaque pixels spread over at most this many grey levels (their standard
  // deviation, at the searched size) cannot be told from a flat screen: it is not searched,
  // and the learner writes no such sprite.
  static constexpr double kMinSpriteSpread = 1.0;
  double min_confidence() const { return min_confidence_; }
  // The best match anywhere, or nullopt when none reaches frame_confidence(): a cursor
  // reported with no logged point to check it against must be more certain (min_confidence
  // + kFrameMargin, at most 0.98): on the embedded recordings' frames without a cursor the
  // best place scored up to 0.88 at 1024x768 (text edges, window corners; an I-beam is a
  // dark stroke). `bgr`: 8-bit, the frame size.
  std::optional<CursorDetection> Detect(const cv::Mat& bgr) const;
  static constexpr double kFrameMargin = 0.1;
  double frame_confidence() const { return std::min(0.98, min_confidence_ + kFrameMargin); }
  // Whether a match away from the logged point counts: its confidence reaches
  // frame_confidence() and its score kFrameFloor (a learned sprite whose own threshold is low
  // still needs 0.9 there: a whole frame holds many places to match by chance).
  // A sprite may set a higher floor of its own (CursorSprite::min_score_anywhere).
  static constexpr double kFrameFloor = 0.9;
  bool CountsAnywhere(const CursorDetection& d) const {
    return d.confidence >= frame_confidence() &&
           d.score >= std::max(kFrameFloor, d.min_score_anywhere);
  }
  // The best match anywhere, whatever its confidence, of the matches that reach their sprite's
  // own min_score_anywhere.
  std::optional<CursorDetection> Best(const cv::Mat& bgr) const;
  // The best match whose hotspot lies within `radius` px of `point`, whatever its
  // confidence (a small search: the question "is the cursor there?"). Where no template
  // reaches min_confidence() there and the library has a net, the net's best place instead
  // when its confidence is the higher: its score less (its threshold - min_confidence()), so
  // that, compared with min_confidence(), the net is held to its own threshold (sprite
  // "cursor-net").
  std::optional<CursorDetection> Near(const cv::Mat& bgr, cv::Point2d point, double radius) const;

 private:
  struct Level {  // one template at one resolution
    cv::Size size;
    cv::Mat weight, centred;      // CV_32F: w, w * (T - mean) (zero-sum; T the 0-centred grey)
    cv::Mat alpha, alpha_grey;    // the whole sprite (shadow too): a, a * T (fine level only)
    double n = 0, norm = 0;       // sum w; sqrt(sum w (T - mean)^2 / n), the template's spread
    cv::Mat f_weight, f_centred;  // spectra of weight and centred at padded_ (coarse only)
  };
  struct Template {
    int group = 0;     // one sprite at one scale; its phases follow its lead, in order
    bool lead = true;  // phase (0, 0): the one searched; the others re-score its places
    std::string sprite;
    double scale;
    double offset = 0;    // the sprite's own threshold - the detector's (0: none)
    double anywhere = 0;  // the sprite's min_score_anywhere (0: none)
    cv::Point2d hotspot;  // full-size pixels from the top-left
    Level fine, coarse;
  };
  struct Region {  // hotspots within radius of center
    cv::Point2d center;
    double radius = 0;
  };
  std::optional<CursorDetection> Search(const cv::Mat& bgr, const Region* region) const;
  double SmoothConfidence(const Level& l, const cv::Mat& grey, const cv::Mat& smooth,
                          cv::Point at) const;
  double ExactConfidence(const Level& l, const cv::Mat& grey, cv::Point at) const;
  std::vector<Template> templates_;
  cv::Size frame_, coarse_, padded_;
  int factor_ = 1;  // coarse = frame / factor
  double sigma_ = 1;
  int max_extent_ = 0;  // the largest template side, px
  double min_confidence_;
  int candidates_ = 8;
  std::shared_ptr<const CursorNet> net_;
  double net_threshold_ = 0, net_scale_ = 1;
};

}  // namespace ncb
