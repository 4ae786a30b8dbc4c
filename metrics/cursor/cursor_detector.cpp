#include "metrics/cursor/cursor_detector.h"

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <opencv2/core/utility.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "core/errors.h"

namespace ncb {
namespace fs = std::filesystem;

CursorLibrary CursorLibrary::Load(const fs::path& dir) {
  const fs::path index = dir / "cursors.json";
  std::ifstream in(index);
  if (!in) {
    throw MissingError(
        index.string() +
        ": no cursor library (the GUI recorder writes it: ncbench datasets record-gui; "
        "or give cursor.templates=DIR)");
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
    lib.sprites.push_back(std::move(sp));
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

}  // namespace

CursorDetector::CursorDetector(const CursorLibrary& library, cv::Size frame,
                               std::vector<double> scales, double min_confidence)
    : frame_(frame), min_confidence_(min_confidence) {
  const double base = static_cast<double>(frame.width) / library.screen.width;
  std::vector<std::pair<Template, std::pair<cv::Mat, cv::Mat>>>
      pending;  // (template, (gray, mask))
  int max_w = 1, max_h = 1;
  for (const auto& sp : library.sprites) {
    for (double m : scales) {
      const double s = base * m;
      const int w = std::max(1, static_cast<int>(std::lround(sp.bgra.cols * s)));
      const int h = std::max(1, static_cast<int>(std::lround(sp.bgra.rows * s)));
      cv::Mat scaled;
      cv::resize(sp.bgra, scaled, {w, h}, 0, 0, s < 1 ? cv::INTER_AREA : cv::INTER_LINEAR);
      cv::Mat bgr, alpha, gray, gray32, mask;
      cv::cvtColor(scaled, bgr, cv::COLOR_BGRA2BGR);
      cv::extractChannel(scaled, alpha, 3);
      cv::cvtColor(bgr, gray, cv::COLOR_BGR2GRAY);
      gray.convertTo(gray32, CV_32F);
      cv::threshold(alpha, alpha, 250, 1, cv::THRESH_BINARY);
      alpha.convertTo(mask, CV_32F);
      Template t;
      t.sprite = sp.name;
      t.scale = s;
      t.size = {w, h};
      t.opaque = cv::sum(mask)[0];
      t.energy = cv::sum(mask.mul(gray32.mul(gray32)))[0];
      t.hotspot = {sp.hotspot.x * static_cast<double>(w) / sp.bgra.cols,
                   sp.hotspot.y * static_cast<double>(h) / sp.bgra.rows};
      if (t.opaque >= 4 && w <= frame.width && h <= frame.height) {
        max_w = std::max(max_w, w);
        max_h = std::max(max_h, h);
        pending.push_back({std::move(t), {gray32, mask}});
      }
    }
  }
  if (pending.empty()) {
    throw FormatError(library.dir.string() + ": no cursor sprite fits a " +
                      std::to_string(frame.width) + "x" + std::to_string(frame.height) +
                      " frame at the searched scales");
  }
  // Linear (not circular) correlation for every place the template fits.
  padded_ = {cv::getOptimalDFTSize(frame.width + max_w - 1),
             cv::getOptimalDFTSize(frame.height + max_h - 1)};
  for (auto& [t, gm] : pending) {
    t.mask_spectrum = Spectrum(gm.second, padded_);
    t.masked_spectrum = Spectrum(gm.second.mul(gm.first), padded_);
    templates_.push_back(std::move(t));
  }
}

std::optional<CursorDetection> CursorDetector::Detect(const cv::Mat& bgr) const {
  NCB_CHECK(bgr.size() == frame_ && bgr.type() == CV_8UC3);
  cv::Mat gray, image;
  cv::cvtColor(bgr, gray, cv::COLOR_BGR2GRAY);
  gray.convertTo(image, CV_32F);
  const cv::Mat f_image = Spectrum(image, padded_), f_square = Spectrum(image.mul(image), padded_);
  // Per template: the RMS difference at its best place, and that place.
  std::vector<double> rms(templates_.size());
  std::vector<cv::Point> at(templates_.size());
  cv::parallel_for_(cv::Range(0, static_cast<int>(templates_.size())), [&](const cv::Range& r) {
    cv::Mat a, b, ssd;
    for (int i = r.start; i < r.end; ++i) {
      const auto& t = templates_[static_cast<size_t>(i)];
      // sum M I^2 - 2 sum (M T) I, by the correlation theorem, then + sum M T^2.
      cv::mulSpectrums(f_square, t.mask_spectrum, a, 0, true);
      cv::mulSpectrums(f_image, t.masked_spectrum, b, 0, true);
      cv::scaleAdd(b, -2.0, a, a);
      cv::dft(a, ssd, cv::DFT_INVERSE | cv::DFT_SCALE | cv::DFT_REAL_OUTPUT);
      const cv::Mat valid =
          ssd(cv::Rect(0, 0, frame_.width - t.size.width + 1, frame_.height - t.size.height + 1));
      double lo = 0;
      cv::minMaxLoc(valid, &lo, nullptr, &at[static_cast<size_t>(i)], nullptr);
      rms[static_cast<size_t>(i)] = std::sqrt(std::max(0.0, lo + t.energy) / t.opaque);
    }
  });
  const auto i = static_cast<size_t>(std::min_element(rms.begin(), rms.end()) - rms.begin());
  const auto& t = templates_[i];
  const double confidence = 1.0 - rms[i] / 255.0;
  if (confidence < min_confidence_) return std::nullopt;
  return CursorDetection{
      {at[i].x + t.hotspot.x, at[i].y + t.hotspot.y}, confidence, t.sprite, t.scale};
}

}  // namespace ncb
