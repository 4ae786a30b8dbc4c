// Tesseract OCR for frames: one TessBaseAPI per worker thread, frames recognised in parallel.
//
// The options mirror what `tesseract IMAGE - --psm 3` (and pytesseract) do by default: the
// language data of the installed package (Debian's tessdata_fast eng.traineddata), the
// default LSTM engine, page segmentation mode 3 (the C++ API's own default is 6, so it is
// always set explicitly). Preprocessing (integer upscale, inversion of light-on-dark frames)
// is off by default, as in the paper. tests/golden/ocr_golden_test.cpp checks that this
// engine returns the CLI's text on real frames.
#pragma once

#include <future>
#include <memory>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <string>

namespace at {
class Tensor;  // torch/types.h, which this header leaves to the sources that use FrameToRgb8
}  // namespace at

namespace ncb {

struct OcrOptions {
  std::string lang = "eng";
  int psm = 3;
  std::string
      tessdata;     // folder with <lang>.traineddata; empty: TESSDATA_PREFIX or the built-in path
  int threads = 0;  // worker threads; 0 = every core
  int upscale = 1;  // preprocessing: resize by this integer factor (bicubic); 1 = off
  bool invert = false;  // preprocessing: invert frames whose mean luma is below 128

  // Reads {"lang", "psm", "tessdata", "threads", "upscale", "invert"} (all optional) from
  // `j`, checking types and ranges; `where` prefixes the errors (e.g. "ocr").
  static OcrOptions FromJson(const nlohmann::json& j, const std::string& where);
  nlohmann::json ToJson() const;
};

class OcrPool {
 public:
  // Loads the language data once on the calling thread to fail early: throws MissingError
  // naming the tessdata folder and the package to install when it is absent.
  explicit OcrPool(const OcrOptions& options);
  ~OcrPool();
  OcrPool(const OcrPool&) = delete;
  OcrPool& operator=(const OcrPool&) = delete;

  // One pool per distinct options in the process, shared by every metric instance.
  static std::shared_ptr<OcrPool> Shared(const OcrOptions& options);

  // Queues an 8-bit RGB image; the future carries Tesseract's UTF-8 text (or its error).
  std::future<std::string> Submit(cv::Mat rgb);
  std::string Recognize(const cv::Mat& rgb) { return Submit(rgb).get(); }
  // The same for an image whose content `key` names (OcrTextCache::ImageKey): an image
  // submitted again while it is among the last kRecentImages is read once. The static
  // baseline's frame is the same at every k, and its ground truth the model's.
  std::shared_future<std::string> SubmitOnce(cv::Mat rgb, const std::string& key);
  // The same, keyed by the image's content (its OcrTextCache::ImageKey).
  std::shared_future<std::string> SubmitOnce(cv::Mat rgb);
  static constexpr size_t kRecentImages = 512;

  const OcrOptions& options() const { return options_; }
  int threads() const;
  // Engine version, language data path and sha256, options: what OCR text depends on.
  const nlohmann::json& provenance() const { return provenance_; }
  // sha256 of provenance(): the key part that makes cached text invalid when any of it changes.
  const std::string& fingerprint() const { return fingerprint_; }

 private:
  struct Impl;
  OcrOptions options_;
  nlohmann::json provenance_;
  std::string fingerprint_;
  std::unique_ptr<Impl> impl_;
};

// A float32 RGB frame [3,H,W] in [0,1] as the 8-bit RGB image Tesseract is given.
cv::Mat FrameToRgb8(const at::Tensor& frame);

}  // namespace ncb
