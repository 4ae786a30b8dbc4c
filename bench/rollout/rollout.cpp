#include "bench/rollout/rollout.h"

#include <torch/types.h>

#include <opencv2/imgcodecs.hpp>

#include "core/errors.h"
#include "core/frame.h"
#include "core/hashing.h"
#include "datasets/action_encoding.h"
#include "datasets/cast.h"
#include "datasets/gui_log.h"
#include "datasets/tape.h"

namespace ncb {

int64_t SampleSeed(int64_t run_seed, const std::string& id) {
  return static_cast<int64_t>((static_cast<uint64_t>(run_seed) + Fnv1a64(id)) % (1ull << 31));
}

namespace {

ScreenMap MapFor(int src_w, int src_h, const NcSpec& spec, const AlignOptions& o) {
  return o.resize == "letterbox" ? ScreenMap::Letterbox(src_w, src_h, spec.width, spec.height)
                                 : ScreenMap::Stretch(src_w, src_h, spec.width, spec.height);
}

torch::Tensor Align(const cv::Mat& bgr, const std::string& where, const NcSpec& spec,
                    const AlignOptions& o, bool* resized) {
  auto t = MatToFrame(bgr, o.device);
  if (t.size(1) == spec.height && t.size(2) == spec.width) return t;
  if (o.resize == "none") {
    throw FormatError(At(where, "frame is " + std::to_string(t.size(2)) + "x" +
                                    std::to_string(t.size(1)) + "; the checkpoint renders " +
                                    std::to_string(spec.width) + "x" + std::to_string(spec.height) +
                                    " and --resize none forbids resizing"));
  }
  if (resized) *resized = true;
  const auto m = MapFor(static_cast<int>(t.size(2)), static_cast<int>(t.size(1)), spec, o);
  if (m.content_w == spec.width && m.content_h == spec.height)
    return ResizeFrame(t, spec.height, spec.width);
  auto canvas = torch::zeros({3, spec.height, spec.width}, t.options());
  canvas.narrow(1, static_cast<int64_t>(m.py), m.content_h)
      .narrow(2, static_cast<int64_t>(m.px), m.content_w)
      .copy_(ResizeFrame(t, m.content_h, m.content_w));
  return canvas;
}

// Validates the sample's action log, collects its event times (for the action-window metrics)
// and builds the action tensor. CLI checkpoints take no actions (action_dim 0): the log is
// still parsed so a broken one is reported rather than silently ignored.
void BuildActions(const Sample& s, const NcSpec& spec, const AlignOptions& o, double video_fps,
                  int64_t video_frames, const cv::Mat& frame0, PreparedSample* p) {
  std::optional<GuiLog> gui;
  if (!s.actions.empty()) {
    const auto ext = s.actions.extension().string();
    if (ext == ".tape") {
      for (const auto& e : TapeTimeline(ReadTape(s.actions))) {
        if (e.kind == "type" || e.kind == "key") p->event_times.push_back(e.time);
      }
    } else if (ext == ".cast") {
      for (const auto& e : ReadCast(s.actions).events) {
        if (e.code == "i") p->event_times.push_back(e.time);
      }
    } else if (ext == ".csv" || ext == ".json") {
      gui = ReadGuiLog(s.actions);
      p->event_times = GuiActionTimes(*gui);
    } else {
      throw FormatError(
          At(s.actions.string(), "unsupported action log type '" + ext +
                                     "'; this build reads .tape, .cast, and GUI .csv/.json logs"));
    }
  }
  p->actions = torch::zeros({p->num_frames, static_cast<int64_t>(spec.action_dim)});
  if (!gui) {
    if (spec.action_encoding != "none") {
      throw FormatError(At(
          s.actions.empty() ? s.video.string() : s.actions.string(),
          "checkpoint '" + spec.name + "' takes " + spec.action_encoding +
              " actions; expected a GUI action log (.csv or .json) in the manifest's \"actions\""));
    }
    return;
  }
  EncodeOptions e;
  e.fps = spec.fps;
  e.num_frames = p->num_frames;
  e.video_fps = video_fps;
  e.video_frames = video_frames;
  e.scale_x = s.action_scale_x;
  e.scale_y = s.action_scale_y;
  e.offset_x = s.action_offset_x;
  e.offset_y = s.action_offset_y;
  e.map = MapFor(frame0.cols, frame0.rows, spec, o);
  auto enc = EncodeGuiActions(*gui, e);
  p->cursor = std::move(enc.cursor);
  p->action_events = enc.events;
  p->action_events_after_t = enc.events_after_t;
  if (spec.action_encoding == kActionEncoding) p->actions = enc.actions;
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
    throw FormatError(At(s.video.string(), "plays at " + NumText(src->fps()) +
                                               " fps; the manifest's field \"fps\" says " +
                                               NumText(*s.fps)));
  }
  // A .cast carries its own screen text; other footage may have it beside it.
  if (!s.screen_text.empty() && s.video.extension() != ".cast")
    src = WithScreenText(std::move(src), s.screen_text);
  const double source_fps = src->fps();
  const int64_t source_frames = src->frame_count();
  p.ground_truth = Resample(std::move(src), spec.fps);
  p.num_frames = p.ground_truth->frame_count() - 1;
  if (o.max_frames > 0) p.num_frames = std::min(p.num_frames, o.max_frames);
  if (p.num_frames < 1) {
    throw FormatError(At(s.video.string(), "has " + std::to_string(p.ground_truth->frame_count()) +
                                               " frame(s) at " + NumText(spec.fps) +
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
  BuildActions(s, spec, o, source_fps, source_frames, frame0, &p);
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

void GiveConditioningOf(const PreparedSample& partner, PreparedSample* p) {
  p->prompt = partner.prompt;
  p->given_by = partner.sample->id;
  const int64_t T = p->num_frames, have = partner.actions.size(0);
  if (have >= T) {
    p->actions = partner.actions.narrow(0, 0, T).clone();
  } else {
    auto a = torch::zeros({T, partner.actions.size(1)}, partner.actions.options());
    if (have > 0) {
      a.narrow(0, 0, have).copy_(partner.actions);
      if (a.size(1) >= 2)  // no event after the partner's last frame; the cursor stays put
        a.narrow(0, have, T - have)
            .narrow(1, 0, 2)
            .copy_(partner.actions[have - 1].narrow(0, 0, 2));
    }
    p->actions = a;
  }
  p->given_cursor.clear();
  for (int64_t k = 0; k <= T && !partner.cursor.empty(); ++k) {
    const size_t i = std::min(static_cast<size_t>(k), partner.cursor.size() - 1);
    p->given_cursor.push_back(partner.cursor[i]);
  }
}

}  // namespace ncb
