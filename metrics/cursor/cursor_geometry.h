// Estimating a GUI dataset's log-to-video geometry from its footage (`ncbench datasets
// cursor-geometry`): the per-axis scale and offset of video px = (log px - offset) x scale,
// for logs recorded in the pixels of a larger screen of which the video shows a crop or a
// resized view, when the dataset does not say which.
//
// No cursor sprite is assumed. The pointer is what changes at a place that moves with the
// logged position:
//  1. a frame's changes: the pixels that differ (by more than kChange grey levels) from both
//     the nearest frame before and the nearest after whose logged point is far away (6 % of
//     the logs' extent, at least 48 log px): the pointer here and not there; whatever changed
//     for good in between differs from one of the two only. Frames changing over more than
//     3 % of the picture (a window opening) are left out;
//  2. coarse search, per axis: for each scale s (0.05 to 4, steps of 0.25 %), every frame
//     votes with its changed columns (rows) at u - s x logged x; the right scale piles the
//     votes up where the pointer sits relative to the logged point. The scale with the
//     highest pile (three pixels wide, each frame's votes summing to one) wins;
//  3. the footprint: at that scale, the share of frames changed at each place relative to the
//     logged point; the connected place changed in at least half as many frames as the most
//     is its core, in a fifth as many its template (shapes differ: an I-beam, an arrow and a
//     hand overlap there);
//  4. detections: in each frame, the shift (up to the core's size or 6 px) at which its
//     changes cover the most of the template, when they cover at least half of it; a first
//     fit, per axis: least squares of the detections on the logged positions, refitted without
//     the detections off by more than max(1.5 px, 3 robust sigmas), three times;
//  5. the hotspot: in each frame, the top-left corner of the change nearest to the first
//     fit's point. The commonest corners are the tops of the commonest shapes; of those seen
//     in at least a quarter as many frames as the commonest (and 10), the lowest, then
//     rightmost, is taken as the hotspot's: an arrow's tip and a hand's finger are their
//     hotspot, while an I-beam's or a crosshair's top lies above its centre (X, Windows and
//     macOS put an arrow's hotspot at its tip, within a pixel or two of the drawn tip);
//  6. the fit, per axis: the frames whose corner is that shape's (within a pixel), their
//     corners on the logged positions, refitted as in 4. The residual is given over those
//     frames. The offset is only as good as the hotspot's convention: a dataset whose
//     commonest pointers are all centred (an I-beam over an editor, nothing else) puts the
//     logged point at their top, half a pointer above the truth; the scale does not depend on
//     it, and templates learned with the fitted geometry put their hotspots at the logged
//     points, so the cursor metric scores the same either way.
#pragma once

#include <opencv2/core.hpp>
#include <optional>
#include <string>
#include <vector>

namespace ncb {

struct PointerFrame {
  cv::Point2d logged;              // log px
  std::vector<cv::Point> changed;  // video px where the frame differs from both partners
  std::string where;               // "<sample>:<frame>", for messages
};

// The pointer changes of one clip: `grey` its frames (CV_8UC1), `logged` each frame's
// logged point in log px (nullopt before the log has one). `far` in log px: partners are
// frames whose logged point is at least that far. Frame 0 is not used (recordings start
// without the pointer on screen). `*too_busy` counts the frames left out for changing over
// more than 3 % of the picture.
std::vector<PointerFrame> PointerChanges(const std::vector<cv::Mat>& grey,
                                         const std::vector<std::optional<cv::Point2d>>& logged,
                                         double far, const std::string& id, int* too_busy);

// Partners are at least this far apart (log px), given every logged point of the dataset.
double PartnerDistance(const std::vector<cv::Point2d>& logged);

struct AxisFit {
  double scale = 1, offset = 0;        // video = (log - offset) * scale
  double median_abs = 0, p90_abs = 0;  // |corner - fitted|, video px, over the shape's frames
};

struct PointerGeometry {
  AxisFit x, y;
  int frames = 0;           // frames with changes that took part
  int detected = 0;         // frames where the template was found (step 4)
  int shape_frames = 0;     // frames showing the hotspot's shape (step 5), fitted in step 6
  int inliers = 0;          // of those, kept by the final fit (both axes)
  cv::Size footprint;       // the core of the pointers' footprint, video px
  double median_error = 0;  // median Euclidean |detected - fitted|, video px
};

// Throws FormatError naming `what` when nothing in the frames moves with the logs (fewer
// than 10 detections, or fewer than a third of the frames).
PointerGeometry FitPointerGeometry(const std::vector<PointerFrame>& frames, cv::Size video,
                                   const std::string& what);

}  // namespace ncb
