#include "metrics/text/tesseract_ocr.h"

#include <omp.h>
#include <tesseract/baseapi.h>
#include <torch/types.h>

#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <map>
#include <mutex>
#include <opencv2/imgproc.hpp>
#include <thread>

#include "core/errors.h"
#include "core/hashing.h"
#include "metrics/text/ocr_cache.h"

namespace ncb {
namespace fs = std::filesystem;

OcrOptions OcrOptions::FromJson(const nlohmann::json& j, const std::string& where) {
  OcrOptions o;
  auto get = [&](const char* key, auto* out) {
    if (!j.contains(key)) return;
    try {
      *out = j.at(key).get<std::decay_t<decltype(*out)>>();
    } catch (const nlohmann::json::exception&) {
      throw Error(where + ": option '" + key + "' has the wrong type (" + j.at(key).dump() + ")");
    }
  };
  get("lang", &o.lang);
  get("psm", &o.psm);
  get("tessdata", &o.tessdata);
  get("threads", &o.threads);
  get("upscale", &o.upscale);
  get("invert", &o.invert);
  if (o.psm < 0 || o.psm > 13)
    throw Error(where + ": option psm must be 0..13 (tesseract --help-psm), got " +
                std::to_string(o.psm));
  if (o.threads < 0) throw Error(where + ": option threads must be >= 0 (0: every core)");
  if (o.upscale < 1 || o.upscale > 8)
    throw Error(where + ": option upscale must be 1..8, got " + std::to_string(o.upscale));
  if (o.lang.empty()) throw Error(where + ": option lang must name a traineddata file, e.g. eng");
  return o;
}

nlohmann::json OcrOptions::ToJson() const {
  return {{"engine", "tesseract"},
          {"lang", lang},
          {"psm", psm},
          {"tessdata", tessdata},
          {"threads", threads},
          {"preprocess", {{"upscale", upscale}, {"invert", invert}}}};
}

cv::Mat FrameToRgb8(const at::Tensor& frame) {
  auto u8 = frame.detach()
                .to(torch::kCPU, torch::kFloat32)
                .mul(255.0)
                .round_()
                .clamp_(0, 255)
                .to(torch::kUInt8)
                .permute({1, 2, 0})
                .contiguous();
  cv::Mat rgb(static_cast<int>(u8.size(0)), static_cast<int>(u8.size(1)), CV_8UC3, u8.data_ptr());
  return rgb.clone();
}

namespace {

void InitApi(tesseract::TessBaseAPI* api, const OcrOptions& o) {
  const char* datapath = o.tessdata.empty() ? nullptr : o.tessdata.c_str();
  if (api->Init(datapath, o.lang.c_str(), tesseract::OEM_DEFAULT) != 0) {
    const char* env = std::getenv("TESSDATA_PREFIX");
    const std::string where = !o.tessdata.empty() ? o.tessdata
                              : env               ? std::string(env) + " (TESSDATA_PREFIX)"
                                    : std::string("Tesseract's built-in tessdata path");
    throw MissingError(At(where, "has no usable " + o.lang +
                                     ".traineddata; install tesseract-ocr-" + o.lang +
                                     " (scripts/install-deps.sh) or set the ocr option tessdata"));
  }
  // Tesseract's own diagnostics ("Estimating resolution as ...") would interleave with ours.
  api->SetVariable("debug_file", "/dev/null");
  api->SetPageSegMode(static_cast<tesseract::PageSegMode>(o.psm));
}

cv::Mat Preprocess(const cv::Mat& rgb, const OcrOptions& o) {
  cv::Mat img = rgb;
  if (o.upscale > 1) cv::resize(img, img, {}, o.upscale, o.upscale, cv::INTER_CUBIC);
  if (o.invert) {
    cv::Mat gray;
    cv::cvtColor(img, gray, cv::COLOR_RGB2GRAY);
    if (cv::mean(gray)[0] < 128) cv::bitwise_not(img, img);
  }
  return img;
}

}  // namespace

struct OcrPool::Impl {
  struct Job {
    cv::Mat rgb;
    std::promise<std::string> result;
  };
  std::mutex recent_mu;  // SubmitOnce's memo: key -> text, oldest first in recent_order
  std::map<std::string, std::shared_future<std::string>> recent;
  std::deque<std::string> recent_order;
  std::mutex mu;
  std::condition_variable cv;
  std::deque<Job> queue;
  bool stopping = false;
  std::vector<std::thread> workers;

  void Work(const OcrOptions& o) {
    std::unique_ptr<tesseract::TessBaseAPI> api;  // this thread's own engine, made on first use
    // Parallelism comes from the workers: Tesseract's own OpenMP teams (libgomp spin-waits)
    // made one frame 9x slower on 2 cores. The setting is this thread's alone (libgomp keeps
    // it per thread), so LibTorch's OpenMP elsewhere is untouched.
    omp_set_max_active_levels(0);
    for (;;) {
      Job job;
      {
        std::unique_lock lock(mu);
        cv.wait(lock, [&] { return stopping || !queue.empty(); });
        if (queue.empty()) return;
        job = std::move(queue.front());
        queue.pop_front();
      }
      try {
        if (!api) {
          api = std::make_unique<tesseract::TessBaseAPI>();
          InitApi(api.get(), o);
        }
        const cv::Mat img = Preprocess(job.rgb, o);
        api->SetImage(img.data, img.cols, img.rows, 3, static_cast<int>(img.step));
        char* text = api->GetUTF8Text();
        std::string s = text ? text : "";
        delete[] text;
        api->Clear();
        job.result.set_value(std::move(s));
      } catch (...) {
        job.result.set_exception(std::current_exception());
      }
    }
  }
};

OcrPool::OcrPool(const OcrOptions& options) : options_(options), impl_(std::make_unique<Impl>()) {
  tesseract::TessBaseAPI probe;
  InitApi(&probe, options_);
  const fs::path data = fs::path(probe.GetDatapath()) / (options_.lang + ".traineddata");
  provenance_ = options_.ToJson();
  provenance_.erase("threads");  // does not change the text
  provenance_["tesseract_version"] = tesseract::TessBaseAPI::Version();
  provenance_["traineddata"] = data.string();
  provenance_["traineddata_sha256"] = fs::exists(data) ? Sha256File(data) : "unknown";
  provenance_["engine_mode"] = "OEM_DEFAULT";
  fingerprint_ = Sha256Hex(provenance_.dump());
  probe.End();
  const int n = options_.threads > 0
                    ? options_.threads
                    : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  for (int i = 0; i < n; ++i) impl_->workers.emplace_back([this] { impl_->Work(options_); });
}

OcrPool::~OcrPool() {
  {
    std::lock_guard lock(impl_->mu);
    impl_->stopping = true;
  }
  impl_->cv.notify_all();
  for (auto& t : impl_->workers) t.join();
}

int OcrPool::threads() const { return static_cast<int>(impl_->workers.size()); }

std::future<std::string> OcrPool::Submit(cv::Mat rgb) {
  NCB_CHECK(rgb.type() == CV_8UC3 && rgb.isContinuous());
  Impl::Job job{std::move(rgb), {}};
  auto fut = job.result.get_future();
  {
    std::lock_guard lock(impl_->mu);
    impl_->queue.push_back(std::move(job));
  }
  impl_->cv.notify_one();
  return fut;
}

std::shared_future<std::string> OcrPool::SubmitOnce(cv::Mat rgb) {
  const std::string key = OcrTextCache::ImageKey(rgb);
  return SubmitOnce(std::move(rgb), key);
}

std::shared_future<std::string> OcrPool::SubmitOnce(cv::Mat rgb, const std::string& key) {
  std::lock_guard lock(impl_->recent_mu);
  if (auto it = impl_->recent.find(key); it != impl_->recent.end()) return it->second;
  auto fut = Submit(std::move(rgb)).share();
  impl_->recent[key] = fut;
  impl_->recent_order.push_back(key);
  if (impl_->recent_order.size() > kRecentImages) {
    impl_->recent.erase(impl_->recent_order.front());
    impl_->recent_order.pop_front();
  }
  return fut;
}

std::shared_ptr<OcrPool> OcrPool::Shared(const OcrOptions& options) {
  static std::mutex mu;
  static std::map<std::string, std::weak_ptr<OcrPool>> pools;
  const std::string key = options.ToJson().dump();
  std::lock_guard lock(mu);
  if (auto p = pools[key].lock()) return p;
  auto p = std::make_shared<OcrPool>(options);
  pools[key] = p;
  return p;
}

}  // namespace ncb
