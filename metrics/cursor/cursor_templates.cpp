#include "metrics/cursor/cursor_templates.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/photo.hpp>
#include <optional>
#include <random>
#include <tuple>
#include <utility>

#include "core/errors.h"
#include "metrics/cursor/cursor_detector.h"

namespace ncb {
namespace {

constexpr int kAgree = 24;      // grey levels (per channel)
constexpr double kAlike = 0.5;  // two observations of one shape (Similarity)
constexpr int kChanged = 4;     // an observation differing on over 1/kChanged of the box: left out
constexpr int kLine = 16;       // px: a straight thin line this long is no cursor's
constexpr int kEdge = 12;       // px: a hovered widget's edge, along a row (WithoutWidgetEdges)
constexpr int kMinInterior = 12;        // px: a shape's interior kept as a sprite of its own
constexpr double kContained = 0.8;      // two groups of one shape (ShapeSimilarity)
constexpr int kBox = 48, kBefore = 16;  // the sprite box: [-16, +32) around the logged point
constexpr double kRadius = 8;           // the calibration's R, px
constexpr double kReach = 24;           // px around the point where look-alikes are sought

cv::Rect Box() { return {kPatch / 2 - kBefore, kPatch / 2 - kBefore, kBox, kBox}; }

// The mask less a hovered widget's outline (a button highlighted under the pointer, at
// another place around the pointer in every frame): thin straight runs (at most 4 px
// across) of at least kEdge px along a row, and those of at least kEdge / 2 along a column
// that meet one at a corner. An I-beam's stem has no long row beside it and is kept.
cv::Mat WithoutWidgetEdges(const cv::Mat& mask) {
  const auto open = [&](cv::Size k) {
    cv::Mat o;
    cv::morphologyEx(mask, o, cv::MORPH_OPEN, cv::getStructuringElement(cv::MORPH_RECT, k));
    return o;
  };
  const cv::Mat rows = open({kEdge, 1}) & ~open({1, 5});
  if (cv::countNonZero(rows) == 0) return mask;
  const cv::Mat cols = open({1, kEdge / 2}) & ~open({5, 1});
  cv::Mat near, labels;
  cv::dilate(rows, near, cv::getStructuringElement(cv::MORPH_RECT, {5, 5}));
  const int n = cv::connectedComponents(cols, labels, 8, CV_32S);
  std::vector<bool> corner(static_cast<size_t>(n), false);
  for (int y = 0; y < labels.rows; ++y) {
    for (int x = 0; x < labels.cols; ++x) {
      if (near.at<uchar>(y, x) != 0) corner[static_cast<size_t>(labels.at<int>(y, x))] = true;
    }
  }
  cv::Mat out = mask & ~rows;
  for (int y = 0; y < labels.rows; ++y) {
    for (int x = 0; x < labels.cols; ++x) {
      const int l = labels.at<int>(y, x);
      if (l > 0 && corner[static_cast<size_t>(l)]) out.at<uchar>(y, x) = 0;
    }
  }
  return out;
}

// The mask less its thin straight pieces (at most 2 px across, at least 6 long) that lie
// apart from a larger piece that is not one: a widget's edge beside the pointer, not a
// stroke of the cursor (an I-beam's stem is its largest piece and is kept).
cv::Mat WithoutStrayLines(const cv::Mat& mask) {
  cv::Mat labels, stats, centroids;
  const int n = cv::connectedComponentsWithStats(mask, labels, stats, centroids, 8, CV_32S);
  const auto line = [&](int l) {
    const int w = stats.at<int>(l, cv::CC_STAT_WIDTH), h = stats.at<int>(l, cv::CC_STAT_HEIGHT);
    return std::min(w, h) <= 2 && std::max(w, h) >= 6;
  };
  int body = 0;
  for (int l = 1; l < n; ++l)
    if (!line(l)) body = std::max(body, stats.at<int>(l, cv::CC_STAT_AREA));
  cv::Mat out = mask.clone();
  for (int l = 1; l < n; ++l)
    if (line(l) && stats.at<int>(l, cv::CC_STAT_AREA) < body) out.setTo(0, labels == l);
  return out;
}

struct Shape {
  cv::Mat median;  // CV_8UC3, kBox x kBox
  cv::Mat mask;    // CV_8U, 255 on the sprite's pixels
  double consistency = 0;
};

// Median, agreement and difference over the patches `idx`.
Shape Estimate(const std::vector<CursorObservation>& obs, const std::vector<size_t>& idx,
               double agree_share) {
  Shape s;
  s.median = cv::Mat(kBox, kBox, CV_8UC3);
  s.mask = cv::Mat::zeros(kBox, kBox, CV_8U);
  cv::Mat under(kBox, kBox, CV_8UC3);  // the median screen without the cursor
  std::vector<uchar> v(idx.size());
  const auto median = [&](cv::Mat (*at)(const CursorObservation&), cv::Mat* out) {
    for (int y = 0; y < kBox; ++y) {
      for (int x = 0; x < kBox; ++x) {
        for (int ch = 0; ch < 3; ++ch) {
          for (size_t i = 0; i < idx.size(); ++i) v[i] = at(obs[idx[i]]).at<cv::Vec3b>(y, x)[ch];
          std::nth_element(v.begin(), v.begin() + static_cast<long>(v.size() / 2), v.end());
          out->at<cv::Vec3b>(y, x)[ch] = v[v.size() / 2];
        }
      }
    }
  };
  median([](const CursorObservation& o) -> cv::Mat { return o.patch(Box()); }, &s.median);
  median([](const CursorObservation& o) -> cv::Mat { return o.background(Box()); }, &under);
  double agree_sum = 0;
  int pixels = 0;
  for (int y = 0; y < kBox; ++y) {
    for (int x = 0; x < kBox; ++x) {
      const auto m = s.median.at<cv::Vec3b>(y, x);
      // agree: the patch is the median's colour; under another colour: the screen without
      // the cursor is not, and there the patch still is (a shadow takes its colour from the
      // screen: it keeps the median's colour only over screens like the usual one).
      int agree = 0, differ = 0, other = 0, other_agree = 0;
      for (size_t i : idx) {
        const auto p = obs[i].patch(Box()).at<cv::Vec3b>(y, x);
        const auto b = obs[i].background(Box()).at<cv::Vec3b>(y, x);
        int dm = 0, db = 0, dbm = 0;
        for (int ch = 0; ch < 3; ++ch) {
          dm = std::max(dm, std::abs(p[ch] - m[ch]));
          db = std::max(db, std::abs(p[ch] - b[ch]));
          dbm = std::max(dbm, std::abs(b[ch] - m[ch]));
        }
        agree += dm <= kAgree;
        differ += db > kAgree;
        if (dbm > 2 * kAgree) {
          ++other;
          other_agree += dm <= kAgree;
        }
      }
      const double n = static_cast<double>(idx.size());
      const bool keeps = other < 2 || other_agree >= agree_share * other;
      // A shadow seen over one colour only: the screen's colour darkened (k x its channels,
      // k in [0.2, 0.9]), where the screen has a colour (not grey: there a darkened screen is
      // a grey the sprite may have).
      const auto u = under.at<cv::Vec3b>(y, x);
      const int chroma = std::max({u[0], u[1], u[2]}) - std::min({u[0], u[1], u[2]});
      double mu = 0, uu = 0;
      for (int ch = 0; ch < 3; ++ch) {
        mu += m[ch] * u[ch];
        uu += u[ch] * u[ch];
      }
      const double k = uu > 0 ? mu / uu : 0;
      bool shadow = chroma > 40 && k >= 0.2 && k <= 0.9;
      for (int ch = 0; ch < 3 && shadow; ++ch) shadow = std::abs(m[ch] - k * u[ch]) <= 16;
      if (agree >= agree_share * n && differ >= 0.25 * n && keeps && !shadow) {
        s.mask.at<uchar>(y, x) = 255;
        agree_sum += agree / n;
        ++pixels;
      }
    }
  }
  s.consistency = pixels ? agree_sum / pixels : 0;
  {
    // Thin lines away from the shape's body (a button's highlighted border under the
    // pointer, consistent where the pointer always rests at a button's centre) are left
    // out: the pixels within 2 px of the mask's opening by a 3x3 square, when that keeps at
    // least 30 % (an I-beam or an outline-only arrow is all thin lines: kept whole).
    cv::Mat core, near;
    cv::morphologyEx(s.mask, core, cv::MORPH_OPEN,
                     cv::getStructuringElement(cv::MORPH_RECT, {3, 3}));
    if (cv::countNonZero(core) >= 0.3 * pixels) {
      cv::dilate(core, near, cv::getStructuringElement(cv::MORPH_RECT, {5, 5}));
      s.mask &= near;
    }
  }
  {
    // Long thin straight lines (a highlighted button's border under the pointer: a cursor's
    // strokes are short or thick): runs of at least kLine px along a row or column where the
    // mask is at most 2 px thick across.
    cv::Mat lines = cv::Mat::zeros(kBox, kBox, CV_8U);
    const auto on = [&](int y, int x) {
      return y >= 0 && x >= 0 && y < kBox && x < kBox && s.mask.at<uchar>(y, x) != 0;
    };
    for (int pass = 0; pass < 2; ++pass) {  // rows, then columns
      for (int a = 0; a < kBox; ++a) {
        for (int b = 0; b < kBox;) {
          const auto at = [&](int i, int j) { return pass == 0 ? on(a + j, i) : on(i, a + j); };
          if (!at(b, 0)) {
            ++b;
            continue;
          }
          int e = b;
          while (e < kBox && at(e, 0)) ++e;
          if (e - b >= kLine) {
            int thin = 0;
            for (int i = b; i < e; ++i) {
              int t = 1;
              for (int j = 1; at(i, j); ++j) ++t;
              for (int j = -1; at(i, j); --j) ++t;
              thin += t <= 2;
            }
            if (thin * 4 >= (e - b) * 3) {
              for (int i = b; i < e; ++i) {
                if (pass == 0)
                  lines.at<uchar>(a, i) = 255;
                else
                  lines.at<uchar>(i, a) = 255;
              }
            }
          }
          b = e;
        }
      }
    }
    s.mask.setTo(0, lines);
  }
  s.mask = WithoutStrayLines(WithoutWidgetEdges(s.mask));
  return s;
}

// Where the patch differs from the screen without the cursor.
cv::Mat Foreground(const CursorObservation& o) {
  cv::Mat d;
  cv::absdiff(o.patch, o.background, d);
  std::vector<cv::Mat> ch;
  cv::split(d, ch);
  cv::Mat m = cv::max(cv::max(ch[0], ch[1]), ch[2]);
  return m > kAgree;
}

// Whether an observation whose foreground (Foreground less WithoutWidgetEdges) is `fg` shows
// the screen changing under the pointer (a menu it opened, a window it raised): more than a
// quarter of the box differs from the screen without the cursor.
bool ScreenChanged(const cv::Mat& fg) {
  return cv::countNonZero(fg(Box())) > kBox * kBox / kChanged;
}

struct Match {
  double similarity = 0;
  cv::Point shift;  // b's pixel (x, y) + shift is a's (x, y)
};

// How alike two observations' cursors are: of the pixels of the box where either differs
// from its screen (`fa`, `fb`: Foreground less a hovered widget's edges), the share where
// the two patches have the same colour (within kAgree per channel); the best of b shifted by
// up to a pixel either way (a sprite drawn into a resized video lands on the logged point's
// rounding). 1 for the same sprite over any two screens, also where only one of them differs
// (a white pointer over a white button in one, over the button's label in the other); a
// button highlighted under one pointer, or text that changed, lowers it; two shapes (or one
// shape at another hotspot) share little.
Match Similarity(const cv::Mat& pa, const cv::Mat& fa, const cv::Mat& pb, const cv::Mat& fb) {
  Match best;
  const cv::Rect box = Box();
  for (int dy = -1; dy <= 1; ++dy) {
    for (int dx = -1; dx <= 1; ++dx) {
      int same = 0, either = 0;
      for (int y = box.y; y < box.y + box.height; ++y) {
        for (int x = box.x; x < box.x + box.width; ++x) {
          if (!fa.at<uchar>(y, x) && !fb.at<uchar>(y + dy, x + dx)) continue;
          ++either;
          const auto ca = pa.at<cv::Vec3b>(y, x), cb = pb.at<cv::Vec3b>(y + dy, x + dx);
          int d = 0;
          for (int ch = 0; ch < 3; ++ch) d = std::max(d, std::abs(ca[ch] - cb[ch]));
          same += d <= kAgree;
        }
      }
      const double sim = either ? static_cast<double>(same) / either : 0;
      if (sim > best.similarity) best = {sim, {dx, dy}};
    }
  }
  return best;
}

// A patch moved by `shift` (its pixel p + shift comes to p), edges repeated. getRectSubPix
// samples dst(i) at src(i + centre - (kPatch - 1) / 2).
cv::Mat Moved(const cv::Mat& patch, cv::Point shift) {
  const cv::Point2f c(kPatch / 2.0f + static_cast<float>(shift.x) - 0.5f,
                      kPatch / 2.0f + static_cast<float>(shift.y) - 0.5f);
  cv::Mat out;
  cv::getRectSubPix(patch, patch.size(), c, out);
  return out;
}

// The observation moved by `shift`.
CursorObservation Shifted(const CursorObservation& o, cv::Point shift) {
  if (shift == cv::Point()) return o;
  return {Moved(o.patch, shift), Moved(o.background, shift), o.where};
}

// Similarity of two shapes: the share of the smaller mask inside the other, grown by a
// pixel (one shape seen only over screens of its fill's colour lacks the fill; a resized
// sprite's edges blend with the screen), at the best shift of up to a pixel, when the two
// medians' grey levels correlate where both masks are (ZNCC >= 0.7: not a white and a black
// arrow) and the smaller mask is at least 40 % of the larger (not a part of a bigger shape).
Match ShapeSimilarity(const Shape& a, const Shape& b) {
  cv::Mat ga, gb, da, db;
  cv::cvtColor(a.median, ga, cv::COLOR_BGR2GRAY);
  cv::cvtColor(b.median, gb, cv::COLOR_BGR2GRAY);
  const cv::Mat k = cv::getStructuringElement(cv::MORPH_RECT, {3, 3});
  cv::dilate(a.mask, da, k);
  cv::dilate(b.mask, db, k);
  Match best;
  for (int dy = -1; dy <= 1; ++dy) {
    for (int dx = -1; dx <= 1; ++dx) {
      int a_in = 0, b_in = 0, na = 0, nb = 0;
      double sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0, n = 0;
      for (int y = 1; y < kBox - 1; ++y) {
        for (int x = 1; x < kBox - 1; ++x) {
          const bool ia = a.mask.at<uchar>(y, x) != 0, ib = b.mask.at<uchar>(y + dy, x + dx) != 0;
          na += ia;
          nb += ib;
          a_in += ia && db.at<uchar>(y + dy, x + dx);
          b_in += ib && da.at<uchar>(y, x);
          if (!ia || !ib) continue;
          const double va = ga.at<uchar>(y, x), vb = gb.at<uchar>(y + dy, x + dx);
          sa += va;
          sb += vb;
          saa += va * va;
          sbb += vb * vb;
          sab += va * vb;
          ++n;
        }
      }
      if (n < 8 || na == 0 || nb == 0) continue;
      const double cov = sab - sa * sb / n, var = (saa - sa * sa / n) * (sbb - sb * sb / n);
      if (var <= 0 || cov / std::sqrt(var) < 0.7) continue;
      if (std::min(na, nb) < 0.4 * std::max(na, nb)) continue;
      const double contain =
          na < nb ? static_cast<double>(a_in) / na : static_cast<double>(b_in) / nb;
      if (contain > best.similarity) best = {contain, {dx, dy}};
    }
  }
  return best;
}

// Whether the pixels of `mask` have one grey level (a spread of at most
// CursorDetector::kMinSpriteSpread): the detector skips such a sprite.
bool Flat(const cv::Mat& bgr, const cv::Mat& mask) {
  cv::Mat grey;
  cv::cvtColor(bgr, grey, cv::COLOR_BGR2GRAY);
  cv::Scalar mean, spread;
  cv::meanStdDev(grey, mean, spread, mask);
  return spread[0] <= CursorDetector::kMinSpriteSpread;
}

double Quantile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size())))];
}

// Where the learned sprites cover a patch when their hotspots lie on the logged point (its
// centre), grown by 2 px (a sprite drawn into a resized video, the members' alignment).
cv::Mat PointerMask(const std::vector<LearnedSprite>& sprites) {
  cv::Mat m = cv::Mat::zeros(kPatch, kPatch, CV_8U);
  for (const auto& sp : sprites) {
    cv::Mat a;
    cv::extractChannel(sp.bgra, a, 3);
    const cv::Point tl(kPatch / 2 - static_cast<int>(std::lround(sp.hotspot.x)),
                       kPatch / 2 - static_cast<int>(std::lround(sp.hotspot.y)));
    const cv::Rect r = cv::Rect(tl, a.size()) & cv::Rect(0, 0, kPatch, kPatch);
    m(r).setTo(255, a(r - tl) > 0);
  }
  cv::dilate(m, m, cv::getStructuringElement(cv::MORPH_RECT, {5, 5}));
  return m;
}

// The patch with the screen without the cursor where `pointer` lies.
cv::Mat PointerTakenOut(const CursorObservation& o, const cv::Mat& pointer) {
  cv::Mat out = o.patch.clone();
  o.background.copyTo(out, pointer);
  return out;
}

// The screen at the observation's moment without the pointer: the patch, with the screen
// without the cursor where the pointer lies (`pointer`: PointerMask). What the pointer's
// presence changed around it stays: a button highlighted under it, a tooltip. That is what a
// frame shows where the pointer is hidden or a model left it out. None where nothing else
// changed (the screen without the cursor, already a look-alike screen of the calibration).
std::optional<cv::Mat> WithoutPointer(const CursorObservation& o, const cv::Mat& pointer) {
  const CursorObservation without{PointerTakenOut(o, pointer), o.background, o.where};
  if (cv::countNonZero(Foreground(without)) == 0) return std::nullopt;
  return without.patch;
}

// The patch with the pixels of `pointer` filled in from around them (OpenCV's Telea
// inpainting): the screen at that moment without the pointer where the screen changed under
// it (a button it highlights, a menu it opened), which the screen without the cursor, another
// moment's, does not show; PointerTakenOut there leaves a hole of the pointer's shape.
cv::Mat PointerInpainted(const CursorObservation& o, const cv::Mat& pointer) {
  cv::Mat out;
  cv::inpaint(o.patch, pointer, out, 3, cv::INPAINT_TELEA);
  return out;
}

// A learned sprite alone, for a library of the patches' size (kPatch square).
CursorSprite AsSprite(const LearnedSprite& s, size_t i) {
  return {
      "learned-" + std::to_string(i), s.bgra, s.hotspot, std::nullopt, std::nullopt, std::nullopt};
}

// A detector of `sprite` alone (a library of `screen` px) on frames of `frame` px, every
// match reported (threshold 0); none where the sprite is too small or flat to search at
// that size (the detector then skips it too).
std::optional<CursorDetector> AloneDetector(const CursorSprite& sprite, cv::Size screen,
                                            cv::Size frame) {
  CursorLibrary one;
  one.dir = "learned";
  one.screen = screen;
  one.sprites = {sprite};
  try {
    return std::optional<CursorDetector>(std::in_place, one, frame, std::vector<double>{1.0}, 0.0);
  } catch (const FormatError&) {
    return std::nullopt;
  }
}

// How the calibration sees observation k's patches: at the frames' size (Identity), or moved
// and shrunk (CalibrateShrunk); and where its logged point lies there.
struct View {
  std::function<cv::Mat(const cv::Mat&, size_t)> image;
  std::function<cv::Point2d(size_t)> centre;
  static View Identity() {
    return {[](const cv::Mat& m, size_t) { return m; },
            [](size_t) { return cv::Point2d(kPatch / 2, kPatch / 2); }};
  }
};

// The patches' size shrunk to `scale`.
cv::Size ShrunkSize(double scale) {
  const int side = static_cast<int>(std::lround(kPatch * scale));
  return {side, side};
}

// The library of the learned sprites (a patch's size) with their thresholds at the patches'
// size, or shrunk (those that have one there).
CursorLibrary LearnedLibrary(const CursorTemplates& t, bool shrunk) {
  CursorLibrary lib;
  lib.dir = "learned";
  lib.screen = {kPatch, kPatch};
  lib.min_confidence = t.min_confidence;
  for (size_t i = 0; i < t.sprites.size(); ++i) {
    const auto& sp = t.sprites[i];
    if (shrunk && !(sp.min_confidence_shrunk > 0)) continue;
    lib.sprites.push_back(AsSprite(sp, i));
    if (shrunk) {
      lib.sprites.back().min_confidence_shrunk = sp.min_confidence_shrunk;
    } else {
      lib.sprites.back().min_confidence = sp.min_confidence;
    }
  }
  return lib;
}

// The patches (kPatch square) moved by whole pixels and shrunk to `scale`: observation k by
// (k mod n, k / n mod n) px, n = ceil(1 / scale). Every patch has its logged point at its
// centre, so shrunk alike they would all show the pointer at one sub-pixel phase of the
// shrunk grid, where the frames of a 256 px video show it at any (at 0.4, a pixel moves the
// grid by 0.4 of a shrunk pixel; the thresholds moved by up to 0.04 with the phase).
View ShrunkView(double scale) {
  const cv::Size small = ShrunkSize(scale);
  const int n = static_cast<int>(std::ceil(1 / scale));
  const auto shift = [n](size_t k) {
    return cv::Point(static_cast<int>(k) % n, static_cast<int>(k) / n % n);
  };
  return {[=](const cv::Mat& m, size_t k) {
            cv::Mat out;
            cv::resize(Moved(m, -shift(k)), out, small, 0, 0, cv::INTER_AREA);
            return out;
          },
          [=](size_t k) {
            const cv::Point d = shift(k);
            return cv::Point2d((kPatch / 2 + d.x) * scale, (kPatch / 2 + d.y) * scale);
          }};
}

// A screen without the cursor for the calibration, counted `weight` times (an observation's
// screen without the pointer that equals its screen without the cursor is that screen again:
// every observation weighs the same, and each screen is scored once); `centre`: the logged
// point there.
struct LookAlikeScreen {
  cv::Mat bgr;
  int weight = 1;
  cv::Point2d centre;
};

// Each observation's screens without the cursor, and its patch without the pointer
// (WithoutPointer; where `inpainted` is given, PointerInpainted with that mask instead), as
// recorded and degraded, as `view` sees them.
std::vector<LookAlikeScreen> LookAlikeScreens(const std::vector<CursorObservation>& obs,
                                              const cv::Mat& pointer, const View& view,
                                              const cv::Mat& inpainted = cv::Mat()) {
  std::vector<LookAlikeScreen> out;
  for (size_t k = 0; k < obs.size(); ++k) {
    const auto& o = obs[k];
    auto without = WithoutPointer(o, pointer);
    if (without && !inpainted.empty()) without = PointerInpainted(o, inpainted);
    const int weight = without ? 1 : 2;
    const cv::Point2d c = view.centre(k);
    out.push_back({view.image(o.background, k), weight, c});
    out.push_back({view.image(Degraded(o.background), k), weight, c});
    if (without) {
      out.push_back({view.image(*without, k), 1, c});
      out.push_back({view.image(Degraded(*without), k), 1, c});
    }
  }
  return out;
}

// A sprite's threshold near the logged point: the 99th percentile of its best score within
// `reach` px of each screen's logged point on `screens` (LookAlikeScreens, `frame` px: the
// patches, or the patches shrunk), plus 0.02, within [0.6, 1] (1: the detector does not
// search it at that size); none where the sprite cannot be searched at that size.
std::optional<double> NearThreshold(const CursorSprite& sprite,
                                    const std::vector<LookAlikeScreen>& screens, cv::Size frame,
                                    double reach) {
  const auto det = AloneDetector(sprite, {kPatch, kPatch}, frame);
  if (!det) return std::nullopt;
  std::vector<double> neg;
  for (const auto& b : screens) {
    const auto n = det->Near(b.bgr, b.centre, reach);
    neg.insert(neg.end(), static_cast<size_t>(b.weight), n ? n->confidence : 0);
  }
  return std::clamp(Quantile(neg, 0.99) + 0.02, 0.6, 1.0);
}

// The shares of the observations' patches and of their screens without the cursor, as
// `view` sees them, where `lib` finds a cursor within `radius` px of the logged point, each
// sprite at its own threshold.
std::pair<double, double> FoundShares(const CursorLibrary& lib, cv::Size frame,
                                      const std::vector<CursorObservation>& obs, const View& view,
                                      double radius) {
  const CursorDetector det(lib, frame, {1.0}, std::nullopt);
  const auto share = [&](cv::Mat CursorObservation::*which) {
    int found = 0;
    for (size_t k = 0; k < obs.size(); ++k) {
      const auto d = det.Near(view.image(obs[k].*which, k), view.centre(k), radius);
      found += d && d->confidence >= det.min_confidence();
    }
    return obs.empty() ? 0.0 : static_cast<double>(found) / static_cast<double>(obs.size());
  };
  return {share(&CursorObservation::patch), share(&CursorObservation::background)};
}

}  // namespace

CursorTemplates LearnCursorTemplates(const std::vector<CursorObservation>& obs,
                                     const std::string& what) {
  CursorTemplates out;
  out.observations = static_cast<int>(obs.size());
  for (const auto& o : obs) {
    NCB_CHECK(o.patch.size() == cv::Size(kPatch, kPatch) && o.patch.type() == CV_8UC3 &&
              o.background.size() == o.patch.size() && o.background.type() == CV_8UC3);
  }
  // Shapes, commonest first: the observation alike (Similarity >= kAlike) to the most others
  // left, and those others (aligned on it), are one shape's members.
  std::vector<cv::Mat> fg;
  for (const auto& o : obs) fg.push_back(WithoutWidgetEdges(Foreground(o)));
  const size_t n = obs.size();
  std::vector<std::vector<Match>> sim(n, std::vector<Match>(n));
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = i; j < n; ++j) {
      sim[i][j] = Similarity(obs[i].patch, fg[i], obs[j].patch, fg[j]);
      sim[j][i] = {sim[i][j].similarity, -sim[i][j].shift};
    }
  }
  std::vector<CursorObservation> aligned(obs.begin(), obs.end());
  // An observation where more than a quarter of the box differs from the screen without the
  // cursor shows the screen changing under the pointer (a menu it opened, a window it
  // raised): no shape is learned from it.
  std::vector<size_t> pool;
  for (size_t i = 0; i < n; ++i) {
    if (ScreenChanged(fg[i]))
      ++out.changed;
    else
      pool.push_back(i);
  }
  const size_t min_members = std::max<size_t>(4, n / 50);
  std::vector<std::vector<size_t>> groups;
  while (pool.size() >= min_members) {
    size_t seed = pool[0], most = 0;
    for (size_t i : pool) {
      const auto k = static_cast<size_t>(std::count_if(
          pool.begin(), pool.end(), [&](size_t j) { return sim[i][j].similarity >= kAlike; }));
      if (k > most) {
        most = k;
        seed = i;
      }
    }
    if (most < min_members) break;
    std::vector<size_t> members, rest;
    for (size_t j : pool) {
      if (sim[seed][j].similarity < kAlike) {
        rest.push_back(j);
        continue;
      }
      aligned[j] = Shifted(obs[j], sim[seed][j].shift);
      members.push_back(j);
    }
    pool = std::move(rest);
    groups.push_back(std::move(members));
  }
  // One shape seen over screens that differ a lot (a white arrow over white and over black),
  // or drawn at other sub-pixel places of a resized video, can fall into two groups: a group
  // whose shape is alike a larger one's joins it (its members count there; the larger
  // group's sprite is kept).
  std::vector<Shape> shapes;
  for (const auto& g : groups) shapes.push_back(Estimate(aligned, g, 0.6));
  for (bool merged = true; merged;) {
    merged = false;
    for (size_t i = 0; i < shapes.size() && !merged; ++i) {
      for (size_t j = i + 1; j < shapes.size() && !merged; ++j) {
        const Match m = ShapeSimilarity(shapes[i], shapes[j]);
        if (m.similarity < kContained) continue;
        groups[i].insert(groups[i].end(), groups[j].begin(), groups[j].end());
        groups.erase(groups.begin() + static_cast<long>(j));
        shapes.erase(shapes.begin() + static_cast<long>(j));
        merged = true;
      }
    }
  }
  for (size_t g = 0; g < groups.size(); ++g) {
    const Shape& shape = shapes[g];
    // Alike screens, no cursor on them; or one grey level (a black outline seen only over
    // its fill's colour), which the detector's correlation cannot tell from a flat screen.
    if (cv::countNonZero(shape.mask) < 12 || Flat(shape.median, shape.mask)) {
      pool.insert(pool.end(), groups[g].begin(), groups[g].end());
      continue;
    }
    // The sprite: the mask's bounding box and a pixel around it.
    const cv::Rect box = (cv::boundingRect(shape.mask) + cv::Size(2, 2) - cv::Point(1, 1)) &
                         cv::Rect(0, 0, kBox, kBox);
    LearnedSprite sp;
    cv::Mat bgra;
    cv::cvtColor(shape.median(box), bgra, cv::COLOR_BGR2BGRA);
    cv::Mat alpha = shape.mask(box).clone();
    cv::insertChannel(alpha, bgra, 3);
    sp.bgra = bgra;
    sp.hotspot = {static_cast<double>(kBefore - box.x), static_cast<double>(kBefore - box.y)};
    sp.frames = static_cast<int>(groups[g].size());
    sp.consistency = shape.consistency;
    sp.pixels = cv::countNonZero(shape.mask);
    // Its interior too, as a sprite of its own (the mask less its edge): the edge of a
    // translucent or resized sprite takes the colour of the screens it was learned over,
    // the interior keeps its look over any screen.
    cv::Mat inner;
    cv::erode(shape.mask, inner, cv::getStructuringElement(cv::MORPH_RECT, {3, 3}), {-1, -1}, 1,
              cv::BORDER_CONSTANT, 0);
    if (cv::countNonZero(inner) >= kMinInterior && !Flat(shape.median, inner)) {
      LearnedSprite in = sp;
      in.bgra = cv::Mat();  // its own pixels, not the shared ones of sp
      cv::cvtColor(shape.median(box), in.bgra, cv::COLOR_BGR2BGRA);
      cv::Mat a = inner(box).clone();
      cv::insertChannel(a, in.bgra, 3);
      in.pixels = cv::countNonZero(inner);
      in.interior = true;
      out.sprites.push_back(std::move(sp));
      out.sprites.push_back(std::move(in));
      continue;
    }
    out.sprites.push_back(std::move(sp));
  }
  std::stable_sort(
      out.sprites.begin(), out.sprites.end(),
      [](const LearnedSprite& a, const LearnedSprite& b) { return a.frames > b.frames; });
  out.unassigned = static_cast<int>(pool.size());
  if (out.sprites.empty()) {
    throw FormatError(what + ": no cursor found at the logged positions of " +
                      std::to_string(obs.size()) +
                      " frames (nothing stays the same there while the screen changes); "
                      "expected the logs in the video's pixels (a manifest's action_scale for "
                      "logs of another screen size) and a visible pointer");
  }
  // Calibration on the observations themselves, sprite by sprite: its threshold is the 99th
  // percentile of its best score within kReach px of the logged point on the screens without
  // the cursor and on the patches without the pointer (a highlight it caused stays), as
  // recorded and blurred + JPEG-compressed, plus 0.02, within [0.6, 1] (a
  // sprite that looks like the screen's own furniture is held to a higher one; at 1 it is not
  // searched).
  const View view = View::Identity();
  const auto screens = LookAlikeScreens(obs, PointerMask(out.sprites), view);
  out.min_confidence = 1;
  for (size_t i = 0; i < out.sprites.size(); ++i) {
    const auto threshold =
        NearThreshold(AsSprite(out.sprites[i], i), screens, {kPatch, kPatch}, kReach);
    NCB_CHECK(threshold);  // a shape that is not Flat() is searched at its own size
    out.sprites[i].min_confidence = *threshold;
    out.min_confidence = std::min(out.min_confidence, *threshold);
  }
  std::tie(out.ceiling, out.false_positive_rate) =
      FoundShares(LearnedLibrary(out, false), {kPatch, kPatch}, obs, view, kRadius);
  return out;
}

void CalibrateShrunk(CursorTemplates* t, const std::vector<CursorObservation>& obs, double scale) {
  if (!(scale < CursorDetector::kShrunk) || t->sprites.empty()) return;
  // The patches, the screens without the cursor and the patches without the pointer (as
  // recorded, and degraded), each moved by whole pixels before it is shrunk (ShrunkView).
  const View view = ShrunkView(scale);
  const auto screens = LookAlikeScreens(obs, PointerMask(t->sprites), view);
  for (size_t i = 0; i < t->sprites.size(); ++i) {
    auto& sp = t->sprites[i];
    // None: too small to survive the shrinking; the detector skips it there.
    sp.min_confidence_shrunk =
        NearThreshold(AsSprite(sp, i), screens, ShrunkSize(scale), kReach * scale).value_or(0);
  }
  const CursorLibrary lib = LearnedLibrary(*t, true);
  if (lib.sprites.empty()) return;
  t->shrunk_scale = scale;
  std::tie(t->ceiling_shrunk, t->false_positive_rate_shrunk) =
      FoundShares(lib, ShrunkSize(scale), obs, view, kRadius * scale);
}

void LearnCursorNet(CursorTemplates* t, const std::vector<CursorObservation>& obs, double scale,
                    const CursorNetOptions& options, const std::vector<cv::Mat>& cursorless) {
  if (t->sprites.empty() || obs.empty()) return;
  // The pointer for the training's negatives grown by 4 px, not 2: with 2, remnants of the
  // pointer's edge became negatives and the positives scored about 0.5.
  const cv::Mat pointer = PointerMask(t->sprites);
  cv::Mat grown;
  cv::dilate(pointer, grown, cv::getStructuringElement(cv::MORPH_RECT, {5, 5}));
  // Observations in blocks of 4, every other block kept out of the training's negatives for
  // the calibration: scored on the screens it was trained on, the net gave its threshold from
  // look-alikes it had learned by heart (0.35 for whiteglass), and the calculator's buttons
  // highlighted under the hidden pointer reported a cursor at 256 px. It learns no pointer
  // where the screen changed under it (a menu it opened, as the templates): the open menu's
  // corner with the pointer on it, blurred, was learned as the pointer and reported on the
  // same corner with the pointer hidden.
  const auto calibration = [](size_t k) { return k / 4 % 2 == 1; };
  // Positives: the patches. Negatives: the screens without the cursor, then the patches
  // without the pointer (every one, even where nothing else changed): inpainted where the
  // screen changed around the pointer (a button it highlights: with the other moment's screen
  // pasted in, a hole of the pointer's shape; the two nets of seed 0 with the hole reported
  // the calculator's highlighted buttons on 1.5 % of whiteglass's hidden-pointer frames at
  // 256 px, inpainted 0 %), and, from every block, where the screen changed under it (what the
  // pointer covered on an opened menu; no positive there).
  std::vector<cv::Mat> positives, negatives, without;
  const CursorObservation* first = nullptr;  // of those it learns from
  for (size_t k = 0; k < obs.size(); ++k) {
    if (ScreenChanged(WithoutWidgetEdges(Foreground(obs[k])))) {
      without.push_back(PointerInpainted(obs[k], grown));
      continue;
    }
    if (!first) first = &obs[k];
    positives.push_back(obs[k].patch);
    if (calibration(k)) continue;
    negatives.push_back(obs[k].background);
    without.push_back(WithoutPointer(obs[k], pointer) ? PointerInpainted(obs[k], grown)
                                                      : PointerTakenOut(obs[k], grown));
  }
  if (positives.empty()) return;
  negatives.insert(negatives.end(), without.begin(), without.end());
  if (negatives.empty()) negatives.push_back(first->background);  // all kept for calibration
  // As many again from anywhere on the whole frames without the cursor: the screens'
  // furniture where the pointer never went (the pointer never left whiteglass's open menu, and
  // two single nets of four took its top-left corner for the arrow at 256 px).
  if (!cursorless.empty()) {
    std::mt19937_64 rng(options.seed);
    const auto pick = [&](int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng); };
    for (size_t i = 0, n = negatives.size(); i < n; ++i) {
      const cv::Mat& f = cursorless[static_cast<size_t>(pick(static_cast<int>(cursorless.size())))];
      cv::Mat p;
      cv::getRectSubPix(f, {kPatch, kPatch},
                        {static_cast<float>(pick(f.cols)), static_cast<float>(pick(f.rows))}, p);
      negatives.push_back(p);
    }
  }
  t->net = std::make_shared<CursorNet>(CursorNet::Train(positives, negatives, options));
  std::vector<CursorObservation> held;
  std::vector<size_t> held_k;  // its observations' places in obs (the views move by them)
  for (size_t k = 0; k < obs.size(); ++k) {
    if (!calibration(k)) continue;
    held.push_back(obs[k]);
    held_k.push_back(k);
  }
  const bool shrunk = scale < CursorDetector::kShrunk;
  // At the patches' size (factor 1), then shrunk: the threshold, then the net's figures alone
  // and with the templates (the detector asks the net where the templates find nothing).
  for (const bool small : {false, true}) {
    if (small && !shrunk) break;
    const double factor = small ? scale : 1.0;
    const View view = small ? ShrunkView(scale) : View::Identity();
    const View held_view{[&](const cv::Mat& m, size_t i) { return view.image(m, held_k[i]); },
                         [&](size_t i) { return view.centre(held_k[i]); }};
    std::vector<double> neg;
    for (const auto& b : LookAlikeScreens(held, pointer, held_view, grown)) {
      const double score = t->net->Near(b.bgr, b.centre, kReach * factor, factor).score;
      neg.insert(neg.end(), static_cast<size_t>(b.weight), score);
    }
    double threshold = std::clamp(Quantile(neg, 0.99) + 0.02, 0.05, 1.0);
    if (small) threshold = std::max(threshold, t->net_min_confidence);
    (small ? t->net_min_confidence_shrunk : t->net_min_confidence) = threshold;
    const auto share = [&](cv::Mat CursorObservation::*which) {
      int found = 0;
      for (size_t k = 0; k < obs.size(); ++k) {
        const auto m =
            t->net->Near(view.image(obs[k].*which, k), view.centre(k), kRadius * factor, factor);
        found += m.score >= threshold;
      }
      return static_cast<double>(found) / static_cast<double>(obs.size());
    };
    (small ? t->net_ceiling_shrunk : t->net_ceiling) = share(&CursorObservation::patch);
    (small ? t->net_false_positive_rate_shrunk : t->net_false_positive_rate) =
        share(&CursorObservation::background);
    CursorLibrary lib = LearnedLibrary(*t, small);
    auto [ceiling, false_positives] =
        small ? std::tie(t->both_ceiling_shrunk, t->both_false_positive_rate_shrunk)
              : std::tie(t->both_ceiling, t->both_false_positive_rate);
    if (lib.sprites.empty()) {  // the templates do not search at this size
      ceiling = small ? t->net_ceiling_shrunk : t->net_ceiling;
      false_positives = small ? t->net_false_positive_rate_shrunk : t->net_false_positive_rate;
      continue;
    }
    lib.net = t->net;
    lib.net_min_confidence = t->net_min_confidence;
    lib.net_min_confidence_shrunk = t->net_min_confidence_shrunk;
    std::tie(ceiling, false_positives) = FoundShares(
        lib, small ? ShrunkSize(scale) : cv::Size(kPatch, kPatch), obs, view, kRadius * factor);
  }
}

void CalibrateAnywhere(CursorTemplates* t, const std::vector<cv::Mat>& cursorless) {
  if (cursorless.empty()) return;
  const cv::Size size = cursorless.front().size();
  // As recorded and degraded, at the frames' size and at the GUIWorld decode's 256 px wide
  // (a shrunk sprite has more look-alikes); the higher floor of the two holds at every size.
  std::vector<cv::Size> sizes = {size};
  if (size.width > 384)
    sizes.emplace_back(kDecodeWidth, std::max(1, size.height * kDecodeWidth / size.width));
  std::vector<std::vector<cv::Mat>> frames(sizes.size());
  for (const auto& f : cursorless) {
    for (size_t z = 0; z < sizes.size(); ++z) {
      cv::Mat g = f;
      if (sizes[z] != size) cv::resize(f, g, sizes[z], 0, 0, cv::INTER_AREA);
      frames[z].push_back(g);
      frames[z].push_back(Degraded(g));
    }
  }
  for (size_t i = 0; i < t->sprites.size(); ++i) {
    auto& sp = t->sprites[i];
    double floor = 0;
    for (size_t z = 0; z < sizes.size(); ++z) {
      const auto det = AloneDetector(AsSprite(sp, i), size, sizes[z]);
      if (!det) continue;  // too small or flat at this size: the detector skips it there
      std::vector<double> best;
      for (const auto& f : frames[z]) {
        const auto b = det->Best(f);
        best.push_back(b ? b->score : 0);
      }
      floor = std::max(floor, Quantile(best, 0.99) + 0.02);
    }
    sp.min_score_anywhere = floor > CursorDetector::kFrameFloor ? std::min(floor, 2.0) : 0;
  }
}

void WriteCursorTemplates(const CursorTemplates& t, cv::Size screen,
                          const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir);
  nlohmann::json j;
  j["screen"] = {screen.width, screen.height};
  j["min_confidence"] = t.min_confidence;
  j["learned"] = {
      {"observations", t.observations},
      {"unassigned", t.unassigned},
      {"ceiling", t.ceiling},
      {"false_positive_rate", t.false_positive_rate},
      {"method", "ncbench datasets cursor-templates (metrics/cursor/cursor_templates.h)"}};
  if (t.shrunk_scale > 0) {
    j["learned"]["shrunk"] = {{"scale", t.shrunk_scale},
                              {"ceiling", t.ceiling_shrunk},
                              {"false_positive_rate", t.false_positive_rate_shrunk}};
  }
  j["sprites"] = nlohmann::json::array();
  for (size_t i = 0; i < t.sprites.size(); ++i) {
    const auto& s = t.sprites[i];
    const std::string file = "cursor-" + std::to_string(i) + ".png";
    if (!cv::imwrite((dir / file).string(), s.bgra))
      throw Error((dir / file).string() + ": cannot write");
    j["sprites"].push_back({{"file", file},
                            {"hotspot", {s.hotspot.x, s.hotspot.y}},
                            {"size", {s.bgra.cols, s.bgra.rows}},
                            {"frames", s.frames},
                            {"min_confidence", s.min_confidence},
                            {"pixels", s.pixels},
                            {"consistency", s.consistency}});
    if (s.interior) j["sprites"].back()["interior_of"] = "cursor-" + std::to_string(i - 1) + ".png";
    if (s.min_confidence_shrunk > 0)
      j["sprites"].back()["min_confidence_shrunk"] = s.min_confidence_shrunk;
    if (s.min_score_anywhere > 0) j["sprites"].back()["min_score_anywhere"] = s.min_score_anywhere;
  }
  if (!t.sprites.empty()) j["default"] = j["sprites"][0]["file"];
  if (t.net) {
    const std::string file = "cursor-net.pt";
    t.net->Save(dir / file);
    auto& n = j["net"];
    n = {{"file", file},
         {"min_confidence", t.net_min_confidence},
         {"architecture", CursorNet::Architecture(t.net->members())},
         {"members", t.net->members()},
         {"ceiling", t.net_ceiling},
         {"false_positive_rate", t.net_false_positive_rate},
         {"with_templates",
          {{"ceiling", t.both_ceiling}, {"false_positive_rate", t.both_false_positive_rate}}}};
    if (t.shrunk_scale > 0) {
      n["min_confidence_shrunk"] = t.net_min_confidence_shrunk;
      n["shrunk"] = {{"scale", t.shrunk_scale},
                     {"ceiling", t.net_ceiling_shrunk},
                     {"false_positive_rate", t.net_false_positive_rate_shrunk}};
      n["with_templates"]["shrunk"] = {{"ceiling", t.both_ceiling_shrunk},
                                       {"false_positive_rate", t.both_false_positive_rate_shrunk}};
    }
  }
  std::ofstream(dir / "cursors.json") << j.dump(1) << "\n";
}

}  // namespace ncb
