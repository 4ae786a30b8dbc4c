#include "datasets/frame_source.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/videoio.hpp>
#include <set>

#include "core/errors.h"
#include "datasets/cast.h"

namespace ncb {
namespace fs = std::filesystem;
namespace {

class VideoFileSource : public FrameSource {
 public:
  explicit VideoFileSource(const fs::path& path) : name_(path.string()) {
    if (!fs::exists(path)) throw MissingError(At(name_, "video file does not exist"));
    if (!cap_.open(name_, cv::CAP_FFMPEG)) {
      throw FormatError(At(name_, "cannot be opened as a video (FFmpeg could not read it)"));
    }
    fps_ = cap_.get(cv::CAP_PROP_FPS);
    width_ = static_cast<int>(cap_.get(cv::CAP_PROP_FRAME_WIDTH));
    height_ = static_cast<int>(cap_.get(cv::CAP_PROP_FRAME_HEIGHT));
    count_ = static_cast<int64_t>(cap_.get(cv::CAP_PROP_FRAME_COUNT));
    if (!(fps_ > 0) || width_ <= 0 || height_ <= 0 || count_ <= 0) {
      throw FormatError(At(name_, "video reports fps " + NumText(fps_) + ", size " +
                                      std::to_string(width_) + "x" + std::to_string(height_) +
                                      ", " + std::to_string(count_) +
                                      " frames; expected positive values"));
    }
  }
  double fps() const override { return fps_; }
  int height() const override { return height_; }
  int width() const override { return width_; }
  int64_t frame_count() const override { return count_; }
  const std::string& name() const override { return name_; }
  bool Read(cv::Mat* bgr) override {
    if (next_ >= count_) return false;
    if (!cap_.read(*bgr) || bgr->empty()) {
      throw FormatError(At(name_, "frame " + std::to_string(next_) +
                                      " cannot be decoded; the container promises " +
                                      std::to_string(count_) + " frames (truncated or corrupt?)"));
    }
    if (bgr->cols != width_ || bgr->rows != height_) {
      throw FormatError(At(name_, "frame " + std::to_string(next_) + " is " +
                                      std::to_string(bgr->cols) + "x" + std::to_string(bgr->rows) +
                                      "; expected " + std::to_string(width_) + "x" +
                                      std::to_string(height_)));
    }
    ++next_;
    return true;
  }

 private:
  std::string name_;
  cv::VideoCapture cap_;
  double fps_ = 0;
  int width_ = 0, height_ = 0;
  int64_t count_ = 0, next_ = 0;
};

// A directory of numbered frames in frame order (NumberedFrames); fps from `fps.txt` beside
// them (written by ncbench) or 15 when absent.
class FrameDirSource : public FrameSource {
 public:
  explicit FrameDirSource(const fs::path& dir) : name_(dir.string()), files_(NumberedFrames(dir)) {
    cv::Mat first = cv::imread(files_[0].string(), cv::IMREAD_COLOR);
    if (first.empty()) throw FormatError(At(files_[0].string(), "cannot be decoded as an image"));
    width_ = first.cols;
    height_ = first.rows;
    if (fs::exists(dir / "fps.txt")) {
      std::ifstream in(dir / "fps.txt");
      if (!(in >> fps_) || !(fps_ > 0)) {
        throw FormatError(At((dir / "fps.txt").string(), "expected one positive number"));
      }
    }
  }
  double fps() const override { return fps_; }
  int height() const override { return height_; }
  int width() const override { return width_; }
  int64_t frame_count() const override { return static_cast<int64_t>(files_.size()); }
  const std::string& name() const override { return name_; }
  bool Read(cv::Mat* bgr) override {
    if (next_ >= files_.size()) return false;
    const auto& f = files_[next_];
    *bgr = cv::imread(f.string(), cv::IMREAD_COLOR);
    if (bgr->empty()) throw FormatError(At(f.string(), "cannot be decoded as an image"));
    if (bgr->cols != width_ || bgr->rows != height_) {
      throw FormatError(At(f.string(), "frame is " + std::to_string(bgr->cols) + "x" +
                                           std::to_string(bgr->rows) + "; expected " +
                                           std::to_string(width_) + "x" + std::to_string(height_) +
                                           " like the first frame"));
    }
    ++next_;
    return true;
  }

 private:
  std::string name_;
  std::vector<fs::path> files_;
  double fps_ = 15.0;
  int width_ = 0, height_ = 0;
  size_t next_ = 0;
};

// An asciinema recording rendered frame by frame: frame k shows the screen after every
// output event with time <= k / fps.
class CastSource : public FrameSource {
 public:
  CastSource(const fs::path& path, const FrameSourceOptions& options)
      : name_(path.string()),
        cast_(ReadCast(path)),
        fps_(options.cast_fps),
        blink_s_(options.render.cursor_blink_s),
        term_(cast_.height, cast_.width, options.render) {
    if (!(fps_ > 0)) throw Error(At(name_, "cast frame rate must be positive"));
    count_ = static_cast<int64_t>(std::floor(cast_.duration * fps_ + 1e-9)) + 1;
  }
  double fps() const override { return fps_; }
  int height() const override { return term_.pixel_height(); }
  int width() const override { return term_.pixel_width(); }
  int64_t frame_count() const override { return count_; }
  const std::string& name() const override { return name_; }
  std::optional<std::string> ScreenText() const override { return term_.ScreenText(); }
  bool Read(cv::Mat* bgr) override {
    if (next_frame_ >= count_) return false;
    const double t = static_cast<double>(next_frame_) / fps_;
    while (next_event_ < cast_.events.size() && cast_.events[next_event_].time <= t + 1e-9) {
      const auto& ev = cast_.events[next_event_++];
      if (ev.code == "o") {
        term_.Feed(ev.data);
        if (const auto at = term_.CursorCell(); at != cursor_at_) cursor_at_ = at, moved_ = ev.time;
      }
      if (ev.code == "r") {
        try {
          term_.Resize(ev.data);
        } catch (const FormatError& e) {
          throw FormatError(At(name_, "event at " + std::to_string(ev.time) + " s: " + e.what()));
        }
      }
    }
    // xterm.js restarts the blink whenever the cursor moves (RenderOptions::cursor_blink_s).
    *bgr = term_.Render(!(blink_s_ > 0) ||
                        static_cast<int64_t>(std::floor((t - moved_) / blink_s_)) % 2 == 0);
    ++next_frame_;
    return true;
  }

 private:
  std::string name_;
  Cast cast_;
  double fps_;
  double blink_s_;  // RenderOptions::cursor_blink_s
  Terminal term_;
  int64_t count_ = 0, next_frame_ = 0;
  size_t next_event_ = 0;
  std::pair<int, int> cursor_at_{0, 0};
  double moved_ = 0;  // when the cursor last moved (s)
};

class ResampledSource : public FrameSource {
 public:
  ResampledSource(std::unique_ptr<FrameSource> src, double dst_fps)
      : src_(std::move(src)),
        dst_fps_(dst_fps),
        count_(ResampledFrameCount(src_->frame_count(), src_->fps(), dst_fps)) {}
  double fps() const override { return dst_fps_; }
  int height() const override { return src_->height(); }
  int width() const override { return src_->width(); }
  int64_t frame_count() const override { return count_; }
  const std::string& name() const override { return src_->name(); }
  std::optional<std::string> ScreenText() const override { return src_->ScreenText(); }
  bool Read(cv::Mat* bgr) override {
    if (next_ >= count_) return false;
    const auto want = static_cast<int64_t>(
        std::floor(static_cast<double>(next_) * src_->fps() / dst_fps_ + 1e-9));
    while (have_ < want) {
      if (!src_->Read(&current_)) {
        throw FormatError(At(src_->name(), "ended at frame " + std::to_string(have_) +
                                               "; expected at least " + std::to_string(want + 1)));
      }
      ++have_;
    }
    current_.copyTo(*bgr);
    ++next_;
    return true;
  }

 private:
  std::unique_ptr<FrameSource> src_;
  double dst_fps_;
  int64_t count_;
  int64_t next_ = 0;
  int64_t have_ = -1;  // index of the source frame held in current_
  cv::Mat current_;
};

class ScreenTextSource : public FrameSource {
 public:
  ScreenTextSource(std::unique_ptr<FrameSource> src, const fs::path& jsonl) : src_(std::move(src)) {
    std::ifstream in(jsonl);
    if (!in) throw MissingError(At(jsonl.string(), "screen text file cannot be read"));
    int line_no = 0;
    for (std::string line; std::getline(in, line);) {
      ++line_no;
      if (line.empty()) continue;
      const std::string where = jsonl.string() + ":" + std::to_string(line_no);
      try {
        const auto j = nlohmann::json::parse(line);
        const auto frame = j.at("frame").get<int64_t>();
        if (frame < 0) throw FormatError(At(where, "field \"frame\" must be >= 0"));
        if (static_cast<int64_t>(text_.size()) <= frame)
          text_.resize(static_cast<size_t>(frame) + 1);
        text_[static_cast<size_t>(frame)] = j.at("text").get<std::string>();
      } catch (const nlohmann::json::exception& e) {
        throw FormatError(
            At(where, std::string("expected {\"frame\": int, \"text\": string}: ") + e.what()));
      }
    }
  }
  double fps() const override { return src_->fps(); }
  int height() const override { return src_->height(); }
  int width() const override { return src_->width(); }
  int64_t frame_count() const override { return src_->frame_count(); }
  const std::string& name() const override { return src_->name(); }
  bool Read(cv::Mat* bgr) override {
    if (!src_->Read(bgr)) return false;
    ++index_;
    return true;
  }
  std::optional<std::string> ScreenText() const override {
    if (index_ < 0 || index_ >= static_cast<int64_t>(text_.size())) return std::nullopt;
    return text_[static_cast<size_t>(index_)];
  }

 private:
  std::unique_ptr<FrameSource> src_;
  std::vector<std::optional<std::string>> text_;
  int64_t index_ = -1;
};

}  // namespace

std::unique_ptr<FrameSource> WithScreenText(std::unique_ptr<FrameSource> source,
                                            const fs::path& jsonl) {
  return std::make_unique<ScreenTextSource>(std::move(source), jsonl);
}

bool IsImageFile(const fs::path& path) {
  static const std::set<std::string> kExt = {".png", ".jpg", ".jpeg", ".bmp"};
  auto ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), ::tolower);
  return kExt.count(ext) > 0;
}

std::vector<fs::path> NumberedFrames(const fs::path& dir) {
  const std::string where = dir.string();
  struct Numbered {
    uint64_t number;
    fs::path path;
  };
  std::vector<Numbered> frames;
  std::string prefix, prefix_example;
  std::vector<std::string> unnumbered;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (!e.is_regular_file() || !IsImageFile(e.path())) continue;  // fps.txt, nc_spec.json, folders
    const std::string stem = e.path().stem().string(), name = e.path().filename().string();
    size_t digits = stem.size();
    while (digits > 0 && std::isdigit(static_cast<unsigned char>(stem[digits - 1]))) --digits;
    if (digits == stem.size() || stem.size() - digits > 18) {
      unnumbered.push_back(name);
      continue;
    }
    if (frames.empty()) {
      prefix = stem.substr(0, digits);
      prefix_example = name;
    } else if (stem.substr(0, digits) != prefix) {
      throw FormatError(At(where, "frame names must share one prefix before their number; '" +
                                      prefix_example + "' and '" + name +
                                      "' do not (a stray image in the frame folder?)"));
    }
    frames.push_back({std::stoull(stem.substr(digits)), e.path()});
  }
  if (!unnumbered.empty()) {
    std::sort(unnumbered.begin(), unnumbered.end());
    std::string list;
    for (size_t i = 0; i < unnumbered.size() && i < 5; ++i)
      list += (i ? ", '" : "'") + unnumbered[i] + "'";
    throw FormatError(
        At(where, "every image in a frame folder must end in its frame number (e.g. 000001.png); " +
                      list + (unnumbered.size() > 5 ? " and others" : "") +
                      (unnumbered.size() == 1 ? " does not" : " do not")));
  }
  if (frames.empty()) throw FormatError(At(where, "frame directory holds no PNG/JPEG frames"));
  std::sort(frames.begin(), frames.end(), [](const Numbered& a, const Numbered& b) {
    return a.number != b.number ? a.number < b.number : a.path < b.path;
  });
  if (frames[0].number > 1) {
    throw FormatError(At(where, "the first frame is numbered " + std::to_string(frames[0].number) +
                                    " ('" + frames[0].path.filename().string() +
                                    "'); expected frames numbered from 0 or 1"));
  }
  std::vector<fs::path> out;
  for (size_t i = 0; i < frames.size(); ++i) {
    if (i > 0 && frames[i].number == frames[i - 1].number) {
      throw FormatError(At(where, "'" + frames[i - 1].path.filename().string() + "' and '" +
                                      frames[i].path.filename().string() + "' both hold frame " +
                                      std::to_string(frames[i].number) +
                                      "; expected one file per frame number"));
    }
    if (i > 0 && frames[i].number != frames[i - 1].number + 1) {
      throw FormatError(At(
          where, "frame numbers jump from " + std::to_string(frames[i - 1].number) + " ('" +
                     frames[i - 1].path.filename().string() + "') to " +
                     std::to_string(frames[i].number) + " ('" + frames[i].path.filename().string() +
                     "'); expected consecutive numbers (a missing frame?)"));
    }
    out.push_back(frames[i].path);
  }
  return out;
}

bool IsVideoFile(const fs::path& path) {
  static const std::set<std::string> kExt = {".mp4", ".mkv", ".webm", ".avi", ".mov", ".gif"};
  auto ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), ::tolower);
  return kExt.count(ext) > 0;
}

std::unique_ptr<FrameSource> OpenFrameSource(const fs::path& path,
                                             const FrameSourceOptions& options) {
  if (!fs::exists(path)) throw MissingError(At(path.string(), "does not exist"));
  if (fs::is_directory(path)) return std::make_unique<FrameDirSource>(path);
  if (path.extension() == ".cast") return std::make_unique<CastSource>(path, options);
  if (IsVideoFile(path)) return std::make_unique<VideoFileSource>(path);
  throw FormatError(At(
      path.string(), "unknown footage type; expected a video file, a frame directory or a .cast"));
}

int64_t ResampledFrameCount(int64_t src_frames, double src_fps, double dst_fps) {
  if (src_frames <= 0) return 0;
  // Largest k with floor(k * src / dst) <= src_frames - 1.
  auto k = static_cast<int64_t>(
      std::floor(static_cast<double>(src_frames - 1) * dst_fps / src_fps + 1e-9));
  while (std::floor(static_cast<double>(k + 1) * src_fps / dst_fps + 1e-9) <=
         static_cast<double>(src_frames - 1)) {
    ++k;
  }
  while (k > 0 && std::floor(static_cast<double>(k) * src_fps / dst_fps + 1e-9) >
                      static_cast<double>(src_frames - 1)) {
    --k;
  }
  return k + 1;
}

std::unique_ptr<FrameSource> Resample(std::unique_ptr<FrameSource> source, double dst_fps) {
  if (std::abs(source->fps() - dst_fps) < 1e-9) return source;
  return std::make_unique<ResampledSource>(std::move(source), dst_fps);
}

}  // namespace ncb
