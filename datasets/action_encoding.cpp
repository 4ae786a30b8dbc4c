#include "datasets/action_encoding.h"

#include <torch/types.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>

#include "core/errors.h"
#include "core/frame.h"

namespace ncb {

ScreenMap ScreenMap::Stretch(int src_w, int src_h, int dst_w, int dst_h) {
  ScreenMap m;
  m.sx = static_cast<double>(dst_w) / src_w;
  m.sy = static_cast<double>(dst_h) / src_h;
  m.width = m.content_w = dst_w;
  m.height = m.content_h = dst_h;
  return m;
}

ScreenMap ScreenMap::Letterbox(int src_w, int src_h, int dst_w, int dst_h) {
  ScreenMap m;
  const double s = std::min(static_cast<double>(dst_w) / src_w, static_cast<double>(dst_h) / src_h);
  const int w = std::clamp(static_cast<int>(std::lround(s * src_w)), 1, dst_w);
  const int h = std::clamp(static_cast<int>(std::lround(s * src_h)), 1, dst_h);
  m.sx = static_cast<double>(w) / src_w;
  m.sy = static_cast<double>(h) / src_h;
  m.content_w = w;
  m.content_h = h;
  m.px = (dst_w - w) / 2;
  m.py = (dst_h - h) / 2;
  m.width = dst_w;
  m.height = dst_h;
  return m;
}

int64_t EventFrame(double time, double fps) { return std::max<int64_t>(0, TimeToFrame(time, fps)); }

EncodedActions EncodeGuiActions(const GuiLog& log, const EncodeOptions& o) {
  NCB_CHECK(o.fps > 0 && o.video_fps > 0 && o.num_frames >= 1 && o.map.width > 0);
  const int64_t T = o.num_frames, D = ActionDim();
  EncodedActions out;
  out.actions = torch::zeros({T, D});
  out.actions.index_put_({torch::indexing::Slice(), torch::indexing::Slice(0, 2)}, -1.0);
  auto a = out.actions.accessor<float, 2>();
  out.cursor.assign(static_cast<size_t>(T + 1), std::nullopt);
  const double video_end = static_cast<double>(o.video_frames) / o.video_fps;
  // Keys held down: vocabulary index -> the frame of its keydown.
  std::map<int, int64_t> held;
  auto mark_held = [&](int key, int64_t from, int64_t to) {
    for (int64_t k = std::max<int64_t>(from, 1); k <= std::min(to, T); ++k) a[k - 1][7 + key] = 1;
  };
  std::vector<std::pair<int64_t, std::pair<double, double>>> positions;  // (frame, canvas px)
  for (const auto& e : log.events) {
    ++out.events;
    if (EventFrame(e.time, o.video_fps) >= o.video_frames) {
      throw FormatError(log.file + ":" + std::to_string(e.line) + ": " + e.action + " at " +
                        std::to_string(e.time) + " s is past the video's end (" +
                        std::to_string(o.video_frames) + " frames at " + NumText(o.video_fps) +
                        " fps end at " + std::to_string(video_end) +
                        " s); expected events within the recording");
    }
    const int64_t f = EventFrame(e.time, o.fps);
    if (e.x >= 0 && e.y >= 0) {
      positions.push_back(
          {f, o.map.Map((e.x - o.offset_x) * o.scale_x, (e.y - o.offset_y) * o.scale_y)});
    }
    if (f > T) {
      ++out.events_after_t;
      if (e.action == "key_up") held.erase(KeyIndex(e.key));
      continue;
    }
    if (e.action == "key_down") {
      held.emplace(KeyIndex(e.key), f);
      continue;
    }
    if (e.action == "key_up") {
      const int key = KeyIndex(e.key);
      auto it = held.find(key);
      mark_held(key, it == held.end() ? f : it->second, f);
      if (it != held.end()) held.erase(it);
      continue;
    }
    if (f < 1) continue;  // frame 0 is the conditioning frame: only its position counts
    auto row = a[f - 1];
    if (e.action == "left_click" || e.action == "double_click" || e.action == "triple_click")
      row[2] = 1;
    if (e.action == "right_click") row[3] = 1;
    if (e.action == "middle_click") row[4] = 1;
    if (e.action == "scroll") {
      row[5] += static_cast<float>(e.scroll_dy);
      row[6] += static_cast<float>(e.scroll_dx);
    }
    if (e.action == "key") {
      for (int k : KeysOf(e.key)) row[7 + k] = 1;
    }
    if (e.action == "type") {
      for (int k : KeysOfText(e.key)) row[7 + k] = 1;
    }
  }
  for (const auto& [key, from] : held) mark_held(key, from, T);  // never released: held to the end
  // The cursor of frame k: the last logged position at or before k.
  size_t next = 0;
  std::optional<std::pair<double, double>> last;
  for (int64_t k = 0; k <= T; ++k) {
    while (next < positions.size() && positions[next].first <= k) last = positions[next++].second;
    out.cursor[static_cast<size_t>(k)] = last;
    if (k >= 1 && last) {
      a[k - 1][0] = static_cast<float>(last->first / o.map.width);
      a[k - 1][1] = static_cast<float>(last->second / o.map.height);
    }
  }
  return out;
}

}  // namespace ncb
