#include "metrics/cursor/cursor_geometry.h"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>

#include "core/errors.h"

namespace ncb {
namespace {

constexpr int kChange = 24;     // grey levels
constexpr double kBusy = 0.03;  // share of the picture
constexpr double kMinScale = 0.05, kMaxScale = 4, kStep = 0.0025;
constexpr int kWindow = 64;           // footprint search, video px either side
constexpr double kShapeShare = 0.25;  // a shape: corners in a quarter as many frames as the
constexpr int kShapeFrames = 10;      // commonest, and in 10 frames at least

// One frame's votes along an axis: (column or row, share of the frame's changes there).
using Votes = std::vector<std::pair<int, double>>;

Votes AxisVotes(const PointerFrame& f, bool y, int extent) {
  std::vector<int> count(static_cast<size_t>(extent), 0);
  for (const auto& p : f.changed) ++count[static_cast<size_t>(y ? p.y : p.x)];
  Votes v;
  const double total = static_cast<double>(f.changed.size());
  for (int u = 0; u < extent; ++u)
    if (count[static_cast<size_t>(u)] > 0) v.emplace_back(u, count[static_cast<size_t>(u)] / total);
  return v;
}

struct Coarse {
  double scale = 0, at = 0, pile = 0;  // at: the pile's place relative to scale x logged
};

// Step 2 of the header: the scale whose votes pile up highest.
Coarse CoarseAxis(const std::vector<PointerFrame>& frames, bool y, int extent) {
  std::vector<Votes> votes;
  std::vector<double> pos;
  for (const auto& f : frames) {
    votes.push_back(AxisVotes(f, y, extent));
    pos.push_back(y ? f.logged.y : f.logged.x);
  }
  const auto [pmin, pmax] = std::minmax_element(pos.begin(), pos.end());
  Coarse best;
  std::vector<double> hist;
  for (double s = kMinScale; s <= kMaxScale; s *= 1 + kStep) {
    const int lo = static_cast<int>(std::floor(-s * *pmax)) - 2;
    const int hi = static_cast<int>(std::ceil(extent - s * *pmin)) + 2;
    hist.assign(static_cast<size_t>(hi - lo), 0.0);
    for (size_t i = 0; i < votes.size(); ++i) {
      const double sp = s * pos[i];
      for (const auto& [u, w] : votes[i]) hist[static_cast<size_t>(std::lround(u - sp) - lo)] += w;
    }
    for (size_t b = 1; b + 1 < hist.size(); ++b) {
      const double pile = hist[b - 1] + hist[b] + hist[b + 1];
      if (pile > best.pile) {
        best.pile = pile;
        best.scale = s;
        best.at = lo + static_cast<double>(b) + (hist[b + 1] - hist[b - 1]) / std::max(pile, 1e-12);
      }
    }
  }
  return best;
}

struct Line {
  double a = 1, b = 0;  // detected = a * logged + b
};

// Least squares refitted without the far-off points (steps 4 and 6 of the header).
Line RobustLine(const std::vector<double>& p, const std::vector<double>& d, std::vector<bool>* in) {
  Line l;
  in->assign(p.size(), true);
  for (int round = 0; round < 4; ++round) {
    double n = 0, sp = 0, sd = 0, spp = 0, spd = 0;
    for (size_t i = 0; i < p.size(); ++i) {
      if (!(*in)[i]) continue;
      n += 1;
      sp += p[i];
      sd += d[i];
      spp += p[i] * p[i];
      spd += p[i] * d[i];
    }
    const double var = spp - sp * sp / n;
    if (n < 2 || var <= 0) break;
    l.a = (spd - sp * sd / n) / var;
    l.b = (sd - l.a * sp) / n;
    if (round == 3) break;
    std::vector<double> r;
    for (size_t i = 0; i < p.size(); ++i) r.push_back(std::abs(d[i] - (l.a * p[i] + l.b)));
    std::vector<double> sorted = r;
    std::nth_element(sorted.begin(), sorted.begin() + static_cast<long>(sorted.size() / 2),
                     sorted.end());
    const double cut = std::max(1.5, 3 * 1.4826 * sorted[sorted.size() / 2]);
    for (size_t i = 0; i < p.size(); ++i) (*in)[i] = r[i] <= cut;
  }
  return l;
}

double Quantile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[static_cast<size_t>(
      std::min<double>(q * static_cast<double>(v.size()), static_cast<double>(v.size() - 1)))];
}

// Step 5 of the header: in each frame, the top-left corner of the change nearest to the first
// fit's point, relative to it (nullopt when nothing changed within `reach`).
std::vector<std::optional<cv::Point>> NearestCorners(const std::vector<PointerFrame>& frames,
                                                     Line lx, Line ly, int reach) {
  const int side = 2 * reach + 1;
  std::vector<std::optional<cv::Point>> corners;
  cv::Mat local, labels, stats, centroids;
  for (const auto& f : frames) {
    corners.emplace_back();
    const cv::Point h(static_cast<int>(std::lround(lx.a * f.logged.x + lx.b)),
                      static_cast<int>(std::lround(ly.a * f.logged.y + ly.b)));
    local = cv::Mat::zeros(side, side, CV_8U);
    for (const auto& p : f.changed) {
      const cv::Point q = p - h + cv::Point(reach, reach);
      if (q.x >= 0 && q.y >= 0 && q.x < side && q.y < side) local.at<uchar>(q) = 255;
    }
    if (cv::connectedComponentsWithStats(local, labels, stats, centroids, 8) < 2) continue;
    int nearest = 0;
    double dist = 1e9;
    for (int y = 0; y < side; ++y) {
      for (int x = 0; x < side; ++x) {
        const int l = labels.at<int>(y, x);
        const double d = std::hypot(x - reach, y - reach);
        if (l > 0 && d < dist) {
          dist = d;
          nearest = l;
        }
      }
    }
    corners.back() = cv::Point(stats.at<int>(nearest, cv::CC_STAT_LEFT) - reach,
                               stats.at<int>(nearest, cv::CC_STAT_TOP) - reach);
  }
  return corners;
}

// The commonest corners are the tops of the commonest shapes; of those (in a quarter as many
// frames as the commonest, and 10, or more), the lowest, then rightmost: an arrow's tip or a hand's
// finger is its hotspot, an I-beam's or a crosshair's top lies above its centre.
cv::Point HotspotShape(const std::vector<std::optional<cv::Point>>& corners, int reach) {
  const int side = 2 * reach + 1;
  cv::Mat votes(side, side, CV_64F, cv::Scalar(0)), smooth;
  for (const auto& c : corners)
    if (c) votes.at<double>(c->y + reach, c->x + reach) += 1;
  cv::boxFilter(votes, smooth, -1, {3, 3}, {-1, -1}, false, cv::BORDER_CONSTANT);
  double most = 0;
  cv::minMaxLoc(smooth, nullptr, &most);
  cv::Point mode(-1, -1);
  for (int y = 1; y + 1 < side; ++y) {
    for (int x = 1; x + 1 < side; ++x) {
      const double v = smooth.at<double>(y, x);
      if (v < std::max(kShapeShare * most, double{kShapeFrames})) continue;
      bool peak = true;
      for (int j = -1; j <= 1 && peak; ++j)
        for (int i = -1; i <= 1 && peak; ++i)
          if ((i || j) && smooth.at<double>(y + j, x + i) > v) peak = false;
      if (peak && (y > mode.y || (y == mode.y && x > mode.x))) mode = {x, y};
    }
  }
  return mode.x < 0 ? cv::Point(0, 0) : mode - cv::Point(reach, reach);
}

}  // namespace

double PartnerDistance(const std::vector<cv::Point2d>& logged) {
  if (logged.empty()) return 48;
  double x0 = logged[0].x, x1 = x0, y0 = logged[0].y, y1 = y0;
  for (const auto& p : logged) {
    x0 = std::min(x0, p.x);
    x1 = std::max(x1, p.x);
    y0 = std::min(y0, p.y);
    y1 = std::max(y1, p.y);
  }
  return std::max(48.0, 0.06 * std::max(x1 - x0, y1 - y0));
}

std::vector<PointerFrame> PointerChanges(const std::vector<cv::Mat>& grey,
                                         const std::vector<std::optional<cv::Point2d>>& logged,
                                         double far, const std::string& id, int* too_busy) {
  const int n = static_cast<int>(std::min(grey.size(), logged.size()));
  const auto is_far = [&](int k, int j) {
    return logged[static_cast<size_t>(j)] &&
           cv::norm(*logged[static_cast<size_t>(j)] - *logged[static_cast<size_t>(k)]) >= far;
  };
  std::vector<PointerFrame> out;
  cv::Mat d, both;
  for (int k = 1; k < n; ++k) {
    if (!logged[static_cast<size_t>(k)]) continue;
    int before = -1, after = -1;
    for (int j = k - 1; j >= 0 && before < 0; --j)
      if (is_far(k, j)) before = j;
    for (int j = k + 1; j < n && after < 0; ++j)
      if (is_far(k, j)) after = j;
    if (before < 0 && after < 0) continue;
    both.release();
    for (const int j : {before, after}) {
      if (j < 0) continue;
      cv::absdiff(grey[static_cast<size_t>(k)], grey[static_cast<size_t>(j)], d);
      cv::Mat changed = d > kChange;
      both = both.empty() ? changed : (both & changed);
    }
    const int count = cv::countNonZero(both);
    if (count == 0) continue;
    if (count > kBusy * static_cast<double>(both.total())) {
      ++*too_busy;
      continue;
    }
    PointerFrame f;
    f.logged = *logged[static_cast<size_t>(k)];
    cv::findNonZero(both, f.changed);
    f.where = id + ":" + std::to_string(k);
    out.push_back(std::move(f));
  }
  return out;
}

PointerGeometry FitPointerGeometry(const std::vector<PointerFrame>& frames, cv::Size video,
                                   const std::string& what) {
  const auto refuse = [&](const std::string& why) {
    throw FormatError(what + ": " + why +
                      "; expected a pointer in the frames that moves with the logged positions "
                      "(are these the clips' logs? is the pointer drawn into the video?)");
  };
  if (frames.size() < 10)
    refuse(std::to_string(frames.size()) + " frames with a pointer-sized change");
  const Coarse cx = CoarseAxis(frames, false, video.width);
  const Coarse cy = CoarseAxis(frames, true, video.height);

  // Step 3: the footprint, relative to (cx.at, cy.at) + scale x logged.
  const int side = 2 * kWindow + 1;
  cv::Mat share(side, side, CV_64F, cv::Scalar(0));
  for (const auto& f : frames) {
    const double ox = cx.scale * f.logged.x + cx.at, oy = cy.scale * f.logged.y + cy.at;
    for (const auto& p : f.changed) {
      const long dx = std::lround(p.x - ox) + kWindow, dy = std::lround(p.y - oy) + kWindow;
      if (dx >= 0 && dy >= 0 && dx < side && dy < side) share.at<double>(int(dy), int(dx)) += 1;
    }
  }
  share /= static_cast<double>(frames.size());
  double most = 0;
  cv::Point peak;
  cv::minMaxLoc(share, nullptr, &most, nullptr, &peak);
  cv::Mat on = share >= std::max(0.5 * most, 1e-9), labels, stats, centroids;
  cv::connectedComponentsWithStats(on, labels, stats, centroids, 8);
  const int label = labels.at<int>(peak);
  const cv::Rect box(stats.at<int>(label, cv::CC_STAT_LEFT), stats.at<int>(label, cv::CC_STAT_TOP),
                     stats.at<int>(label, cv::CC_STAT_WIDTH),
                     stats.at<int>(label, cv::CC_STAT_HEIGHT));
  // The template: the share itself over the place changed in at least a fifth as many frames.
  cv::Mat wide = share >= std::max(0.2 * most, 1e-9), wl, ws, wc;
  cv::connectedComponentsWithStats(wide, wl, ws, wc, 8);
  const int wlab = wl.at<int>(peak);
  const cv::Rect wbox(ws.at<int>(wlab, cv::CC_STAT_LEFT), ws.at<int>(wlab, cv::CC_STAT_TOP),
                      ws.at<int>(wlab, cv::CC_STAT_WIDTH), ws.at<int>(wlab, cv::CC_STAT_HEIGHT));
  cv::Mat foot;
  share(wbox).convertTo(foot, CV_32F);
  foot.setTo(0, wl(wbox) != wlab);
  const double foot_px = cv::sum(foot)[0];
  const cv::Point corner = box.tl() - wbox.tl();  // the hotspot in the template

  // Step 4: each frame's detection of the template (its core's top-left corner), and a first fit.
  const int reach = std::max({6, box.width, box.height});
  std::vector<double> px, py, dx, dy;
  cv::Mat local, score;
  for (const auto& f : frames) {
    const double hx = cx.scale * f.logged.x + cx.at + wbox.x - kWindow;
    const double hy = cy.scale * f.logged.y + cy.at + wbox.y - kWindow;
    const int x0 = static_cast<int>(std::lround(hx)) - reach;
    const int y0 = static_cast<int>(std::lround(hy)) - reach;
    local = cv::Mat::zeros(wbox.height + 2 * reach, wbox.width + 2 * reach, CV_32F);
    for (const auto& p : f.changed) {
      const int lx = p.x - x0, ly = p.y - y0;
      if (lx >= 0 && ly >= 0 && lx < local.cols && ly < local.rows) local.at<float>(ly, lx) = 1;
    }
    cv::matchTemplate(local, foot, score, cv::TM_CCORR);
    double best = -1;
    cv::Point at;
    for (int sy = 0; sy < score.rows; ++sy) {
      for (int sx = 0; sx < score.cols; ++sx) {
        const double v = score.at<float>(sy, sx);
        const auto dist = [&](cv::Point q) { return std::hypot(q.x - reach, q.y - reach); };
        if (v > best + 1e-6 || (std::abs(v - best) <= 1e-6 && dist({sx, sy}) < dist(at))) {
          best = v;
          at = {sx, sy};
        }
      }
    }
    if (best < 0.5 * foot_px) continue;
    px.push_back(f.logged.x);
    py.push_back(f.logged.y);
    dx.push_back(x0 + at.x + corner.x);
    dy.push_back(y0 + at.y + corner.y);
  }
  PointerGeometry g;
  g.frames = static_cast<int>(frames.size());
  g.detected = static_cast<int>(px.size());
  g.footprint = box.size();
  if (g.detected < 10 || 3 * g.detected < g.frames) {
    refuse("the pointer's footprint (" + std::to_string(box.width) + "x" +
           std::to_string(box.height) + " px) found in " + std::to_string(g.detected) + " of " +
           std::to_string(g.frames) + " frames");
  }
  std::vector<bool> in_x, in_y;
  const Line fx = RobustLine(px, dx, &in_x), fy = RobustLine(py, dy, &in_y);
  if (fx.a <= 0 || fy.a <= 0) refuse("the fitted scale is not positive");

  // Steps 5 and 6: the frames showing the hotspot's shape, and the fit of their corners.
  const int near = reach + std::max(wbox.width, wbox.height);
  const auto corners = NearestCorners(frames, fx, fy, near);
  const cv::Point shape = HotspotShape(corners, near);
  px.clear(), py.clear(), dx.clear(), dy.clear();
  for (size_t i = 0; i < frames.size(); ++i) {
    const auto& c = corners[i];
    if (!c || std::abs(c->x - shape.x) > 1 || std::abs(c->y - shape.y) > 1) continue;
    const auto& l = frames[i].logged;
    px.push_back(l.x);
    py.push_back(l.y);
    dx.push_back(std::lround(fx.a * l.x + fx.b) + c->x);
    dy.push_back(std::lround(fy.a * l.y + fy.b) + c->y);
  }
  g.shape_frames = static_cast<int>(px.size());
  if (g.shape_frames < kShapeFrames)
    refuse("no pointer shape's corner seen in " + std::to_string(kShapeFrames) + " frames");
  const Line lx = RobustLine(px, dx, &in_x), ly = RobustLine(py, dy, &in_y);
  if (lx.a <= 0 || ly.a <= 0) refuse("the fitted scale is not positive");
  std::vector<double> rx, ry, re;
  for (size_t i = 0; i < px.size(); ++i) {
    rx.push_back(std::abs(dx[i] - (lx.a * px[i] + lx.b)));
    ry.push_back(std::abs(dy[i] - (ly.a * py[i] + ly.b)));
    re.push_back(std::hypot(rx.back(), ry.back()));
    g.inliers += in_x[i] && in_y[i];
  }
  g.x = {lx.a, -lx.b / lx.a, Quantile(rx, 0.5), Quantile(rx, 0.9)};
  g.y = {ly.a, -ly.b / ly.a, Quantile(ry, 0.5), Quantile(ry, 0.9)};
  g.median_error = Quantile(re, 0.5);
  return g;
}

}  // namespace ncb
