#include "bench/peers/peers.h"

#include <ATen/Parallel.h>
#include <torch/types.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <future>
#include <iomanip>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <sstream>

#include "core/command.h"
#include "core/errors.h"
#include "core/frame.h"
#include "core/throughput.h"
#include "datasets/terminal.h"
#include "metrics/perceptual/lpips.h"
#include "metrics/pixel/psnr.h"
#include "metrics/pixel/ssim.h"
#include "metrics/text/tesseract_ocr.h"
#include "metrics/weights.h"
#include "reports/markdown_table.h"
#include "reports/report.h"

#ifndef NCBENCH_SOURCE_DIR
#define NCBENCH_SOURCE_DIR "."
#endif

namespace ncb {
namespace fs = std::filesystem;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

double Since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

std::string Quote(const fs::path& p) { return "'" + p.string() + "'"; }

// A terminal screen of W x H: `variant` changes some numbers, as a model's mistakes would.
cv::Mat Screen(int i, int variant, int width, int height) {
  RenderOptions ro;
  ro.font_px = 20;
  const int rows = std::max(4, height / 25), cols = std::max(20, width / 12);
  Terminal term(rows, cols, ro);
  std::string text = "$ ls -la /var/log/apt\r\n";
  for (int line = 0; line + 3 < rows; ++line) {
    const int size = 1000 * (i + 1) + 37 * line + (variant && line % 4 == 1 ? 7 : 0);
    text += "-rw-r--r-- 1 root adm " + std::to_string(size) + " Nov " +
            std::to_string(1 + (line + i) % 28) + " 12:" + std::to_string(10 + line % 50) +
            " term-" + std::to_string(i) + "-" + std::to_string(line) + ".log\r\n";
  }
  text += "$ echo $((6 * 7))\r\n" + std::string(variant ? "24" : "42") + "\r\n$ ";
  term.Feed(text);
  cv::Mat img = term.Render();
  cv::Mat out;
  cv::copyMakeBorder(img, out, 0, std::max(0, height - img.rows), 0, std::max(0, width - img.cols),
                     cv::BORDER_REPLICATE);
  return out(cv::Rect(0, 0, width, height)).clone();
}

json Row(const std::string& kernel, double ours, const std::string& peer, double theirs,
         double target, const std::string& note) {
  json r = {{"kernel", kernel},
            {"ncbench_frames_per_s", ours},
            {"peer", peer},
            {"peer_frames_per_s", theirs},
            {"ratio", theirs > 0 ? ours / theirs : 0.0}};
  if (target > 0) {
    r["target_ratio"] = target;
    r["met"] = theirs > 0 && ours / theirs >= target;
  }
  if (!note.empty()) r["note"] = note;
  return r;
}

json Skipped(const std::string& kernel, const std::string& peer, const std::string& why) {
  return {{"kernel", kernel}, {"peer", peer}, {"skipped", why}};
}

// The frame pairs every kernel is scored on, in memory; `pairs` names their PNG files.
struct PeerFrames {
  std::vector<cv::Mat> gen, gt;
  json pairs = json::array();
};

// Renders the frame pairs and writes them as PNG files, raw rgb24 streams and pairs.json.
PeerFrames RenderFrames(const PeersOptions& o, const fs::path& out) {
  PeerFrames f;
  std::ofstream gen_raw(out / "gen.rgb", std::ios::binary),
      gt_raw(out / "gt.rgb", std::ios::binary);
  cv::RNG rng(7);
  for (int i = 0; i < o.frames; ++i) {
    cv::Mat t = Screen(i, 0, o.width, o.height), g = Screen(i, 1, o.width, o.height),
            noise(g.size(), CV_16SC3);
    rng.fill(noise, cv::RNG::NORMAL, 0, 3);
    cv::Mat g16;
    g.convertTo(g16, CV_16SC3);
    cv::add(g16, noise, g16);
    g16.convertTo(g, CV_8UC3);  // saturating
    f.gen.push_back(g);
    f.gt.push_back(t);
    const fs::path gp = out / "frames" / ("gen" + std::to_string(i) + ".png");
    const fs::path tp = out / "frames" / ("gt" + std::to_string(i) + ".png");
    cv::imwrite(gp.string(), g);
    cv::imwrite(tp.string(), t);
    f.pairs.push_back({gp.string(), tp.string()});
    for (auto [img, stream] : {std::pair{&g, &gen_raw}, std::pair{&t, &gt_raw}}) {
      cv::Mat rgb;
      cv::cvtColor(*img, rgb, cv::COLOR_BGR2RGB);
      stream->write(reinterpret_cast<const char*>(rgb.data),
                    static_cast<std::streamsize>(rgb.total() * 3));
    }
  }
  gen_raw.close();
  gt_raw.close();
  WriteJsonAtomic(out / "pairs.json", f.pairs);
  return f;
}

// Times `score` over every frame pair after one warm-up pair, in frames per second.
template <class Score>
double TimePairs(const PeerFrames& f, int frames, Score&& score) {
  score(f.gen[0], f.gt[0]);  // warm-up: allocator, thread pool
  const auto t0 = Clock::now();
  for (int i = 0; i < frames; ++i)
    score(f.gen[static_cast<size_t>(i)], f.gt[static_cast<size_t>(i)]);
  const double n = frames;
  return n / Since(t0);
}

// The largest difference between two sides' values, over the pairs both have.
double MaxDiff(const std::vector<double>& a, const std::vector<double>& b) {
  double d = 0;
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) d = std::max(d, std::abs(a[i] - b[i]));
  return d;
}

// ncbench's ssim and psnr speeds, with the values of the timed pairs (not the warm-up's).
struct PixelScores {
  double ssim_fps = 0, psnr_fps = 0;
  std::vector<double> ssim, psnr;
};

// Times ncbench's ssim and psnr kernels on the frame pairs.
PixelScores TimeOurPixelKernels(const PeerFrames& f, int frames) {
  PixelScores ours;
  bool warm = true;
  ours.ssim_fps = TimePairs(f, frames, [&](const cv::Mat& a, const cv::Mat& b) {
    const double v = Ssim(MatToFrame(a).unsqueeze(0), MatToFrame(b).unsqueeze(0))[0].item<double>();
    if (!warm) ours.ssim.push_back(v);
    warm = false;
  });
  warm = true;
  ours.psnr_fps = TimePairs(f, frames, [&](const cv::Mat& a, const cv::Mat& b) {
    const auto x = MatToFrame(a).unsqueeze(0), y = MatToFrame(b).unsqueeze(0);
    const double sse = SquaredErrorSum(x, y)[0].item<double>();
    const double v = PsnrFromSse(sse, static_cast<double>(x.numel()), 1.0).value_or(INFINITY);
    if (!warm) ours.psnr.push_back(v);
    warm = false;
  });
  return ours;
}

// Adds the ssim and psnr rows against scikit-image, or says why they were skipped.
void CompareSkimage(const PeersOptions& o, const fs::path& tools, const fs::path& out,
                    const PixelScores& ours, json& rows) {
  const double n = o.frames;
  const auto sk = RunCommand(o.python + " " + Quote(tools / "skimage_reference.py") + " " +
                             Quote(out / "pairs.json") + " 2>&1");
  json skj = json::parse(sk.output, nullptr, false);
  if (sk.status != 0 || skj.is_discarded() || !skj.contains("seconds")) {
    const std::string why = "scikit-image run failed (" + o.python +
                            " with python3-skimage): " + sk.output.substr(0, 300);
    rows.push_back(Skipped("ssim", "scikit-image", why));
    rows.push_back(Skipped("psnr", "scikit-image", why));
  } else {
    std::vector<double> sk_ssim, sk_psnr;
    for (const auto& v : skj["values"]) {
      sk_ssim.push_back(v["ssim"].get<double>());
      sk_psnr.push_back(v["psnr"].is_null() ? INFINITY : v["psnr"].get<double>());
    }
    std::ostringstream ns, np;
    ns << "scikit-image " << skj["skimage_version"].get<std::string>()
       << ", 1 thread; max |ssim difference| " << MaxDiff(ours.ssim, sk_ssim);
    np << "max |psnr difference| " << MaxDiff(ours.psnr, sk_psnr) << " dB";
    rows.push_back(Row("ssim", ours.ssim_fps, "scikit-image",
                       n / skj["seconds"]["ssim"].get<double>(), 5.0, ns.str()));
    rows.push_back(Row("psnr", ours.psnr_fps, "scikit-image",
                       n / skj["seconds"]["psnr"].get<double>(), 0, np.str()));
  }
}

// Adds the ssim and psnr rows against ffmpeg's filters over the raw streams.
void CompareFfmpeg(const PeersOptions& o, const fs::path& out, const PixelScores& ours,
                   json& rows) {
  const double n = o.frames;
  const std::string ff_version =
      RunCommand("ffmpeg -hide_banner -version 2>/dev/null | head -1").output;
  for (const std::string filter : {"ssim", "psnr"}) {
    const std::string size = std::to_string(o.width) + "x" + std::to_string(o.height);
    const std::string input = " -f rawvideo -pix_fmt rgb24 -s " + size + " -r 15 -i ";
    const std::string cmd = "ffmpeg -hide_banner -nostats -loglevel info" + input +
                            Quote(out / "gen.rgb") + input + Quote(out / "gt.rgb") +
                            " -lavfi '[0:v][1:v]" + filter + "' -f null - 2>&1";
    const auto t0 = Clock::now();
    const auto r = RunCommand(cmd);
    const double s = Since(t0);
    if (r.status != 0 || ff_version.empty()) {
      rows.push_back(Skipped(filter, "ffmpeg",
                             "ffmpeg failed or is not installed: " + r.output.substr(0, 300)));
      continue;
    }
    std::string summary;
    const auto at = r.output.find(filter == "ssim" ? "SSIM " : "PSNR ");
    if (at != std::string::npos) summary = r.output.substr(at, r.output.find('\n', at) - at);
    const std::string version = ff_version.substr(0, ff_version.find(" Copyright"));
    rows.push_back(Row(filter, filter == "ssim" ? ours.ssim_fps : ours.psnr_fps, "ffmpeg", n / s,
                       filter == "psnr" ? 1.0 : 0,
                       version + " (its clock includes its start-up and reading the raw frames" +
                           (filter == "ssim" ? std::string("; its SSIM is the 8x8-block variant")
                                             : std::string()) +
                           "); its result: " + summary));
  }
}

// Adds the lpips row against the independent PyTorch implementation, or says why it was skipped.
void CompareLpips(const PeersOptions& o, const fs::path& tools, const fs::path& out,
                  const PeerFrames& f, json& rows) {
  const double n = o.frames;
  std::vector<double> our_lpips;
  try {
    const LpipsFiles files = ResolveLpipsFiles("squeeze", "", "", "", DefaultWeightsDir());
    Lpips net(files);
    bool warm = true;
    const double lpips_fps = TimePairs(f, o.frames, [&](const cv::Mat& a, const cv::Mat& b) {
      const double v =
          net.Distance(MatToFrame(a).unsqueeze(0), MatToFrame(b).unsqueeze(0))[0].item<double>();
      if (!warm) our_lpips.push_back(v);
      warm = false;
    });
    if (files.full.empty())
      throw MissingError("the complete LPIPS SqueezeNet state_dict (lpips_squeeze_full.pt)");
    const auto py = RunCommand("NCBENCH_TORCH_THREADS=" + std::to_string(std::max(1, o.threads)) +
                               " " + o.python + " " + Quote(tools / "lpips_reference.py") +
                               " score --net squeeze --weights " + Quote(files.full) + " " +
                               Quote(out / "pairs.json") + " 2>&1");
    json pj = json::parse(py.output, nullptr, false);
    if (py.status != 0 || pj.is_discarded() || !pj.contains("seconds")) {
      rows.push_back(Skipped("lpips", "PyTorch LPIPS",
                             "the reference run failed: " + py.output.substr(0, 300)));
    } else {
      std::ostringstream note;
      note << "PyTorch " << pj["torch_version"].get<std::string>() << ", " << pj["threads"]
           << " threads; max |lpips difference| "
           << MaxDiff(our_lpips, pj["values"].get<std::vector<double>>());
      rows.push_back(
          Row("lpips", lpips_fps, "PyTorch LPIPS", n / pj["seconds"].get<double>(), 0, note.str()));
    }
  } catch (const Error& e) {
    rows.push_back(Skipped("lpips", "PyTorch LPIPS", e.what()));
  }
}

// Adds the ocr row: the pool against the tesseract program once per frame, or says why it was
// skipped.
void CompareOcr(const PeersOptions& o, const PeerFrames& f, json& rows) {
  try {
    OcrOptions oo;
    oo.threads = o.threads;
    OcrPool pool(oo);
    std::vector<cv::Mat> rgb;
    for (int i = 0; i < std::min(o.ocr_frames, o.frames); ++i) {
      cv::Mat m;
      cv::cvtColor(f.gt[static_cast<size_t>(i)], m, cv::COLOR_BGR2RGB);
      rgb.push_back(m);
    }
    {  // every worker loads its model on first use: warm them all outside the timing
      std::vector<std::future<std::string>> w;
      for (int i = 0; i < pool.threads(); ++i) w.push_back(pool.Submit(rgb[0]));
      for (auto& fut : w) fut.get();
    }
    auto t0 = Clock::now();
    std::vector<std::future<std::string>> texts;
    for (const auto& m : rgb) texts.push_back(pool.Submit(m));
    for (auto& t : texts) t.get();
    const double ours = static_cast<double>(rgb.size()) / Since(t0);
    t0 = Clock::now();
    bool ok = true;
    for (size_t i = 0; i < rgb.size(); ++i) {
      const auto r =
          RunCommand("tesseract " + Quote(f.pairs[i][1].get<std::string>()) + " - --psm " +
                     std::to_string(oo.psm) + " -l " + oo.lang + " 2>/dev/null");
      ok &= r.status == 0;
    }
    const double theirs = static_cast<double>(rgb.size()) / Since(t0);
    if (!ok) throw MissingError("the tesseract program (package tesseract-ocr) failed");
    rows.push_back(Row("ocr", ours, "tesseract program", theirs, 1.5,
                       std::to_string(pool.threads()) +
                           " pool workers vs one program run per frame, --psm " +
                           std::to_string(oo.psm) + ", " + std::to_string(rgb.size()) + " frames"));
  } catch (const Error& e) {
    rows.push_back(Skipped("ocr", "tesseract program", e.what()));
  }
}

}  // namespace

json RunPeers(const PeersOptions& o, const Logger& log) {
  if (o.frames < 1 || o.ocr_frames < 0 || o.width < 16 || o.height < 16) {
    throw Error(
        "bench-peers: --frames must be >= 1, --ocr-frames >= 0, and the size at least 16x16");
  }
  if (o.threads > 0) at::set_num_threads(o.threads);
  const fs::path out =
      o.out_dir.empty() ? fs::temp_directory_path() / "ncbench-peers" : fs::path(o.out_dir);
  const fs::path tools = o.tools_dir.empty() ? fs::path(NCBENCH_SOURCE_DIR) / "tests" / "tools"
                                             : fs::path(o.tools_dir);
  fs::create_directories(out / "frames");

  // The frames, as images in memory, PNG files and raw rgb24 streams.
  log(LogLevel::kInfo, "rendering " + std::to_string(o.frames) + " frame pairs at " +
                           std::to_string(o.width) + "x" + std::to_string(o.height));
  const PeerFrames frames = RenderFrames(o, out);

  // ncbench's side, then each peer's.
  const PixelScores ours = TimeOurPixelKernels(frames, o.frames);
  json rows = json::array();
  CompareSkimage(o, tools, out, ours, rows);
  CompareFfmpeg(o, out, ours, rows);
  CompareLpips(o, tools, out, frames, rows);
  if (o.ocr_frames > 0) CompareOcr(o, frames, rows);

  json result = {{"schema", "ncbench.peers/1"},
                 {"context", MakeContext({{}, "cpu", 0})},
                 {"device", DescribeDevice(torch::kCPU)},
                 {"threads", DescribeThreads()},
                 {"frames", o.frames},
                 {"size", {o.width, o.height}},
                 {"rows", rows}};
  WriteJsonAtomic(out / "peers.json", result);
  return result;
}

std::string PeersTable(const json& r) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(2);
  s << "ncbench vs peers: " << r["frames"] << " frame pairs at " << r["size"][0] << "x"
    << r["size"][1] << ", " << r["device"].value("name", "?") << ", " << r["threads"]["intra_op"]
    << " LibTorch threads\n\n";
  MarkdownTable table({{"kernel"},
                       {"ncbench frames/s", true},
                       {"peer"},
                       {"peer frames/s", true},
                       {"ratio", true},
                       {"target", true},
                       {"met"}});
  for (const auto& row : r["rows"]) {
    const std::string kernel = row["kernel"].get<std::string>(),
                      peer = row["peer"].get<std::string>();
    if (row.contains("skipped")) {
      table.Row({kernel, "", peer, "", "", "", "skipped: " + row["skipped"].get<std::string>()});
      continue;
    }
    const bool target = row.contains("target_ratio");
    table.Row({kernel, Fixed(row["ncbench_frames_per_s"].get<double>(), 2), peer,
               Fixed(row["peer_frames_per_s"].get<double>(), 2),
               Fixed(row["ratio"].get<double>(), 2) + "x",
               target ? ">= " + Fixed(row["target_ratio"].get<double>(), 2) + "x" : "",
               target ? (row["met"].get<bool>() ? "yes" : "NO") : ""});
  }
  s << table.str();
  s << "\n";
  for (const auto& row : r["rows"]) {
    if (row.contains("note"))
      s << row["kernel"].get<std::string>() << " vs " << row["peer"].get<std::string>() << ": "
        << row["note"].get<std::string>() << "\n";
  }
  return s.str();
}

}  // namespace ncb
