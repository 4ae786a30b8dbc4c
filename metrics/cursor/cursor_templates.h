// Learning a dataset's cursor templates from its own ground truth (`ncbench datasets
// cursor-templates`): the cursor is what stays the same at the logged point while the screen
// under it changes.
//
// Input: one observation per ground-truth frame with a logged position, as two patches of
// kPatch x kPatch pixels with the logged point at pixel (kPatch/2, kPatch/2) (interpolated where it
// falls between pixels, so that a resized video's sprite lands at the same place in every patch):
// the frame there, and the same place in the nearest frame before or after (the one more like it)
// whose logged point is at least kApart px away: the screen without the cursor. Frames whose patch
// equals the clip's last kept one (a resting pointer over a still screen) add nothing and are left
// out. Within a box of [-16, +32) px around the logged point:
//  1. an observation's foreground: where the patch differs from the screen without the cursor
//     by more than kAgree grey levels in a channel; over a quarter of the box differing is the
//     screen changing under the pointer (a menu it opened): left out; a hovered widget's
//     outline (WithoutWidgetEdges) is not foreground;
//  2. two observations are alike when, at the best shift of up to a pixel either way, the
//     two patches have the same colour (within kAgree) on at least half of the pixels in
//     either foreground (a white hand over a white button in one and over its label in the
//     other: only one foreground holds the hand's fill, and both patches show it);
//  3. shapes, commonest first: the observation alike to the most others left, and those
//     others (shifted onto it), are one group, while a group has at least max(4, 2 %) members;
//  4. a group's shape: the per-pixel median of its patches; its pixels are those where the
//     members agree with the median (60 %), differ from the screen without the cursor (25 %),
//     keep their colour where that screen has another (not a shadow), and are not the median
//     screen darkened (a shadow seen over one colour only); what moves with the pointer but
//     is not the cursor is dropped: thin lines away from the shape's body and long straight
//     ones, a hovered widget's outline (WithoutWidgetEdges) and thin straight pieces apart
//     from the body (WithoutStrayLines), else a cursor-less highlighted button matches;
//  5. a group whose shape lies (grown by a pixel, 80 %) inside a larger group's, with grey
//     levels that correlate (ZNCC >= 0.7), joins it: one cursor over very different screens;
//  6. each shape becomes a BGRA sprite (alpha 255 on its pixels, hotspot the logged point;
//     none where its pixels have one grey level, which the detector cannot correlate),
//     and its interior (the mask less its edge, when at least 12 px) a second one: the edge of
//     a translucent or resized sprite takes the colours of the screens it was learned over.
//
// Calibration, per sprite: its best score (cursor_detector.h) within 24 px of the logged
// point on every observation's screen without the cursor, and on the observation's own patch
// with the pointer's pixels (the sprites' at the logged point, grown by 2 px) taken from that
// screen (what the pointer's presence changed around it stays: a button highlighted under it,
// as a frame with the pointer hidden shows it), each as recorded and blurred (sigma 1)
// + JPEG-compressed (quality 35): the look-alikes around where the cursor goes; its threshold
// is their 99th percentile + 0.02, within [0.6, 1] (1: its look-alikes there score as high as
// it does, and the detector does not search it). The report gives the ceiling (within
// R = 8 px) and the false-positive rate at those thresholds on the observations themselves.
// Away from the logged point, CalibrateAnywhere below.
#pragma once

#include <filesystem>
#include <memory>
#include <opencv2/core.hpp>
#include <string>
#include <vector>

#include "metrics/cursor/cursor_net.h"

namespace ncb {

struct CursorObservation {
  cv::Mat patch;       // BGR, kPatch x kPatch, the logged point at (kPatch/2, kPatch/2)
  cv::Mat background;  // the same place in a frame whose cursor is elsewhere
  std::string where;   // "<sample>:<frame>", for messages
};

struct LearnedSprite {
  cv::Mat bgra;
  cv::Point2d hotspot;
  int frames = 0;             // members
  double consistency = 0;     // mean share of members agreeing with the median on its pixels
  int pixels = 0;             // opaque pixels
  double min_confidence = 0;  // its calibrated threshold
  bool interior = false;      // the previous sprite's interior (its mask less the edge)
  // CursorSprite::min_score_anywhere, when CalibrateAnywhere sets one over kFrameFloor.
  double min_score_anywhere = 0;
  // CursorSprite::min_confidence_shrunk, when CalibrateShrunk sets one (0: none).
  double min_confidence_shrunk = 0;
};

struct CursorTemplates {
  std::vector<LearnedSprite> sprites;
  int observations = 0, unassigned = 0;
  int changed = 0;            // observations left out: the screen changed under the pointer
  double min_confidence = 0;  // the lowest of the sprites' thresholds
  double ceiling = 0;         // positives at or above it
  double false_positive_rate = 0;
  // CalibrateShrunk's scale (0: not run), and the ceiling and false-positive rate there.
  double shrunk_scale = 0, ceiling_shrunk = 0, false_positive_rate_shrunk = 0;
  // The learned detector (LearnCursorNet; null: none), its thresholds, and the figures of the
  // net alone and of the templates and the net together (what the metric does: the net where
  // the templates find nothing), at the frames' size and at shrunk_scale.
  std::shared_ptr<CursorNet> net;
  double net_min_confidence = 0, net_min_confidence_shrunk = 0;
  double net_ceiling = 0, net_false_positive_rate = 0;
  double net_ceiling_shrunk = 0, net_false_positive_rate_shrunk = 0;
  double both_ceiling = 0, both_false_positive_rate = 0;
  double both_ceiling_shrunk = 0, both_false_positive_rate_shrunk = 0;
};

constexpr int kPatch = 96, kApart = 64;
constexpr int kDecodeWidth = 256;  // the GUIWorld decode's width, px (CalibrateShrunk)

// Throws FormatError with `what` (the manifest) when no shape is found: the frames show
// nothing consistent at the logged points (logs in another geometry than the video?).
CursorTemplates LearnCursorTemplates(const std::vector<CursorObservation>& observations,
                                     const std::string& what);

// Away from a logged point, per sprite: its best score anywhere on whole frames of the
// dataset without the cursor (each observed frame with its screen without the cursor pasted
// at the logged point), as recorded and blurred + JPEG-compressed, at the frames' size and
// shrunk to 256 px wide (the higher of the two; at the frames' size alone for a sprite
// too small or flat to search at 256 px); where the 99th percentile +
// 0.02 exceeds the detector's kFrameFloor (0.9), that is the sprite's min_score_anywhere: a
// sprite that matches the screen's own look-alikes (an I-beam and a "1") is held to more, or,
// above 1, never reported away from the logged point.
void CalibrateAnywhere(CursorTemplates* templates, const std::vector<cv::Mat>& cursorless);

// Near the logged point at a size where the detector shrinks the sprites by more than 2
// (`scale` < CursorDetector::kShrunk: the GUIWorld decode's 256 px wide), per sprite: the
// calibration above on the same screens (without the cursor, and the patches without the
// pointer) shrunk to `scale`, as recorded and degraded (degraded, then shrunk), is the sprite's
// min_confidence_shrunk, each observation moved by 0 to ceil(1 / scale) - 1 whole pixels each
// way before it is shrunk, so that the pointer is seen at the sub-pixel phases of the shrunk
// grid a video shows it at (a shrunk hand matches a highlighted button; the 4x6 px interior of an
// arrow matched it as well as the pointer did and gets 1: not searched there, where a cap of
// 0.95 let it report a cursor on 3-8 % of frames without one). Sets the ceiling and
// false-positive rate there (each observation shrunk). Does nothing for `scale` >= kShrunk.
void CalibrateShrunk(CursorTemplates* templates, const std::vector<CursorObservation>& obs,
                     double scale);

// Trains the dataset's net (cursor_net.h) and calibrates it like a sprite. It learns from the
// observations whose screen did not change under the pointer (as the shapes), with the learned
// sprites' pixels grown by 4 px as the pointer. Its negatives: the screens without the cursor,
// the patches without the pointer (PointerTakenOut; inpainted where the screen changed around
// the pointer, and for the observations whose screen changed under it), and as many again at
// random places of `cursorless` (CalibrateAnywhere's whole frames; none if empty). Every other
// block of 4 observations is kept out of its negatives, and its threshold is the 99th
// percentile of its best score within 24 px of the logged point on those observations'
// look-alike screens (the screens without the cursor and the patches without the pointer,
// inpainted as in training, as recorded and degraded), plus 0.02: scored on screens it was
// trained on, a net's look-alikes score low by heart. At `scale` < CursorDetector::kShrunk the
// same screens shrunk as CalibrateShrunk shrinks them set its threshold there (at least the
// first). Sets the figures of the net alone and of the templates and the net together, on
// every observation; call after CalibrateShrunk.
void LearnCursorNet(CursorTemplates* templates, const std::vector<CursorObservation>& obs,
                    double scale, const CursorNetOptions& options,
                    const std::vector<cv::Mat>& cursorless = {});

// Writes DIR/cursor-N.png and DIR/cursors.json (screen, sprites with hotspots and member
// counts, the calibrated min_confidence and the learning's figures), and the net as
// DIR/cursor-net.pt with its thresholds in cursors.json "net".
void WriteCursorTemplates(const CursorTemplates& t, cv::Size screen,
                          const std::filesystem::path& dir);

}  // namespace ncb
