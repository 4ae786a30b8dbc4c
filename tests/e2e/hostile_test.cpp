// Hostile and broken input: every file of tests/hostile/ (see its README) through the reader
// that meets it in a run, and all of them at once through `ncbench eval`. Each bad file gives
// an ncb::Error that names the file and what was wrong; none crashes the harness, and a run
// over them loses none of the good samples.
#include <fstream>
#include <map>
#include <opencv2/core.hpp>
#include <set>

#include "bench/checkpoint/nc_spec.h"
#include "bench/checkpoint/reference_checkpoints.h"
#include "core/errors.h"
#include "datasets/cast.h"
#include "datasets/frame_source.h"
#include "datasets/gui_log.h"
#include "datasets/manifest.h"
#include "datasets/tape.h"
#include "tests/test_util.h"

namespace ncb {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

fs::path Corpus() { return test::SourceDir() / "tests/hostile"; }

// Reads `path` the way a run does for its kind of file, to the last frame for footage.
void ReadAsARunWould(const fs::path& path) {
  const std::string ext = path.extension().string();
  const std::string name = path.filename().string();
  if (name.rfind("spec_", 0) == 0) {
    std::ifstream in(path);
    const json j = json::parse(in, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) throw FormatError(path.string() + ": not valid JSON");
    NcSpec::FromJson(j, path.string());
  } else if (ext == ".tape") {
    TapeTimeline(ReadTape(path));
  } else if (ext == ".csv" || ext == ".json") {
    ReadGuiLog(path);
  } else if (ext == ".cast") {
    ReadCast(path);
  }
  if (ext == ".cast" || ext == ".mp4" || fs::is_directory(path)) {
    auto source = OpenFrameSource(path);
    cv::Mat frame;
    int64_t n = 0;
    while (source->Read(&frame)) ++n;
    if (n == 0) throw FormatError(path.string() + ": no frames");
  }
}

struct Case {
  std::string file;
  std::vector<std::string> expect;  // substrings of the error; empty: valid (videos: any error)
  bool valid() const { return expect.empty() && file.rfind("video_", 0) != 0; }
};

// What each file of the corpus must give. The file's name is expected in every error too.
const std::vector<Case>& Cases() {
  static const std::vector<Case> cases = {
      {"cast_invalid_utf8.cast", {":2:", "UTF-8"}},
      {"cast_escape_flood.cast", {}},  // legal, if unkind: renders, bounded
      {"cast_huge_size.cast", {"width"}},
      {"cast_negative_size.cast", {"width"}},
      {"cast_huge_resize.cast", {":2:", "resize"}},
      {"cast_number_overflow.cast", {":2:"}},
      {"cast_wrong_types.cast", {":2:", "time"}},
      {"cast_negative_time.cast", {":2:", "time"}},
      {"tape_unknown_command.tape", {":3:", "unknown command 'Wiggle'"}},
      {"tape_huge_size.tape",
       {}},  // vhs's Width: kept, never read (ncbench renders at its own size)
      {"tape_negative_sleep.tape", {":2:", "duration '-5s'"}},
      {"tape_unterminated_string.tape", {":1:"}},
      {"gui_wrong_types.csv", {":3:", "X"}},
      {"gui_nan.csv", {":2:", "Timestamp"}},
      {"gui_negative_coords.csv", {":2:", "X"}},
      {"gui_wrong_types.json", {"actions[0].x"}},
      {"gui_unknown_action.json", {"teleport"}},
      {"spec_huge_size.json", {"expected an integer in 8..8192"}},
      {"spec_negative_size.json", {"height"}},
      {"spec_wrong_types.json", {"fps"}},
      {"spec_zero_fps.json", {"fps"}},
      {"video_empty.mp4", {}},
      {"video_random_bytes.mp4", {}},
      {"video_text.mp4", {}},
      {"video_truncated.mp4", {}},
      {"video_zero_frames.mp4", {}},
      {"video_cut_mid_stream.mp4", {"cannot be decoded"}},
      {"frames_mixed_sizes", {"000002.png"}},
  };
  return cases;
}

TEST(Hostile, EveryFileOfTheCorpusGivesAClearError) {
  std::set<std::string> covered;
  for (const auto& c : Cases()) {
    SCOPED_TRACE(c.file);
    covered.insert(c.file);
    const fs::path path = Corpus() / c.file;
    ASSERT_TRUE(fs::exists(path));
    const bool valid = c.valid();
    try {
      ReadAsARunWould(path);
      EXPECT_TRUE(valid) << "read without an error";
    } catch (const Error& e) {
      const std::string what = e.what();
      EXPECT_FALSE(valid) << what;
      EXPECT_NE(what.find(c.file), std::string::npos) << what;
      for (const auto& s : c.expect)
        EXPECT_NE(what.find(s), std::string::npos) << "expected '" << s << "' in: " << what;
    } catch (const std::exception& e) {
      ADD_FAILURE() << "an exception other than ncb::Error: " << e.what();
    }
  }
  // The manifest reader keeps going: each bad line is an error of its own.
  const Manifest m = ReadManifest(Corpus() / "manifest_wrong_types.jsonl");
  covered.insert("manifest_wrong_types.jsonl");
  EXPECT_TRUE(m.samples.empty());
  ASSERT_EQ(m.errors.size(), 3u);
  EXPECT_NE(m.errors[0].message.find("manifest_wrong_types.jsonl:1: field \"id\""),
            std::string::npos)
      << m.errors[0].message;
  EXPECT_NE(m.errors[1].message.find(":2: field \"video\""), std::string::npos)
      << m.errors[1].message;
  EXPECT_NE(m.errors[2].message.find(":3: field \"fps\""), std::string::npos)
      << m.errors[2].message;
  // Every file of the corpus has its case here.
  for (const auto& entry : fs::directory_iterator(Corpus())) {
    const std::string name = entry.path().filename().string();
    if (name != "README.md") {
      EXPECT_TRUE(covered.count(name)) << name << " has no case";
    }
  }
}

// All the footage, casts, tapes and logs of the corpus as samples of two runs (a CLI and a GUI
// static baseline, since a sample must have its checkpoint's modality), beside a good sample:
// each run ends (exit 3: some samples failed), the good sample is scored, and each bad
// sample's error names its file.
TEST(Hostile, ARunOverTheCorpusScoresTheGoodSampleAndNamesEveryBadFile) {
  test::TempDir tmp;
  WriteStaticBaseline(test::CliSpec(64, 48, 15, "static"), tmp / "static.pt");
  NcSpec gui_spec = test::CliSpec(64, 48, 15, "static-gui");
  gui_spec.modality = "gui";
  WriteStaticBaseline(gui_spec, tmp / "static-gui.pt");
  std::ofstream(tmp / "good.cast")
      << "{\"version\": 2, \"width\": 40, \"height\": 8}\n"
      << "[0.1, \"o\", \"$ ls\\r\\n\"]\n[0.3, \"o\", \"a b c\\r\\n$ \"]\n";
  std::map<std::string, std::string> bad, valid;  // id -> its file
  {
    std::ofstream m(tmp / "cli.jsonl"), g(tmp / "gui.jsonl");
    m << json{{"id", "good"}, {"modality", "cli"}, {"video", (tmp / "good.cast").string()}}.dump()
      << "\n";
    int i = 0;
    for (const auto& c : Cases()) {
      const std::string ext = fs::path(c.file).extension().string();
      const std::string id = "case" + std::to_string(i++);
      const std::string path = (Corpus() / c.file).string();
      if (ext == ".mp4" || ext == ".cast" || ext.empty()) {
        m << json{{"id", id}, {"modality", "cli"}, {"video", path}}.dump() << "\n";
      } else if (ext == ".tape") {
        m << json{{"id", id},
                  {"modality", "cli"},
                  {"video", (tmp / "good.cast").string()},
                  {"actions", path}}
                 .dump()
          << "\n";
      } else if (ext == ".csv" || ext == ".json") {
        if (c.file.rfind("spec_", 0) == 0) continue;
        g << json{{"id", id},
                  {"modality", "gui"},
                  {"video", (tmp / "good.cast").string()},
                  {"actions", path}}
                 .dump()
          << "\n";
      } else {
        continue;
      }
      (c.valid() ? valid : bad)[id] = c.file;
    }
  }
  std::map<std::string, json> by_id;
  for (const std::string run_of : {"cli", "gui"}) {
    const fs::path out = tmp / ("out-" + run_of);
    const std::string ckpt = run_of == "cli" ? "static.pt" : "static-gui.pt";
    const auto run =
        test::Run(test::NcbenchExe().string() + " eval --checkpoint " + (tmp / ckpt).string() +
                  " --dataset " + (tmp / (run_of + ".jsonl")).string() +
                  " --metrics psnr,ssim --max-frames 4 --quiet --out " + out.string());
    EXPECT_EQ(run.status, 3) << run.output;
    const json r = test::ReadJson(out / "report.json");
    for (const auto& s : r["samples"]) by_id[s["id"]] = s;
    EXPECT_TRUE(fs::exists(out / "report.html"));
  }
  EXPECT_EQ(by_id["good"]["status"], "ok") << by_id["good"].dump();
  int64_t ok = 0;
  for (const auto& [id, s] : by_id) ok += s["status"] == "ok";
  for (const auto& [id, file] : valid)
    EXPECT_EQ(by_id[id]["status"], "ok") << file << ": " << by_id[id].dump();
  for (const auto& [id, file] : bad) {
    SCOPED_TRACE(file);
    ASSERT_TRUE(by_id.count(id));
    EXPECT_EQ(by_id[id]["status"], "error");
    EXPECT_NE(by_id[id].value("error", "").find(file), std::string::npos) << by_id[id].dump();
  }
  EXPECT_EQ(ok, static_cast<int64_t>(1 + valid.size()));
  EXPECT_GE(bad.size(), 20u);
}

}  // namespace
}  // namespace ncb
