// Cursor detection on one frame at 1024x768 (GUIWorld's size), 1600x900 and 256x192 (the
// GUIWorld decode) with a library of five 24x24 sprites, as the embedded recordings have.
// BM_Cursor_Frame is ncbench's whole-frame search (coarse ZNCC at half size by FFT, the frame
// transformed once, then the best places re-scored at full size); BM_Cursor_Near the search
// within 32 px of a logged point that decides a hit (cursor_metric.cpp runs it first and the
// whole-frame search only when it finds nothing); BM_Cursor_MatchTemplate is the peer,
// OpenCV's masked cv::matchTemplate(TM_SQDIFF) per sprite over the whole frame, run first.
// Counter x_vs_opencv: frames/s over the peer's at the same size. Targets on 2 cores: the
// whole-frame search <= 100 ms at 1024x768 and faster than the peer; the search near a point
// <= 5 ms at every size (a hit decided for both videos in well under a decode's time).
// BM_CursorGeometry (`datasets cursor-geometry`): a 90-frame clip of an arrow moving over a
// still desktop, the logs in the pixels of a screen 1.5x larger; per frame, the pointer's
// changes against its two partners, then the whole fit. Target on 2 cores: >= 500 frames/s at
// 1024x768, well under a frame's decode (measured: 1,170 at 1024x768, 8,000 at 256x192).
// BM_LearnCursorTemplates (`datasets cursor-templates` once the frames are read): 240
// observations of a white, black-outlined arrow (3 in 4) and a black I-beam over screens of
// random texture, each with its cursor-less partner; learning, merging, calibration on the
// blurred + JPEG copies. Target on 2 cores: >= 100 observations/s (a 250-frame dataset learned
// in under 2.5 s besides decoding; measured: 123/s, 1.9 s for the 240).
// BM_CursorNet_Near: the learned detector (cursor_net.h) asked "is the cursor there?" within
// R = 8 px of a 1024 px screen, on a frame at that size and at 256x192 (the window expanded 4x
// to the library's scale first), its two nets (CursorNetOptions::members); the detector asks it
// only where the templates find nothing. Target on 2 cores: <= 5 ms a frame at each size, like
// BM_Cursor_Near (measured: 0.89 ms at 1024x768, 1.0 ms at 256x192; one net: 0.48, 0.55 ms).
// BM_TrainCursorNet: training steps of one net, 32 crops of 48x48 (`datasets cursor-templates`
// runs 1500 by default, for each of two nets). Target on 2 cores: >= 15 steps/s (a net in
// <= 100 s; measured: 16.6 steps/s on LibTorch's default threads, one here; `--threads 2` made
// the command 1.5x faster).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <optional>
#include <utility>

#include "metrics/cursor/cursor_detector.h"
#include "metrics/cursor/cursor_geometry.h"
#include "metrics/cursor/cursor_templates.h"

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

struct Fixture {
  ncb::CursorLibrary library;
  cv::Mat frame;
  Fixture(int w, int h) {
    const fs::path dir = fs::temp_directory_path() / "ncbench-cursor-bench";
    fs::create_directories(dir);
    std::ofstream index(dir / "cursors.json");
    index << R"({"screen": [1024, 768], "sprites": [)";
    for (int i = 0; i < 5; ++i) {
      // Five distinct 24x24 sprites: a black shape with a white outline, transparent around.
      cv::Mat s(24, 24, CV_8UC4, cv::Scalar(0, 0, 0, 0));
      const std::vector<cv::Point> shape = {{1, 1},   {1, 16 + i}, {5, 12},     {8 + i, 18},
                                            {10, 17}, {7, 11},     {11 + i, 11}};
      cv::fillPoly(s, std::vector<std::vector<cv::Point>>{shape}, cv::Scalar(255, 255, 255, 255));
      cv::polylines(s, std::vector<std::vector<cv::Point>>{shape}, true, cv::Scalar(0, 0, 0, 255),
                    1);
      cv::imwrite((dir / ("s" + std::to_string(i) + ".png")).string(), s);
      index << (i ? "," : "") << R"({"file": "s)" << i << R"(.png", "hotspot": [1, 1]})";
    }
    index << "]}";
    index.close();
    library = ncb::CursorLibrary::Load(dir);
    frame = cv::Mat(h, w, CV_8UC3);
    cv::randu(frame, 0, 255);
    cv::GaussianBlur(frame, frame, {0, 0}, 2);
  }
};

const Fixture& F(const benchmark::State& state) {
  static const Fixture small(1024, 768), large(1600, 900), decode(256, 192);
  return state.range(0) == 1600 ? large : state.range(0) == 256 ? decode : small;
}

std::map<int64_t, double> g_opencv_frames_per_s;  // by width

void BM_Cursor_MatchTemplate(benchmark::State& state) {
  std::vector<std::pair<cv::Mat, cv::Mat>> templates;
  for (const auto& s : F(state).library.sprites) {
    cv::Mat bgr, gray, alpha, mask;
    cv::cvtColor(s.bgra, bgr, cv::COLOR_BGRA2BGR);
    cv::cvtColor(bgr, gray, cv::COLOR_BGR2GRAY);
    cv::extractChannel(s.bgra, alpha, 3);
    cv::threshold(alpha, mask, 250, 1, cv::THRESH_BINARY);
    gray.convertTo(gray, CV_32F);
    mask.convertTo(mask, CV_32F);
    if (const double k = F(state).frame.cols / 1024.0; k < 1) {  // at the frame's scale
      cv::resize(gray, gray, {}, k, k, cv::INTER_AREA);
      cv::resize(mask, mask, {}, k, k, cv::INTER_AREA);
    }
    templates.emplace_back(gray, mask);
  }
  cv::Mat gray, image, result;
  const auto t0 = Clock::now();
  for (auto _ : state) {
    cv::cvtColor(F(state).frame, gray, cv::COLOR_BGR2GRAY);
    gray.convertTo(image, CV_32F);
    double best = 1e30;
    for (const auto& [t, m] : templates) {
      cv::matchTemplate(image, t, result, cv::TM_SQDIFF, m);
      double lo = 0;
      cv::minMaxLoc(result, &lo);
      best = std::min(best, lo);
    }
    benchmark::DoNotOptimize(best);
  }
  const double fps = static_cast<double>(state.iterations()) /
                     std::chrono::duration<double>(Clock::now() - t0).count();
  g_opencv_frames_per_s[state.range(0)] = fps;
  state.SetItemsProcessed(state.iterations());
  state.counters["frames_per_s"] = fps;
}

void Report(benchmark::State& state, Clock::time_point t0) {
  const double fps = static_cast<double>(state.iterations()) /
                     std::chrono::duration<double>(Clock::now() - t0).count();
  state.SetItemsProcessed(state.iterations());
  state.counters["frames_per_s"] = fps;
  if (g_opencv_frames_per_s[state.range(0)] > 0)
    state.counters["x_vs_opencv"] = fps / g_opencv_frames_per_s[state.range(0)];
}

void BM_Cursor_Frame(benchmark::State& state) {
  const ncb::CursorDetector detector(F(state).library, F(state).frame.size(), {1.0}, 0.8);
  const auto t0 = Clock::now();
  for (auto _ : state) benchmark::DoNotOptimize(detector.Detect(F(state).frame));
  Report(state, t0);
}

void BM_Cursor_Near(benchmark::State& state) {
  const auto& f = F(state);
  const ncb::CursorDetector detector(f.library, f.frame.size(), {1.0}, 0.8);
  const double radius = 32.0 * f.frame.cols / 1024;
  const cv::Point2d at(f.frame.cols * 0.4, f.frame.rows * 0.6);
  const auto t0 = Clock::now();
  for (auto _ : state) benchmark::DoNotOptimize(detector.Near(f.frame, at, radius));
  Report(state, t0);
}

void BM_CursorGeometry(benchmark::State& state) {
  const int w = static_cast<int>(state.range(0)), h = static_cast<int>(state.range(1));
  const double scale = 1 / 1.5;
  cv::Mat desk(h, w, CV_8UC3);
  cv::randu(desk, 0, 255);
  cv::GaussianBlur(desk, desk, {0, 0}, 3);
  std::vector<cv::Mat> grey;
  std::vector<std::optional<cv::Point2d>> logged;
  cv::RNG rng(5);
  cv::Point2d p(w * 0.75, h * 0.75);
  for (int k = 0; k < 90; ++k) {
    p.x = std::clamp(p.x + rng.uniform(-0.1, 0.1) * w, 0.0, w * 1.5 - 1);
    p.y = std::clamp(p.y + rng.uniform(-0.1, 0.1) * h, 0.0, h * 1.5 - 1);
    cv::Mat f = desk.clone();
    const cv::Point at(static_cast<int>(p.x * scale), static_cast<int>(p.y * scale));
    const int size = std::max(6, w / 48);
    const std::vector<cv::Point> arrow = {at, at + cv::Point(0, size),
                                          at + cv::Point(size / 2, size * 3 / 4)};
    if (k > 0)
      cv::fillPoly(f, std::vector<std::vector<cv::Point>>{arrow}, cv::Scalar(255, 255, 255));
    grey.emplace_back();
    cv::cvtColor(f, grey.back(), cv::COLOR_BGR2GRAY);
    logged.emplace_back(p);
  }
  std::vector<cv::Point2d> all;
  for (const auto& q : logged) all.push_back(*q);
  const double far = ncb::PartnerDistance(all);
  for (auto _ : state) {
    int busy = 0;
    const auto frames = ncb::PointerChanges(grey, logged, far, "bench", &busy);
    benchmark::DoNotOptimize(ncb::FitPointerGeometry(frames, {w, h}, "bench"));
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(grey.size()));
  state.counters["frames_per_s"] = benchmark::Counter(
      static_cast<double>(state.iterations() * grey.size()), benchmark::Counter::kIsRate);
}

void BM_LearnCursorTemplates(benchmark::State& state) {
  constexpr int c = ncb::kPatch / 2;
  const auto screen = [](cv::RNG& rng) {
    cv::Mat s(ncb::kPatch, ncb::kPatch, CV_8UC3);
    rng.fill(s, cv::RNG::UNIFORM, 0, 255);
    cv::GaussianBlur(s, s, {0, 0}, rng.uniform(1.0, 4.0));
    return s;
  };
  std::vector<ncb::CursorObservation> obs;
  cv::RNG rng(11);
  for (int k = 0; k < 240; ++k) {
    ncb::CursorObservation o;
    o.background = screen(rng);
    o.patch = o.background.clone();
    if (k % 4 != 3) {
      const std::vector<cv::Point> arrow = {{c, c},          {c, c + 17},     {c + 4, c + 13},
                                            {c + 7, c + 19}, {c + 9, c + 18}, {c + 6, c + 12},
                                            {c + 11, c + 12}};
      cv::fillPoly(o.patch, std::vector<std::vector<cv::Point>>{arrow}, cv::Scalar::all(255));
      cv::polylines(o.patch, arrow, true, cv::Scalar::all(0), 1);
    } else {
      cv::rectangle(o.patch, cv::Rect(c - 1, c - 8, 2, 17), cv::Scalar::all(0), cv::FILLED);
      cv::rectangle(o.patch, cv::Rect(c - 3, c - 8, 6, 1), cv::Scalar::all(0), cv::FILLED);
      cv::rectangle(o.patch, cv::Rect(c - 3, c + 8, 6, 1), cv::Scalar::all(0), cv::FILLED);
    }
    o.where = "bench:" + std::to_string(k);
    obs.push_back(std::move(o));
  }
  size_t sprites = 0;
  for (auto _ : state) sprites = ncb::LearnCursorTemplates(obs, "bench").sprites.size();
  state.counters["sprites"] = static_cast<double>(sprites);  // learned: 2 when measured
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(obs.size()));
  state.counters["observations_per_s"] = benchmark::Counter(
      static_cast<double>(state.iterations() * obs.size()), benchmark::Counter::kIsRate);
}

// Patches of the arrow over random screens (positives) and those screens (negatives), for
// the net's benchmarks.
std::pair<std::vector<cv::Mat>, std::vector<cv::Mat>> ArrowPatches(int n) {
  constexpr int c = ncb::kPatch / 2;
  std::vector<cv::Mat> patches, screens;
  cv::RNG rng(3);
  for (int k = 0; k < n; ++k) {
    cv::Mat screen(ncb::kPatch, ncb::kPatch, CV_8UC3);
    rng.fill(screen, cv::RNG::UNIFORM, 0, 255);
    cv::GaussianBlur(screen, screen, {0, 0}, 2);
    cv::Mat patch = screen.clone();
    const std::vector<cv::Point> arrow = {{c, c}, {c, c + 17}, {c + 4, c + 13}, {c + 11, c + 12}};
    cv::fillPoly(patch, std::vector<std::vector<cv::Point>>{arrow}, cv::Scalar::all(255));
    cv::polylines(patch, arrow, true, cv::Scalar::all(0), 1);
    patches.push_back(patch);
    screens.push_back(screen);
  }
  return {patches, screens};
}

void BM_CursorNet_Near(benchmark::State& state) {
  const auto& f = F(state);
  ncb::CursorNetOptions untrained;  // the cost does not depend on the weights
  untrained.steps = 0;
  const auto [patches, screens] = ArrowPatches(1);
  const auto net = ncb::CursorNet::Train(patches, screens, untrained);
  const double scale = f.frame.cols / 1024.0;
  const cv::Point2d at(f.frame.cols * 0.4, f.frame.rows * 0.6);
  const auto t0 = Clock::now();
  for (auto _ : state) benchmark::DoNotOptimize(net.Near(f.frame, at, 8 * scale, scale));
  Report(state, t0);
}

void BM_TrainCursorNet(benchmark::State& state) {
  const auto [patches, screens] = ArrowPatches(64);
  ncb::CursorNetOptions o;
  o.steps = 100;
  o.members = 1;  // a steps/s of one net; the command trains CursorNetOptions::members of them
  for (auto _ : state) benchmark::DoNotOptimize(ncb::CursorNet::Train(patches, screens, o));
  state.counters["steps_per_s"] = benchmark::Counter(
      static_cast<double>(state.iterations() * o.steps), benchmark::Counter::kIsRate);
}

BENCHMARK(BM_LearnCursorTemplates)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_CursorGeometry)
    ->Args({1024, 768})
    ->Args({256, 192})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_Cursor_MatchTemplate)
    ->Args({1024, 768})
    ->Args({1600, 900})
    ->Args({256, 192})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_Cursor_Frame)
    ->Args({1024, 768})
    ->Args({1600, 900})
    ->Args({256, 192})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_Cursor_Near)
    ->Args({1024, 768})
    ->Args({256, 192})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_CursorNet_Near)
    ->Args({1024, 768})
    ->Args({256, 192})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_TrainCursorNet)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
