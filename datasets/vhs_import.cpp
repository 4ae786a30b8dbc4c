#include "datasets/vhs_import.h"

#include <algorithm>
#include <fstream>

#include "core/errors.h"
#include "datasets/frame_source.h"
#include "datasets/tape.h"

namespace ncb {
namespace fs = std::filesystem;

std::vector<Sample> ImportVhsFolder(const fs::path& dir, const fs::path& out, const Logger& log) {
  std::vector<fs::path> tapes;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() == ".tape") tapes.push_back(e.path());
  }
  std::sort(tapes.begin(), tapes.end());
  if (tapes.empty()) throw MissingError(At(dir.string(), "holds no .tape files"));
  const fs::path base = fs::absolute(out).parent_path();
  fs::create_directories(base);
  std::ofstream manifest(out);
  if (!manifest) throw Error(At(out.string(), "cannot write manifest"));
  std::vector<Sample> samples;
  for (const auto& tape_path : tapes) {
    Sample s;
    s.id = tape_path.stem().string();
    s.modality = "cli";
    s.actions = fs::absolute(tape_path);
    try {
      const Tape tape = ReadTape(tape_path);
      if (!tape.instruction.empty()) s.captions["regular"] = tape.instruction;
      s.captions["semantic"] = CaptionFromTape(tape);
    } catch (const Error& e) {
      log(LogLevel::kWarning, e.what());
    }
    for (const char* ext : {".mp4", ".webm", ".mkv", ".gif"}) {
      if (fs::exists(dir / (s.id + ext))) s.video = fs::absolute(dir / (s.id + ext));
    }
    if (s.video.empty()) {
      log(LogLevel::kWarning, tape_path.string() + ": no rendered video beside it; skipped");
      continue;
    }
    manifest << SampleToJson(s, base).dump() << "\n";
    samples.push_back(std::move(s));
  }
  return samples;
}

}  // namespace ncb
