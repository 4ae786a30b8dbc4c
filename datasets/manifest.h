// Held-out dataset manifests: JSONL, one sample per line.
//
// {"id": "demo_000003",                 required, unique, [A-Za-z0-9._-]+
//  "modality": "cli" | "gui",           required
//  "captions": {"regular": "..."},      caption by style: semantic / regular / detailed
//  "first_frame": "gt:0" | "<image>",   conditioning frame (default: ground-truth frame 0)
//  "video": "<path>",                   ground truth: video file, frame directory or .cast
//  "actions": "<path>",                 action log: .tape, .cast (CLI); .csv, .json (GUI)
//  "action_scale": 0.5 | [sx, sy],      GUI logs in another screen size or a resized view
//  "action_offset": [ox, oy],           GUI logs of a larger screen the video shows a crop of:
//                                       video px = (log px - offset) * scale
//  "screen_text": "<path>",             optional per-frame true screen text (JSONL)
//  "fps": 15,                           optional; otherwise the footage's own
//  "split": "test"}                     default "test"
// Relative paths are relative to the manifest's folder. The reader validates every line and
// keeps going: bad lines become errors that name the line, good lines become samples.
#pragma once

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace ncb {

struct Sample {
  std::string id;
  std::string modality;
  std::map<std::string, std::string> captions;
  std::string first_frame = "gt:0";
  std::filesystem::path video;
  std::filesystem::path actions;      // empty when none
  std::filesystem::path screen_text;  // empty when none
  std::optional<double> fps;
  // GUI log pixels -> video pixels: video = (log - offset) * scale, per axis.
  double action_scale_x = 1, action_scale_y = 1;
  double action_offset_x = 0, action_offset_y = 0;  // log pixels
  std::string split = "test";
  int line = 0;

  // The caption of `style`, else of the first available style in semantic, regular,
  // detailed order; empty when the sample has none.
  std::string Caption(const std::string& style) const;
};

struct ManifestError {
  int line = 0;
  std::string id;  // when the line got far enough to have one
  std::string message;
};

struct Manifest {
  std::filesystem::path path;
  std::vector<Sample> samples;
  std::vector<ManifestError> errors;
};

// Reads and validates a manifest. Throws MissingError if the file cannot be read; every
// per-line problem lands in `errors` with "<file>:<line>: <what>".
Manifest ReadManifest(const std::filesystem::path& path);

// The JSON line of a sample, with paths written relative to `base_dir` where possible.
nlohmann::json SampleToJson(const Sample& s, const std::filesystem::path& base_dir);

}  // namespace ncb
