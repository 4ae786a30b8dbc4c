// The recorder for ncbench's own CLI data: a vhs-like tape played against a real shell in a
// pseudo-terminal, captured as an asciinema v2 cast with real timing, then rendered.
//
// The shell is bash --norc --noprofile with a fixed environment (TERM=xterm-256color,
// PS1='$ ', HOME a fresh temporary folder, LANG=C.UTF-8), so recordings differ between
// machines only in timing and in what the commands themselves print. Like vhs, time spent
// hidden (between Hide and Show) is cut out of the recording; output during it still reaches
// the emulator at the moment the recording resumes.
#pragma once

#include <filesystem>
#include <string>

#include "datasets/cast.h"
#include "datasets/manifest.h"
#include "datasets/tape.h"
#include "datasets/terminal.h"

namespace ncb {

struct RecordOptions {
  int rows = 24;
  int cols = 80;
  std::string shell = "/bin/bash";
  double prompt_timeout_s = 10.0;   // waiting for the first prompt
  std::string prompt = "$ ";        // bash's PS1
  std::string prompt_shown = "$ ";  // what it prints, waited for before the tape starts
};

// Plays `tape` against a fresh shell; throws Error when the shell cannot be started or
// never shows a prompt.
Cast RecordTape(const Tape& tape, const RecordOptions& options);

struct RenderedClip {
  int64_t frames = 0;
  int width = 0, height = 0;
};

// Renders `cast` at `fps` into `frames_dir` (000000.png ..., fps.txt) and writes the true
// screen text of every frame to `text_path` as JSONL {"frame": k, "text": "..."}. `speed`:
// frame k shows the cast at k x speed / fps s (vhs's PlaybackSpeed).
RenderedClip RenderCastToFrames(const std::filesystem::path& cast_path, double fps,
                                const RenderOptions& render,
                                const std::filesystem::path& frames_dir,
                                const std::filesystem::path& text_path, double speed = 1);

// Records every tape into `out_dir` (casts/, frames/, text/, tapes/, manifest.jsonl) and
// returns the samples written. `fps`: the frames' rate; 0: each tape's Set Framerate, or
// kDefaultRecordFps where it sets none. A tape's Set PlaybackSpeed speeds its frames up.
constexpr double kDefaultRecordFps = 15.0;
std::vector<Sample> RecordDataset(const std::vector<std::filesystem::path>& tapes,
                                  const std::filesystem::path& out_dir, double fps,
                                  const RecordOptions& record, const RenderOptions& render);

}  // namespace ncb
