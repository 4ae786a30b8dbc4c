#include "metrics/text/ocr_cache.h"

#include <map>
#include <nlohmann/json.hpp>

#include "core/errors.h"
#include "core/hashing.h"

namespace ncb {
namespace fs = std::filesystem;

OcrTextCache::OcrTextCache(const fs::path& file) : file_(file) {
  std::error_code ec;
  fs::create_directories(file.parent_path(), ec);
  if (std::ifstream in(file); in) {
    for (std::string line; std::getline(in, line);) {
      try {
        const auto j = nlohmann::json::parse(line);
        entries_[j.at("key").get<std::string>()] = j.at("text").get<std::string>();
      } catch (const nlohmann::json::exception&) {
        // a torn line from an interrupted run: recomputed when needed
      }
    }
  }
  out_.open(file, std::ios::app);
  if (!out_)
    throw Error(At(file.string(), "cannot be opened for appending (OCR cache); pass --cache-dir"));
}

std::shared_ptr<OcrTextCache> OcrTextCache::Open(const fs::path& file) {
  static std::mutex mu;
  static std::map<fs::path, std::weak_ptr<OcrTextCache>> caches;
  std::lock_guard lock(mu);
  if (auto c = caches[file].lock()) return c;
  auto c = std::make_shared<OcrTextCache>(file);
  caches[file] = c;
  return c;
}

std::optional<std::string> OcrTextCache::Get(const std::string& key) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return std::nullopt;
  return it->second;
}

void OcrTextCache::Put(const std::string& key, const std::string& text) {
  std::lock_guard lock(mu_);
  if (!entries_.emplace(key, text).second) return;
  out_ << nlohmann::json{{"key", key}, {"text", text}}.dump(
              -1, ' ', false, nlohmann::json::error_handler_t::replace)
       << "\n";
  out_.flush();
}

std::string OcrTextCache::ImageKey(const cv::Mat& rgb) {
  NCB_CHECK(rgb.isContinuous());
  std::string bytes = std::to_string(rgb.cols) + "x" + std::to_string(rgb.rows) + "x" +
                      std::to_string(rgb.channels()) + ":";
  bytes.append(reinterpret_cast<const char*>(rgb.data), rgb.total() * rgb.elemSize());
  return Sha256Hex(bytes);
}

}  // namespace ncb
