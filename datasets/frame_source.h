// Frame sources: ground-truth and pre-rendered videos as a stream of 8-bit BGR frames.
//
// One interface for the three kinds of footage ncbench reads:
//  - a video file (mp4, mkv, webm, avi, mov), decoded by OpenCV's FFmpeg backend;
//  - a directory of numbered PNG/JPEG frames ("PNG sequence"), read in frame-number order;
//  - an asciinema cast, emulated with libvterm and rendered with FreeType (terminal.h).
// Frames are streamed: a source holds one frame at a time, never the whole clip.
#pragma once

#include <filesystem>
#include <memory>
#include <opencv2/core.hpp>
#include <optional>
#include <string>
#include <vector>

#include "datasets/terminal.h"

namespace ncb {

class FrameSource {
 public:
  virtual ~FrameSource() = default;
  // Frames per second of the footage.
  virtual double fps() const = 0;
  virtual int height() const = 0;
  virtual int width() const = 0;
  // Number of frames the source will yield.
  virtual int64_t frame_count() const = 0;
  // Reads the next frame into `bgr`; false at the end. A frame that cannot be decoded
  // throws FormatError naming the file and the frame index.
  virtual bool Read(cv::Mat* bgr) = 0;
  // The true screen text of the frame last read, where the source knows it (casts).
  virtual std::optional<std::string> ScreenText() const { return std::nullopt; }
  // The file or directory the frames come from, for error messages.
  virtual const std::string& name() const = 0;
};

struct FrameSourceOptions {
  // Used for casts only: the renderer's settings and the frame rate to sample at.
  RenderOptions render;
  double cast_fps = 15.0;
};

// Opens `path` as a video file, a frame directory, or a .cast. Throws MissingError or
// FormatError naming the path when it is absent, empty or unreadable.
std::unique_ptr<FrameSource> OpenFrameSource(const std::filesystem::path& path,
                                             const FrameSourceOptions& options = {});

// Number of frames of a source at `src_fps` resampled to `dst_fps` by nearest-earlier
// timestamps: output frame k shows source frame floor(k * src_fps / dst_fps + 1e-9).
int64_t ResampledFrameCount(int64_t src_frames, double src_fps, double dst_fps);

// Wraps a source and yields it at `dst_fps` with the mapping above (frames dropped or
// repeated, never blended), so ground truth aligns by index with a checkpoint's frames.
std::unique_ptr<FrameSource> Resample(std::unique_ptr<FrameSource> source, double dst_fps);

// Wraps a source whose true screen text is kept beside it: a JSONL file of
// {"frame": i, "text": "..."} lines (what `ncbench datasets record` writes to text/), i the
// source's own 0-based frame index. A malformed line throws FormatError naming file and line.
std::unique_ptr<FrameSource> WithScreenText(std::unique_ptr<FrameSource> source,
                                            const std::filesystem::path& jsonl);

// The images of a frame folder in frame order. Every .png/.jpg/.jpeg/.bmp file in `dir` (other
// files and subfolders are ignored) is named PREFIX + NUMBER + extension with one PREFIX for all
// (`000001.png`, `frame_7.jpg`, `12.png`); files are ordered by NUMBER, not by name, so padded
// and unpadded numbers read alike. Numbers must start at 0 or 1 and run without gaps or
// duplicates (`1.png` and `01.png` collide); anything else throws FormatError naming the folder
// and the offending files.
std::vector<std::filesystem::path> NumberedFrames(const std::filesystem::path& dir);

// True for file names ncbench reads as video files.
bool IsVideoFile(const std::filesystem::path& path);

}  // namespace ncb
