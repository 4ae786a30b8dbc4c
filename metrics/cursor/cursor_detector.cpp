#include "metrics/cursor/cursor_detector.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <opencv2/core/utility.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <sstream>

#include "core/errors.h"
#include "metrics/cursor/cursor_net.h"

namespace ncb {
namespace fs = std::filesystem;

CursorLibrary CursorLibrary::Load(const fs::path& dir) {
  const fs::path index = dir / "cursors.json";
  std::ifstream in(index);
  if (!in) {
    throw MissingError(
        index.string() +
        ": no cursor library (ncbench datasets record-gui writes one beside its recordings; for "
        "footage recorded elsewhere learn one with ncbench datasets cursor-templates MANIFEST "
        "--out DIR; give a folder with --metric-option cursor.templates=DIR)");
  }
  nlohmann::json j;
  try {
    in >> j;
  } catch (const nlohmann::json::exception& e) {
    throw FormatError(index.string() + ": not valid JSON: " + e.what());
  }
  auto bad = [&](const std::string& field, const std::string& expected) {
    throw FormatError(index.string() + ": field \"" + field + "\": expected " + expected);
  };
  CursorLibrary lib;
  lib.dir = dir;
  if (!j.is_object() || !j.contains("screen") || !j["screen"].is_array() ||
      j["screen"].size() != 2 || !j["screen"][0].is_number_integer() ||
      !j["screen"][1].is_number_integer() || j["screen"][0].get<int>() < 1 ||
      j["screen"][1].get<int>() < 1) {
    bad("screen", "[width, height] in pixels");
  }
  lib.screen = {j["screen"][0].get<int>(), j["screen"][1].get<int>()};
  if (j.contains("default") && j["default"].is_string())
    lib.default_sprite = fs::path(j["default"].get<std::string>()).stem().string();
  // An optional number in (0, hi] at `object[key]`, named `at` in the error.
  auto optional_in = [&](const nlohmann::json& object, const char* key, double hi,
                         const std::string& at) -> std::optional<double> {
    if (!object.contains(key)) return std::nullopt;
    const auto& v = object[key];
    if (!v.is_number() || !(v.get<double>() > 0) || v.get<double>() > hi) {
      std::ostringstream range;
      range << "a number in (0, " << hi << "]";
      bad(at, range.str());
    }
    return v.get<double>();
  };
  lib.min_confidence = optional_in(j, "min_confidence", 1, "min_confidence");
  if (!j.contains("sprites") || !j["sprites"].is_array() || j["sprites"].empty())
    bad("sprites", "a non-empty array");
  for (size_t i = 0; i < j["sprites"].size(); ++i) {
    const auto& s = j["sprites"][i];
    const std::string at = "sprites[" + std::to_string(i) + "]";
    if (!s.is_object() || !s.contains("file") || !s["file"].is_string())
      bad(at + ".file", "a PNG file name");
    if (!s.contains("hotspot") || !s["hotspot"].is_array() || s["hotspot"].size() != 2 ||
        !s["hotspot"][0].is_number() || !s["hotspot"][1].is_number()) {
      bad(at + ".hotspot", "[x, y]");
    }
    CursorSprite sp;
    sp.name = fs::path(s["file"].get<std::string>()).stem().string();
    sp.bgra = cv::imread((dir / s["file"].get<std::string>()).string(), cv::IMREAD_UNCHANGED);
    if (sp.bgra.empty() || sp.bgra.type() != CV_8UC4) {
      throw FormatError((dir / s["file"].get<std::string>()).string() +
                        ": expected an 8-bit BGRA PNG (" + at + ")");
    }
    sp.hotspot = {s["hotspot"][0].get<double>(), s["hotspot"][1].get<double>()};
    sp.min_confidence = optional_in(s, "min_confidence", 1, at + ".min_confidence");
    sp.min_confidence_shrunk =
        optional_in(s, "min_confidence_shrunk", 1, at + ".min_confidence_shrunk");
    sp.min_score_anywhere = optional_in(s, "min_score_anywhere", 2, at + ".min_score_anywhere");
    lib.sprites.push_back(std::move(sp));
  }
  if (j.contains("net")) {
    const auto& n = j["net"];
    if (!n.is_object() || !n.contains("file") || !n["file"].is_string())
      bad("net.file", "the learned detector's file name (cursor-net.pt)");
    const auto threshold = optional_in(n, "min_confidence", 1, "net.min_confidence");
    if (!threshold) bad("net.min_confidence", "a number in (0, 1]");
    lib.net_min_confidence = *threshold;
    lib.net_min_confidence_shrunk =
        optional_in(n, "min_confidence_shrunk", 1, "net.min_confidence_shrunk")
            .value_or(*threshold);
    lib.net =
        std::make_shared<const CursorNet>(CursorNet::Load(dir / n["file"].get<std::string>()));
  }
  return lib;
}

namespace {

// `m` (CV_32F) in the top-left corner of a zero image of `padded` size, transformed.
cv::Mat Spectrum(const cv::Mat& m, cv::Size padded) {
  cv::Mat big = cv::Mat::zeros(padded, CV_32F), out;
  m.copyTo(big(cv::Rect(0, 0, m.cols, m.rows)));
  cv::dft(big, out, 0, m.rows);
  return out;
}

// The smooth score's Gaussian (px): a sharp sprite against a blurred frame loses its
// one-pixel outline. 1 px at the recordings' size, at least 0.5 px.
double Smoothing(double scale) { return std::max(0.5, scale); }

// The frame's grey levels, centred on 0 (smaller squares for the float32 FFT), CV_32F.
cv::Mat Grey(const cv::Mat& bgr) {
  cv::Mat gray, out;
  cv::cvtColor(bgr, gray, cv::COLOR_BGR2GRAY);
  gray.convertTo(out, CV_32F, 1.0, -128.0);
  return out;
}

// Below this spread (grey levels) a place is flat: its ZNCC is noise.
constexpr double kMinSpread = 2.0;

// zncc * min(1, gain / 0.4) * min(1, 2.5 / gain): 0 for gain <= 0.
double Confidence(double zncc, double gain) {
  if (!(gain > 0) || !(zncc > 0)) return 0;
  return zncc * std::min(1.0, gain / 0.4) * std::min(1.0, 2.5 / gain);
}

}  // namespace

CursorDetector::CursorDetector(const CursorLibrary& library, cv::Size frame,
                               std::vector<double> scales, std::optional<double> min_confidence)
    : frame_(frame) {
  const double base = static_cast<double>(frame.width) / library.screen.width;
  // grey (0-centred) * weight and weight of every template at full size
  std::vector<std::pair<cv::Mat, cv::Mat>> pending;
  auto make_level = [](const cv::Mat& tw, const cv::Mat& w) {
    Level l;
    l.size = w.size();
    l.weight = w;
    l.n = cv::sum(w)[0];
    const double mean = cv::sum(tw)[0] / l.n;
    cv::Mat t;
    cv::divide(tw, cv::max(w, 1e-6), t);  // T where w > 0
    cv::Mat d = t - mean;
    l.centred = w.mul(d);
    l.norm = std::sqrt(cv::sum(l.centred.mul(d))[0] / l.n);
    return l;
  };
  bool coarse = true;
  int group = -1;
  for (const auto& sp : library.sprites) {
    cv::Mat bgr, alpha, gray32, weight;
    cv::cvtColor(sp.bgra, bgr, cv::COLOR_BGRA2BGR);
    cv::extractChannel(sp.bgra, alpha, 3);
    cv::Mat cover;  // all of the sprite's alpha, its shadow too: what it does to a screen
    alpha.convertTo(cover, CV_32F, 1.0 / 255);
    cv::threshold(alpha, alpha, 250, 255, cv::THRESH_TOZERO);  // no translucent shadow
    alpha.convertTo(weight, CV_32F, 1.0 / 255);
    gray32 = Grey(bgr);
    for (double m : scales) {
      const double s = base * m;
      // Shrunk by more than 2 (kShrunk), a sprite looks different at each sub-pixel place:
      // one template per quarter pixel of the frame along each axis (the full-size sprite
      // moved by 1 / (4 s) px steps, bilinearly, before shrinking).
      const int n = s < kShrunk ? kPhases : 1;
      const double step = 1.0 / (n * s);  // full-size px per phase
      const int ext = static_cast<int>(std::ceil((n - 1) * step));
      ++group;
      for (int py = 0; py < n; ++py) {
        for (int px = 0; px < n; ++px) {
          const auto shift = [&](const cv::Mat& m) {
            if (n == 1) return m;
            cv::Mat out;
            const cv::Mat a = (cv::Mat_<double>(2, 3) << 1, 0, px * step, 0, 1, py * step);
            cv::warpAffine(m, out, a, {m.cols + ext, m.rows + ext}, cv::INTER_LINEAR,
                           cv::BORDER_CONSTANT, 0);
            return out;
          };
          const cv::Mat g = shift(gray32), wt = shift(weight), cov = shift(cover);
          const int w = std::max(1, static_cast<int>(std::lround(g.cols * s)));
          const int h = std::max(1, static_cast<int>(std::lround(g.rows * s)));
          const int interp = s < 1 ? cv::INTER_AREA : cv::INTER_LINEAR;
          cv::Mat tw, ws;
          cv::resize(g.mul(wt), tw, {w, h}, 0, 0, interp);
          cv::resize(wt, ws, {w, h}, 0, 0, interp);
          if (cv::sum(ws)[0] < 2 || w > frame.width || h > frame.height) continue;
          Template t;
          t.group = group;
          t.lead = px == 0 && py == 0;
          t.sprite = sp.name;
          t.scale = s;
          t.hotspot = {(sp.hotspot.x + px * step) * static_cast<double>(w) / g.cols,
                       (sp.hotspot.y + py * step) * static_cast<double>(h) / g.rows};
          t.fine = make_level(tw, ws);
          if (!(t.fine.norm > kMinSpriteSpread)) continue;  // a flat sprite
          cv::Mat ca, cg;  // the full-alpha sprite for the fine score: alpha, alpha * grey
          cv::resize(cov, ca, {w, h}, 0, 0, interp);
          cv::resize(g.mul(cov), cg, {w, h}, 0, 0, interp);
          t.fine.alpha = ca;
          t.fine.alpha_grey = cg;
          coarse = coarse && std::max(w, h) >= 16;
          pending.emplace_back(tw, ws);
          templates_.push_back(std::move(t));
        }
      }
    }
  }
  if (templates_.empty()) {
    throw FormatError(library.dir.string() + ": no cursor sprite fits a " +
                      std::to_string(frame.width) + "x" + std::to_string(frame.height) +
                      " frame at the searched scales");
  }
  factor_ = coarse ? 2 : 1;
  const bool shrunk =
      std::any_of(scales.begin(), scales.end(), [&](double m) { return base * m < kShrunk; });
  min_confidence_ = min_confidence.value_or(
      library.min_confidence.value_or(shrunk ? kMinConfidenceSmall : kMinConfidence));
  if (library.net) {
    net_ = library.net;
    net_scale_ = base;
    net_threshold_ =
        base < kShrunk ? library.net_min_confidence_shrunk : library.net_min_confidence;
  }
  std::vector<bool> unused(templates_.size(), false);
  for (size_t i = 0; i < templates_.size(); ++i) {
    auto& t = templates_[i];
    for (const auto& sp : library.sprites) {
      if (sp.name != t.sprite) continue;
      const auto own = t.scale < kShrunk && sp.min_confidence_shrunk ? sp.min_confidence_shrunk
                                                                     : sp.min_confidence;
      if (!min_confidence && own) t.offset = *own - min_confidence_;
      // A calibrated threshold of 1: the sprite's look-alikes score as high as it does at
      // this size; it is not searched there.
      unused[i] = !min_confidence && own && *own >= 1;
      t.anywhere = sp.min_score_anywhere.value_or(0);
    }
  }
  for (size_t i = templates_.size(); i-- > 0;) {
    if (!unused[i]) continue;
    templates_.erase(templates_.begin() + static_cast<long>(i));
    pending.erase(pending.begin() + static_cast<long>(i));
  }
  sigma_ = Smoothing(base);
  coarse_ = {frame.width / factor_, frame.height / factor_};
  for (size_t i = 0; i < templates_.size(); ++i) {
    auto& t = templates_[i];
    if (factor_ == 1) {
      t.coarse = t.fine;
    } else {
      const cv::Size size(std::max(1, t.fine.size.width / factor_),
                          std::max(1, t.fine.size.height / factor_));
      cv::Mat tw, ws;
      cv::resize(pending[i].first, tw, size, 0, 0, cv::INTER_AREA);
      cv::resize(pending[i].second, ws, size, 0, 0, cv::INTER_AREA);
      t.coarse = make_level(tw, ws);
    }
  }
  for (const auto& t : templates_)
    max_extent_ = std::max({max_extent_, t.fine.size.width, t.fine.size.height});
  // The whole-frame search correlates with the FFT: linear (not circular) correlation for
  // every place a template fits, the frame transformed once.
  int max_w = 1, max_h = 1;
  for (const auto& t : templates_) {
    max_w = std::max(max_w, t.coarse.size.width);
    max_h = std::max(max_h, t.coarse.size.height);
  }
  padded_ = {cv::getOptimalDFTSize(coarse_.width + max_w - 1),
             cv::getOptimalDFTSize(coarse_.height + max_h - 1)};
  for (auto& t : templates_) {
    t.coarse.f_weight = Spectrum(t.coarse.weight, padded_);
    t.coarse.f_centred = Spectrum(t.coarse.centred, padded_);
  }
}

// The smooth score: the sprite over the background around it, smoothed as the frame is,
// against the smoothed frame (blur, compression, a model's own drawing of it).
double CursorDetector::SmoothConfidence(const Level& l, const cv::Mat& grey, const cv::Mat& smooth,
                                        cv::Point at) const {
  const cv::Rect box(at, l.size);
  // The background under the sprite: the mean of the frame around it in its box.
  const cv::Mat patch = grey(box);
  double b = 0, nb = 0;
  for (int r = 0; r < l.size.height; ++r) {
    for (int x = 0; x < l.size.width; ++x) {
      if (l.alpha.at<float>(r, x) < 0.02f) {
        b += patch.at<float>(r, x);
        ++nb;
      }
    }
  }
  b = nb > 0 ? b / nb : cv::mean(patch)[0];
  // The sprite over that background, seen through the same smoothing as the frame, over
  // the sprite's pixels and the halo the smoothing spreads them to.
  const int pad = static_cast<int>(std::ceil(2 * sigma_));
  const cv::Rect outer =
      cv::Rect(at.x - pad, at.y - pad, l.size.width + 2 * pad, l.size.height + 2 * pad) &
      cv::Rect(0, 0, grey.cols, grey.rows);
  cv::Mat comp(outer.size(), CV_32F, cv::Scalar(b)), wt = cv::Mat::zeros(outer.size(), CV_32F);
  const cv::Rect inner(at - outer.tl(), l.size);
  cv::Mat ci = comp(inner);
  ci = l.alpha_grey + (1 - l.alpha) * b;
  l.alpha.copyTo(wt(inner));
  cv::GaussianBlur(comp, comp, {0, 0}, sigma_, 0, cv::BORDER_REPLICATE);
  cv::GaussianBlur(wt, wt, {0, 0}, sigma_, 0, cv::BORDER_REPLICATE);
  const cv::Mat f = smooth(outer);
  double n = 0, st = 0, sf = 0, stt = 0, sff = 0, stf = 0;
  for (int r = 0; r < outer.height; ++r) {
    const float* w = wt.ptr<float>(r);
    const float* t = comp.ptr<float>(r);
    const float* p = f.ptr<float>(r);
    for (int x = 0; x < outer.width; ++x) {
      if (w[x] < 0.05f) continue;
      n += 1;
      st += t[x];
      sf += p[x];
      stt += t[x] * t[x];
      sff += p[x] * p[x];
      stf += t[x] * p[x];
    }
  }
  if (n < 4) return 0;
  const double vt = stt / n - (st / n) * (st / n), vf = sff / n - (sf / n) * (sf / n),
               cov = stf / n - (st / n) * (sf / n);
  if (vf < kMinSpread * kMinSpread || !(vt > 0)) return 0;
  return Confidence(cov / std::sqrt(vt * vf), cov / vt);
}
// The exact score: the raw frame against the sprite's opaque pixels (an exact copy on any
// background scores 1).
double CursorDetector::ExactConfidence(const Level& l, const cv::Mat& grey, cv::Point at) const {
  double sw = 0, sww = 0, num = 0;
  for (int r = 0; r < l.size.height; ++r) {
    const float* w = l.weight.ptr<float>(r);
    const float* c = l.centred.ptr<float>(r);
    const float* p = grey.ptr<float>(at.y + r) + at.x;
    for (int x = 0; x < l.size.width; ++x) {
      sw += w[x] * p[x];
      sww += w[x] * p[x] * p[x];
      num += c[x] * p[x];
    }
  }
  const double var = sww / l.n - (sw / l.n) * (sw / l.n);
  if (var < kMinSpread * kMinSpread) return 0;
  return Confidence(num / (l.n * l.norm * std::sqrt(var)), num / (l.n * l.norm * l.norm));
}

std::optional<CursorDetection> CursorDetector::Detect(const cv::Mat& bgr) const {
  auto best = Best(bgr);
  if (!best || !CountsAnywhere(*best)) return std::nullopt;
  return best;
}

std::optional<CursorDetection> CursorDetector::Best(const cv::Mat& bgr) const {
  return Search(bgr, nullptr);
}

std::optional<CursorDetection> CursorDetector::Near(const cv::Mat& bgr, cv::Point2d point,
                                                    double radius) const {
  const Region r{point, radius};
  auto best = Search(bgr, &r);
  if (!net_ || (best && best->confidence >= min_confidence_)) return best;
  const auto m = net_->Near(bgr, point, radius, net_scale_);
  const double confidence = m.score - (net_threshold_ - min_confidence_);
  if (best && best->confidence >= confidence) return best;
  return CursorDetection{m.hotspot, confidence, m.score, "cursor-net", net_scale_, 0};
}

std::optional<CursorDetection> CursorDetector::Search(const cv::Mat& bgr,
                                                      const Region* region) const {
  NCB_CHECK(bgr.size() == frame_ && bgr.type() == CV_8UC3);
  const bool local = region != nullptr;
  // The part of the frame read: around the point (the radius, the templates and the
  // smoothing's reach), or all of it. Places below are in frame pixels; `image` and
  // `smooth` start at `window`'s corner.
  cv::Rect window(0, 0, frame_.width, frame_.height);
  if (local) {
    const int reach = static_cast<int>(std::ceil(region->radius + 3 * sigma_)) + max_extent_ + 2;
    window &= cv::Rect(static_cast<int>(std::floor(region->center.x)) - reach,
                       static_cast<int>(std::floor(region->center.y)) - reach, 2 * reach + 1,
                       2 * reach + 1);
    if (window.empty()) return std::nullopt;
  }
  const cv::Point origin = window.tl();
  const cv::Mat image = Grey(bgr(window));
  cv::Mat smooth;
  cv::GaussianBlur(image, smooth, {0, 0}, sigma_);
  // Around a point the search runs at full size; over the whole frame, first at 1 / factor_.
  const int factor = local ? 1 : factor_;
  cv::Mat small = image;
  if (factor != 1) cv::resize(image, small, coarse_, 0, 0, cv::INTER_AREA);
  const auto allowed = [&](cv::Point2d hotspot, double slack) {
    return !region || cv::norm(hotspot - region->center) <= region->radius + slack;
  };
  cv::Mat f_image, f_square;
  if (!local) {
    f_image = Spectrum(small, padded_);
    f_square = Spectrum(small.mul(small), padded_);
  }
  std::vector<std::optional<CursorDetection>> found(templates_.size());
  cv::parallel_for_(cv::Range(0, static_cast<int>(templates_.size())), [&](const cv::Range& rg) {
    cv::Mat s1, s2, s3;
    for (int i = rg.start; i < rg.end; ++i) {
      const auto& t = templates_[static_cast<size_t>(i)];
      if (!t.lead) continue;  // the other phases only re-score the lead's places
      const auto& c = local ? t.fine : t.coarse;  // coarse == fine (with spectra) at factor 1
      // Where this template's top-left corner can lie, in `small`'s pixels.
      cv::Rect area(0, 0, small.cols, small.rows);
      if (local) {
        const int x0 =
            static_cast<int>(std::floor(region->center.x - t.hotspot.x - region->radius));
        const int y0 =
            static_cast<int>(std::floor(region->center.y - t.hotspot.y - region->radius));
        const int span = static_cast<int>(std::ceil(2 * region->radius)) + 2;
        area &= cv::Rect(x0 - origin.x, y0 - origin.y, span + c.size.width, span + c.size.height);
      }
      if (area.width < c.size.width || area.height < c.size.height) continue;
      if (local) {  // a small part: directly
        const cv::Mat img = small(area), sq = img.mul(img);
        cv::matchTemplate(img, c.weight, s1, cv::TM_CCORR);
        cv::matchTemplate(sq, c.weight, s2, cv::TM_CCORR);
        cv::matchTemplate(img, c.centred, s3, cv::TM_CCORR);
      } else {  // the whole frame: by the correlation theorem
        const cv::Rect valid(0, 0, small.cols - c.size.width + 1, small.rows - c.size.height + 1);
        const auto corr = [&](const cv::Mat& f, const cv::Mat& g, cv::Mat* out) {
          cv::Mat a;
          cv::mulSpectrums(f, g, a, 0, true);
          cv::dft(a, *out, cv::DFT_INVERSE | cv::DFT_SCALE | cv::DFT_REAL_OUTPUT);
          *out = (*out)(valid);
        };
        corr(f_image, c.f_weight, &s1);
        corr(f_square, c.f_weight, &s2);
        corr(f_image, c.f_centred, &s3);
      }
      // The exact score's confidence at every place.
      cv::Mat score(s1.size(), CV_32F);
      for (int y = 0; y < score.rows; ++y) {
        const float* a = s1.ptr<float>(y);
        const float* b = s2.ptr<float>(y);
        const float* n = s3.ptr<float>(y);
        float* out = score.ptr<float>(y);
        for (int x = 0; x < score.cols; ++x) {
          const double mean = a[x] / c.n, var = b[x] / c.n - mean * mean;
          out[x] = var < kMinSpread * kMinSpread
                       ? 0.f
                       : static_cast<float>(Confidence(n[x] / (c.n * c.norm * std::sqrt(var)),
                                                       n[x] / (c.n * c.norm * c.norm)));
          if (region) {
            const cv::Point2d hotspot((area.x + x) * factor + origin.x + t.hotspot.x,
                                      (area.y + y) * factor + origin.y + t.hotspot.y);
            if (!allowed(hotspot, factor + 1.0)) out[x] = -1.f;
          }
        }
      }
      // The best few places, apart by half the template, each re-scored at full size: the
      // best place by the exact score within reach, then the best of the exact score there
      // and the smooth score there and at its four neighbours.
      const int reach = factor == 1 ? 0 : factor + 1;
      const auto fits = [&](const Template& m, cv::Point q) {  // q: in image's pixels
        return q.x >= 0 && q.y >= 0 && q.x + m.fine.size.width <= image.cols &&
               q.y + m.fine.size.height <= image.rows &&
               allowed({q.x + origin.x + m.hotspot.x, q.y + origin.y + m.hotspot.y}, 0);
      };
      std::optional<CursorDetection> best;
      for (int k = 0; k < candidates_; ++k) {
        double hi = 0;
        cv::Point p;
        cv::minMaxLoc(score, nullptr, &hi, nullptr, &p);
        if (hi < 0) break;
        cv::rectangle(
            score,
            cv::Rect(p.x - c.size.width / 2, p.y - c.size.height / 2, c.size.width, c.size.height),
            cv::Scalar(-1), cv::FILLED);
        // The lead's hotspot there, in image pixels; every phase of the sprite is tried
        // with its own hotspot on the same point.
        const cv::Point2d hot((area.x + p.x) * factor + t.hotspot.x,
                              (area.y + p.y) * factor + t.hotspot.y);
        for (size_t j = static_cast<size_t>(i); j < templates_.size(); ++j) {
          const auto& m = templates_[j];
          if (m.group != t.group) break;
          const cv::Point base(static_cast<int>(std::lround(hot.x - m.hotspot.x)),
                               static_cast<int>(std::lround(hot.y - m.hotspot.y)));
          std::optional<cv::Point> top;
          double conf = -1;
          for (int dy = -reach; dy <= reach; ++dy) {
            for (int dx = -reach; dx <= reach; ++dx) {
              const cv::Point q = base + cv::Point(dx, dy);
              if (!fits(m, q)) continue;
              if (const double e = ExactConfidence(m.fine, image, q); e > conf) {
                top = q;
                conf = e;
              }
            }
          }
          if (!top) continue;
          cv::Point at = *top;
          for (const cv::Point d : {cv::Point(0, 0), cv::Point(1, 0), cv::Point(-1, 0),
                                    cv::Point(0, 1), cv::Point(0, -1)}) {
            const cv::Point q = *top + d;
            if (!fits(m, q)) continue;
            if (const double sm = SmoothConfidence(m.fine, image, smooth, q); sm > conf) {
              conf = sm;
              at = q;
            }
          }
          if (!local && conf < m.anywhere) continue;  // a look-alike of the screen's
          if (!best || conf - m.offset > best->confidence) {
            best = CursorDetection{{at.x + origin.x + m.hotspot.x, at.y + origin.y + m.hotspot.y},
                                   conf - m.offset,
                                   conf,
                                   m.sprite,
                                   m.scale,
                                   m.anywhere};
          }
        }
      }
      found[static_cast<size_t>(i)] = best;
    }
  });
  std::optional<CursorDetection> best;
  for (const auto& d : found) {
    if (d && (!best || d->confidence > best->confidence)) best = d;
  }
  return best;
}

}  // namespace ncb
