#include "bench/rollout/rollout.h"

#include <opencv2/imgcodecs.hpp>
#include <torch/torch.h>

#include "bench/core/errors.h"
#include "bench/core/frame.h"
#include "bench/core/hashing.h"
#include "datasets/cast.h"
#include "datasets/gui_log.h"
#include "datasets/tape.h"

namespace ncb {

int64_t SampleSeed(int64_t run_seed, const std::string& id) {
  return static_cast<int64_t>((static_cast<uint64_t>(run_seed) + Fnv1a64(id)) % (1ull << 31));
}

namespace {

torch::Tensor Align(const cv::Mat& bgr, const std::string& where, const NcSpec& spec,
                    const AlignOptions& o, bool* resized) {
  auto t = MatToFrame(bgr, o.device);
  if (t.size(1) != spec.height || t.size(2) != spec.width) {
    if (o.resize == "none") {
      throw FormatError(At(where, "frame is " + std::to_string(t.size(2)) + "x" +
                                      std::to_string(t.size(1)) + "; the checkpoint renders " +
                                      std::to_string(spec.width) + "x" + std::to_string(spec.height) +
                                      " and --resize none forbids resizing"));
    }
    if (resized) *resized = true;
    t = ResizeFrame(t, spec.height, spec.width);
  }
  return t;
}

// Validates the sample's action log and collects its key events' times (for the action-window
// metrics). CLI checkpoints take no actions (action_dim 0): the log is still parsed so a
// broken one is reported rather than silently ignored.
torch::Tensor BuildActions(const Sample& s, const NcSpec& spec, int64_t frames, std::vector<double>* event_times) {
  if (!s.actions.empty()) {
    const auto ext = s.actions.extension().string();
    if (ext == ".tape") {
      for (const auto& e : TapeTimeline(ReadTape(s.actions))) {
        if (e.kind == "type" || e.kind == "key") event_times->push_back(e.time);
      }
    } else if (ext == ".cast") {
      for (const auto& e : ReadCast(s.actions).events) {
        if (e.code == "i") event_times->push_back(e.time);
      }
    } else if (ext == ".csv" || ext == ".json") {
      *event_times = GuiActionTimes(ReadGuiLog(s.actions));
    } else {
      throw FormatError(At(s.actions.string(), "unsupported action log type '" + ext +
                                                   "'; this build reads .tape, .cast, and GUI .csv/.json logs"));
    }
  }
  if (spec.action_encoding != "none") {
    throw ContractError("checkpoint '" + spec.name + "' wants actions as " + spec.action_encoding +
                        ", which this build cannot encode yet (the GUI track adds it)");
  }
  return torch::zeros({frames, static_cast<int64_t>(spec.action_dim)});
}

}  // namespace

PreparedSample PrepareSample(const Sample& s, const NcSpec& spec, const AlignOptions& o) {
  PreparedSample p;
  p.sample = &s;
  FrameSourceOptions so;
  so.render = o.render;
  so.cast_fps = s.fps.value_or(spec.fps);
  auto src = OpenFrameSource(s.video, so);
  if (s.fps && std::abs(*s.fps - src->fps()) > 1e-3 && s.video.extension() != ".cast") {
    throw FormatError(At(s.video.string(), "plays at " + std::to_string(src->fps()) +
                                               " fps; the manifest line " + std::to_string(s.line) +
                                               " says " + std::to_string(*s.fps)));
  }
  // A .cast carries its own screen text; other footage may have it beside it.
  if (!s.screen_text.empty() && s.video.extension() != ".cast") src = WithScreenText(std::move(src), s.screen_text);
  p.ground_truth = Resample(std::move(src), spec.fps);
  p.num_frames = p.ground_truth->frame_count() - 1;
  if (o.max_frames > 0) p.num_frames = std::min(p.num_frames, o.max_frames);
  if (p.num_frames < 1) {
    throw FormatError(At(s.video.string(), "has " + std::to_string(p.ground_truth->frame_count()) +
                                               " frame(s) at " + std::to_string(spec.fps) +
                                               " fps; at least 2 are needed (first frame + 1)"));
  }
  cv::Mat frame0;
  if (!p.ground_truth->Read(&frame0)) throw FormatError(At(s.video.string(), "has no frames"));
  if (s.first_frame == "gt:0") {
    p.first_frame = Align(frame0, s.video.string(), spec, o, &p.resized);
  } else {
    cv::Mat img = cv::imread(s.first_frame, cv::IMREAD_COLOR);
    if (img.empty()) throw FormatError(At(s.first_frame, "first frame cannot be read as an image"));
    p.first_frame = Align(img, s.first_frame, spec, o, nullptr);
  }
  p.prompt = s.Caption(o.caption_style);
  p.actions = BuildActions(s, spec, p.num_frames, &p.event_times);
  p.seed = SampleSeed(o.run_seed, s.id);
  return p;
}

torch::Tensor NextGroundTruthFrame(PreparedSample& p, const NcSpec& spec, const AlignOptions& o) {
  cv::Mat bgr;
  if (!p.ground_truth->Read(&bgr)) {
    throw FormatError(At(p.ground_truth->name(), "ended before the promised frame count"));
  }
  p.screen_text = p.ground_truth->ScreenText();
  return Align(bgr, p.ground_truth->name(), spec, o, &p.resized);
}

RolloutRequest MakeRequest(const std::vector<PreparedSample*>& batch) {
  NCB_CHECK(!batch.empty());
  RolloutRequest r;
  std::vector<torch::Tensor> firsts, actions;
  for (auto* p : batch) {
    NCB_CHECK(p->num_frames == batch[0]->num_frames);
    r.ids.push_back(p->sample->id);
    r.prompts.push_back(p->prompt);
    firsts.push_back(p->first_frame);
    actions.push_back(p->actions);
  }
  r.first_frame = torch::stack(firsts);
  r.actions = torch::stack(actions);
  r.num_frames = batch[0]->num_frames;
  r.seed = batch[0]->seed;
  return r;
}

}  // namespace ncb
