#include "datasets/record/recorder.h"

#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <fstream>
#include <iomanip>
#include <mutex>
#include <opencv2/imgcodecs.hpp>
#include <sstream>
#include <thread>

#include "core/errors.h"
#include "datasets/frame_source.h"
#include "datasets/vhs_look.h"

namespace ncb {
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

// Length of a trailing incomplete UTF-8 sequence in `s` (0 when it ends on a boundary).
size_t IncompleteUtf8Tail(const std::string& s) {
  for (size_t back = 1; back <= 3 && back <= s.size(); ++back) {
    const auto b = static_cast<unsigned char>(s[s.size() - back]);
    if ((b & 0xC0) == 0x80) continue;  // continuation byte: look further back
    size_t need = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1;
    return need > back ? back : 0;
  }
  return 0;
}

class PtyShell {
 public:
  PtyShell(const RecordOptions& o, const fs::path& home) {
    winsize ws{};
    ws.ws_row = static_cast<unsigned short>(o.rows);
    ws.ws_col = static_cast<unsigned short>(o.cols);
    pid_ = forkpty(&master_, nullptr, nullptr, &ws);
    if (pid_ < 0) throw Error(std::string("forkpty failed: ") + std::strerror(errno));
    if (pid_ == 0) {
      if (chdir(home.c_str()) != 0) _exit(126);
      const std::string home_env = "HOME=" + home.string();
      const std::string ps1 = "PS1=" + o.prompt;
      const char* env[] = {"TERM=xterm-256color",
                           ps1.c_str(),
                           "LANG=C.UTF-8",
                           "LC_ALL=C.UTF-8",
                           "PATH=/usr/local/bin:/usr/bin:/bin",
                           home_env.c_str(),
                           "SHELL=/bin/bash",
                           "HISTFILE=/dev/null",
                           nullptr};
      execle(o.shell.c_str(), "bash", "--norc", "--noprofile", "-i", nullptr, env);
      _exit(127);
    }
    reader_ = std::thread([this] { ReadLoop(); });
  }
  ~PtyShell() {
    kill(pid_, SIGKILL);
    stop_ = true;
    if (reader_.joinable()) reader_.join();
    int status = 0;
    waitpid(pid_, &status, 0);
    close(master_);
  }
  void Write(const std::string& bytes) {
    size_t off = 0;
    while (off < bytes.size()) {
      const auto n = write(master_, bytes.data() + off, bytes.size() - off);
      if (n <= 0) throw Error("writing to the shell's terminal failed");
      off += static_cast<size_t>(n);
    }
  }
  // Output chunks since the last call, with their arrival times.
  std::vector<std::pair<Clock::time_point, std::string>> Take() {
    std::lock_guard<std::mutex> lock(mu_);
    return std::exchange(chunks_, {});
  }
  Clock::time_point last_output() {
    std::lock_guard<std::mutex> lock(mu_);
    return last_;
  }

 private:
  void ReadLoop() {
    char buf[4096];
    while (!stop_) {
      pollfd p{master_, POLLIN, 0};
      if (poll(&p, 1, 10) <= 0) continue;
      const auto n = read(master_, buf, sizeof buf);
      if (n <= 0) break;
      std::lock_guard<std::mutex> lock(mu_);
      last_ = Clock::now();
      chunks_.emplace_back(last_, std::string(buf, static_cast<size_t>(n)));
    }
  }
  int master_ = -1;
  pid_t pid_ = -1;
  std::thread reader_;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::vector<std::pair<Clock::time_point, std::string>> chunks_;
  Clock::time_point last_ = Clock::now();
};

// Waits for the prompt, then for 200 ms of quiet, so frame 0 shows a settled prompt; returns
// what the shell printed meanwhile.
std::string WaitForPrompt(PtyShell& shell, const Tape& tape, const RecordOptions& options) {
  const auto deadline = Clock::now() + std::chrono::duration<double>(options.prompt_timeout_s);
  std::string preamble;
  while (true) {
    for (auto& [t, s] : shell.Take()) preamble += s;
    const bool quiet = Clock::now() - shell.last_output() > std::chrono::milliseconds(200);
    if (preamble.find(options.prompt_shown) != std::string::npos && quiet) break;
    if (Clock::now() > deadline) {
      throw Error(At(tape.file, "the shell showed no prompt within " +
                                    std::to_string(options.prompt_timeout_s) + " s"));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return preamble;
}

// Plays the timeline into the shell from `t0`, adding its input and output events to `cast`;
// time spent between a Hide and its Show is cut out of the recording.
void PlayTimeline(PtyShell& shell, const std::vector<TapeEvent>& timeline, Clock::time_point t0,
                  Cast& cast) {
  std::string carry;            // incomplete UTF-8 held for the next chunk
  double hidden_total = 0;      // seconds cut out so far
  double hide_start = -1;       // recording time at which the current Hide began
  std::vector<CastEvent> held;  // events while hidden: replayed at Show, dropped at the end
  auto rec_time = [&](Clock::time_point tp) {
    const double real = std::chrono::duration<double>(tp - t0).count();
    return hide_start >= 0 ? hide_start : real - hidden_total;
  };
  auto emit = [&](CastEvent ev) {
    if (hide_start >= 0)
      held.push_back(std::move(ev));
    else
      cast.events.push_back(std::move(ev));
  };
  auto drain = [&] {
    for (auto& [tp, s] : shell.Take()) {
      const std::string joined = carry + s;
      const size_t keep = joined.size() - IncompleteUtf8Tail(joined);
      carry = joined.substr(keep);
      if (keep > 0) emit({std::max(0.0, rec_time(tp)), "o", joined.substr(0, keep)});
    }
  };
  for (const auto& ev : timeline) {
    std::this_thread::sleep_until(
        t0 + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(ev.time)));
    drain();
    if (ev.kind == "end") break;
    if (ev.kind == "hide") {
      if (hide_start < 0) hide_start = ev.time - hidden_total;
    } else if (ev.kind == "show") {
      if (hide_start >= 0) {
        hidden_total = ev.time - hide_start;
        for (auto& h : held) {
          h.time = hide_start;  // what happened while hidden lands at once when shown
          cast.events.push_back(std::move(h));
        }
        held.clear();
        hide_start = -1;
      }
    } else {
      shell.Write(ev.bytes);
      emit({rec_time(Clock::now()), "i", ev.bytes});
    }
  }
  drain();
  // A tape that ends hidden (CLIGen's closing `Hide`) ends its recording at the Hide.
}

// Orders the events by time and makes the recording last until the tape's visible end.
void FinishCast(const std::vector<TapeEvent>& timeline, Cast& cast) {
  // Input and output events interleave; asciinema v2 wants times that never go back.
  std::stable_sort(cast.events.begin(), cast.events.end(),
                   [](const CastEvent& a, const CastEvent& b) { return a.time < b.time; });
  // The recording lasts until the tape's end (its trailing Sleeps) or its first Hide without
  // a Show, not its last byte.
  double visible_end = timeline.back().time;
  for (const auto& ev : timeline) {
    if (ev.kind == "hide") {
      visible_end = ev.time;
      break;
    }
  }
  const double last = cast.events.empty() ? 0 : cast.events.back().time;
  if (visible_end > last) cast.events.push_back({visible_end, "o", ""});
  cast.duration = cast.events.back().time;
}

}  // namespace

Cast RecordTape(const Tape& tape, const RecordOptions& options) {
  const auto timeline = TapeTimeline(tape);
  char tmpl[] = "/tmp/ncbench-home-XXXXXX";
  if (!mkdtemp(tmpl)) throw Error("cannot create a temporary HOME for the recorder");
  const fs::path home = tmpl;
  Cast cast;
  cast.width = options.cols;
  cast.height = options.rows;
  cast.header = {
      {"title", tape.id},
      {"env", {{"TERM", "xterm-256color"}, {"SHELL", "/bin/bash"}}},
      {"ncbench",
       {{"recorder", "ncbench.pty/1"}, {"tape", fs::path(tape.file).filename().string()}}}};
  {
    PtyShell shell(options, home);
    const std::string preamble = WaitForPrompt(shell, tape, options);
    const auto t0 = Clock::now();
    cast.events.push_back({0.0, "o", preamble});
    PlayTimeline(shell, timeline, t0, cast);
  }
  std::error_code ec;
  fs::remove_all(home, ec);
  FinishCast(timeline, cast);
  return cast;
}

RenderedClip RenderCastToFrames(const fs::path& cast_path, double fps, const RenderOptions& render,
                                const fs::path& frames_dir, const fs::path& text_path,
                                double speed) {
  FrameSourceOptions so;
  so.render = render;
  so.cast_fps = fps / speed;  // the cast's own rate: frame k at k x speed / fps s
  auto source = OpenFrameSource(cast_path, so);
  fs::create_directories(frames_dir);
  fs::create_directories(text_path.parent_path());
  std::ofstream text(text_path);
  cv::Mat frame;
  RenderedClip clip{0, source->width(), source->height()};
  while (source->Read(&frame)) {
    std::ostringstream name;
    name << std::setw(6) << std::setfill('0') << clip.frames << ".png";
    if (!cv::imwrite((frames_dir / name.str()).string(), frame)) {
      throw Error(At((frames_dir / name.str()).string(), "cannot write frame"));
    }
    text << nlohmann::json{{"frame", clip.frames}, {"text", *source->ScreenText()}}.dump() << "\n";
    ++clip.frames;
  }
  std::ofstream(frames_dir / "fps.txt") << fps << "\n";
  return clip;
}

std::vector<Sample> RecordDataset(const std::vector<fs::path>& tapes, const fs::path& out_dir,
                                  double fps, const RecordOptions& record,
                                  const RenderOptions& render) {
  fs::create_directories(out_dir / "casts");
  fs::create_directories(out_dir / "tapes");
  std::vector<Sample> samples;
  for (const auto& tape_path : tapes) {
    const Tape tape = ReadTape(tape_path);
    const fs::path tape_copy = out_dir / "tapes" / (tape.id + ".tape");
    fs::copy_file(tape_path, tape_copy, fs::copy_options::overwrite_existing);
    const fs::path cast_path = out_dir / "casts" / (tape.id + ".cast");
    const TapeLook look = LookOfTape(tape, render);  // the tape's Set lines, as vhs
    RecordOptions rec = record;
    if (look.vhs) rec.rows = look.rows, rec.cols = look.cols;
    if (look.vhs) rec.prompt = look.prompt, rec.prompt_shown = look.prompt_shown;
    WriteCast(RecordTape(tape, rec), cast_path);
    const double rate = fps > 0 ? fps : look.framerate > 0 ? look.framerate : kDefaultRecordFps;
    RenderCastToFrames(cast_path, rate, look.render, out_dir / "frames" / tape.id,
                       out_dir / "text" / (tape.id + ".jsonl"), look.playback_speed);
    Sample s;
    s.id = tape.id;
    s.modality = "cli";
    s.captions["regular"] = CaptionFromTape(tape);
    if (!tape.instruction.empty()) s.captions["detailed"] = tape.instruction;
    s.video = out_dir / "frames" / tape.id;
    s.actions = tape_copy;
    s.screen_text = out_dir / "text" / (tape.id + ".jsonl");
    s.fps = rate;
    samples.push_back(std::move(s));
  }
  std::ofstream manifest(out_dir / "manifest.jsonl");
  for (const auto& s : samples) manifest << SampleToJson(s, out_dir).dump() << "\n";
  return samples;
}

}  // namespace ncb
