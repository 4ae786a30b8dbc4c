// The ground-truth OCR cache: Tesseract text keyed by frame content and OCR fingerprint.
//
// One JSONL file per dataset, CACHE_DIR/ocr/<dataset sha256[:16]>.jsonl, each line
// {"key": "<sha256 of the RGB bytes and size>:<OcrPool::fingerprint()>", "text": "..."}.
// A second checkpoint scored on the same dataset with the same OCR options reads the
// ground truth's text from here instead of OCR-ing it again. Lines are appended and flushed
// as they are made, so an interrupted run keeps what it did; a torn last line is skipped.
#pragma once

#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <opencv2/core.hpp>
#include <optional>
#include <string>
#include <unordered_map>

namespace ncb {

class OcrTextCache {
 public:
  // One instance per file in the process.
  static std::shared_ptr<OcrTextCache> Open(const std::filesystem::path& file);
  explicit OcrTextCache(const std::filesystem::path& file);

  std::optional<std::string> Get(const std::string& key);
  void Put(const std::string& key, const std::string& text);
  const std::filesystem::path& file() const { return file_; }

  // The content part of a key: sha256 over the image size and its 8-bit RGB bytes.
  static std::string ImageKey(const cv::Mat& rgb);

 private:
  std::filesystem::path file_;
  std::mutex mu_;
  std::unordered_map<std::string, std::string> entries_;
  std::ofstream out_;
};

}  // namespace ncb
