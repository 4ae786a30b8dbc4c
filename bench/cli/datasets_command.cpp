#include <filesystem>
#include <fstream>
#include <iostream>
#include <opencv2/imgproc.hpp>
#include <sstream>
#include <string>

#include "bench/cli/commands.h"
#include "core/errors.h"
#include "datasets/action_encoding.h"
#include "datasets/frame_source.h"
#include "datasets/gui_log.h"
#include "datasets/manifest.h"
#include "datasets/record/gui_recorder.h"
#include "datasets/record/recorder.h"
#include "datasets/vhs_import.h"
#include "metrics/cursor/cursor_geometry.h"
#include "metrics/cursor/cursor_templates.h"

namespace ncb::cli {
namespace fs = std::filesystem;

namespace {

// datasets import-vhs
void AddImportVhsCommand(CLI::App* cmd, Runner* run) {
  auto* imp =
      cmd->add_subcommand("import-vhs", "Write a manifest for a folder of vhs tapes + videos");
  auto dir = std::make_shared<std::string>();
  auto out = std::make_shared<std::string>();
  imp->add_option("DIR", *dir, "Folder of .tape files and their videos")
      ->required()
      ->check(CLI::ExistingDirectory);
  imp->add_option("--out", *out, "Manifest to write")->required();
  imp->callback([=] {
    *run = [=] {
      const auto samples = ImportVhsFolder(*dir, *out, [](LogLevel, const std::string& m) {
        std::cerr << "ncbench: warning: " << m << "\n";
      });
      std::cout << "wrote " << *out << ": " << samples.size() << " samples\n";
      return 0;
    };
  });
}

// datasets record
void AddRecordCommand(CLI::App* cmd, Runner* run) {
  auto* rec = cmd->add_subcommand("record",
                                  "Play tapes against a real shell; write casts, frames, manifest");
  auto tapes = std::make_shared<std::vector<std::string>>();
  auto rec_out = std::make_shared<std::string>();
  auto record = std::make_shared<RecordOptions>();
  auto render = std::make_shared<RenderOptions>();
  auto fps = std::make_shared<double>(0.0);  // 0: each tape's Framerate, else 15
  rec->add_option("TAPES", *tapes, "Tape files")->required()->check(CLI::ExistingFile);
  rec->add_option("--out", *rec_out, "Output folder")->required();
  rec->add_option("--rows", record->rows)->capture_default_str();
  rec->add_option("--cols", record->cols)->capture_default_str();
  rec->add_option("--fps", *fps,
                  "Frame rate of the rendered ground truth (default: a tape's Set Framerate, "
                  "else 15)")
      ->check(CLI::NonNegativeNumber);
  rec->add_option("--font-px", render->font_px)->capture_default_str();
  rec->add_option("--theme", render->theme, "catppuccin-mocha | xterm")->capture_default_str();
  rec->callback([=] {
    *run = [=] {
      std::vector<fs::path> paths(tapes->begin(), tapes->end());
      const auto samples = RecordDataset(paths, *rec_out, *fps, *record, *render);
      std::cout << "recorded " << samples.size() << " samples into " << *rec_out
                << "/manifest.jsonl\n";
      return 0;
    };
  });
}

// datasets record-gui
void AddRecordGuiCommand(CLI::App* cmd, Runner* run) {
  auto* gui = cmd->add_subcommand("record-gui",
                                  "Play .gui scripts on a fresh Xvfb desktop; write frames, "
                                  "CSV/JSON logs, cursor sprites, manifest");
  auto scripts = std::make_shared<std::vector<std::string>>();
  auto gui_out = std::make_shared<std::string>();
  auto gui_opts = std::make_shared<GuiRecordOptions>();
  gui->add_option("SCRIPTS", *scripts, ".gui script files")->required()->check(CLI::ExistingFile);
  gui->add_option("--out", *gui_out, "Output folder")->required();
  gui->add_option("--width", gui_opts->width)->capture_default_str();
  gui->add_option("--height", gui_opts->height)->capture_default_str();
  gui->add_option("--fps", gui_opts->fps)->capture_default_str();
  gui->add_option("--settle-ms", gui_opts->settle_ms,
                  "Wait after each frame's input before the grab")
      ->capture_default_str();
  gui->add_option("--window-manager", gui_opts->window_manager,
                  "Window manager program (empty: none)")
      ->capture_default_str();
  gui->add_flag("--no-cursor", gui_opts->hide_cursor,
                "Write frames without the pointer (logs unchanged): frames on which a cursor "
                "detector must find nothing");
  gui->add_option("--cursor-theme", gui_opts->cursor_theme,
                  "X cursor theme of the desktop and its programs (a folder of /usr/share/icons "
                  "with cursors/, e.g. DMZ-White, DMZ-Black, whiteglass, redglass; default: the "
                  "server's, Adwaita)");
  gui->add_option("--cursor-size", gui_opts->cursor_size, "Cursor size in px (0: the theme's)")
      ->check(CLI::Range(0, 256))
      ->capture_default_str();
  auto crop = std::make_shared<std::vector<int>>();
  auto frame_size = std::make_shared<std::vector<int>>();
  gui->add_option("--crop", *crop,
                  "Frames show only this part of the screen, x,y,w,h in screen px (the logs "
                  "keep screen px; the manifest gets action_offset)")
      ->delimiter(',')
      ->expected(4);
  gui->add_option("--frame-size", *frame_size,
                  "Frames are written at this size, W,H (default: the crop's; the manifest gets "
                  "action_scale)")
      ->delimiter(',')
      ->expected(2);
  gui->add_option("--launch-timeout", gui_opts->launch_timeout_s,
                  "Seconds to wait for Xvfb, the window manager and each launched program's window")
      ->capture_default_str();
  gui->callback([=] {
    *run = [=] {
      std::vector<fs::path> paths(scripts->begin(), scripts->end());
      GuiRecordOptions o = *gui_opts;
      if (crop->size() == 4) {
        o.crop_x = (*crop)[0];
        o.crop_y = (*crop)[1];
        o.crop_w = (*crop)[2];
        o.crop_h = (*crop)[3];
      }
      if (frame_size->size() == 2) {
        o.frame_width = (*frame_size)[0];
        o.frame_height = (*frame_size)[1];
      }
      const auto samples = RecordGuiDataset(paths, *gui_out, o);
      std::cout << "recorded " << samples.size() << " GUI samples into " << *gui_out
                << "/manifest.jsonl\n";
      return 0;
    };
  });
}

// datasets render
void AddRenderCommand(CLI::App* cmd, Runner* run) {
  auto* ren =
      cmd->add_subcommand("render", "Render an asciinema cast to PNG frames and screen text");
  auto cast = std::make_shared<std::string>();
  auto ren_out = std::make_shared<std::string>();
  auto ren_opts = std::make_shared<RenderOptions>();
  auto ren_fps = std::make_shared<double>(15.0);
  ren->add_option("CAST", *cast)->required()->check(CLI::ExistingFile);
  ren->add_option("--out", *ren_out, "Output folder")->required();
  ren->add_option("--fps", *ren_fps)->capture_default_str();
  ren->add_option("--font-px", ren_opts->font_px)->capture_default_str();
  ren->add_option("--theme", ren_opts->theme)->capture_default_str();
  ren->callback([=] {
    *run = [=] {
      const auto clip =
          RenderCastToFrames(*cast, *ren_fps, *ren_opts, fs::path(*ren_out) / "frames",
                             fs::path(*ren_out) / "text.jsonl");
      std::cout << "rendered " << clip.frames << " frames of " << clip.width << "x" << clip.height
                << " into " << *ren_out << "\n";
      return 0;
    };
  });
}

// Each frame's logged position, by the rule every metric and checkpoint gets
// (datasets/action_encoding.h: the last position of a frame <= k), in video px through the
// manifest's offset and scale, or in log px (`log_pixels`).
std::vector<std::optional<cv::Point2d>> LoggedPoints(const Sample& s, int64_t n, double fps,
                                                     bool log_pixels) {
  EncodeOptions e;
  e.fps = e.video_fps = fps;
  e.num_frames = std::max<int64_t>(n - 1, 0);
  e.video_frames = n;
  if (!log_pixels) {
    e.scale_x = s.action_scale_x;
    e.scale_y = s.action_scale_y;
    e.offset_x = s.action_offset_x;
    e.offset_y = s.action_offset_y;
  }
  e.map = ScreenMap::Stretch(1, 1, 1, 1);  // video px unchanged
  std::vector<std::optional<cv::Point2d>> at(static_cast<size_t>(std::max<int64_t>(n, 0)));
  const auto cursor = EncodeGuiActions(ReadGuiLog(s.actions), e).cursor;
  for (size_t k = 0; k < at.size() && k < cursor.size(); ++k) {
    if (cursor[k]) at[k] = cv::Point2d(cursor[k]->first, cursor[k]->second);
  }
  return at;
}

// The GUI samples of a manifest that carry an action log. What is learned from them holds for
// the whole manifest, so a line that cannot be read is refused rather than left out, as is a
// manifest without such a sample.
std::vector<const Sample*> GuiSamplesWithLogs(const Manifest& m, const std::string& manifest) {
  if (!m.errors.empty()) {
    const size_t more = m.errors.size() - 1;
    throw FormatError(m.errors.front().message +
                      (more ? " (and " + std::to_string(more) + " more bad lines)" : ""));
  }
  std::vector<const Sample*> out;
  for (const auto& s : m.samples)
    if (s.modality == "gui" && !s.actions.empty()) out.push_back(&s);
  if (out.empty())
    throw FormatError(manifest + ": no GUI sample with an action log; expected modality gui");
  return out;
}

// A library and a geometry hold for one frame size: every clip must share the first one's.
void RequireFrameSize(const Sample& s, cv::Size size, cv::Size* screen, bool first,
                      const char* remedy) {
  if (!first && size != *screen) {
    throw FormatError(s.video.string() + ": " + std::to_string(size.width) + "x" +
                      std::to_string(size.height) + " frames; expected every clip at " +
                      std::to_string(screen->width) + "x" + std::to_string(screen->height) + " (" +
                      remedy + ")");
  }
  *screen = size;
}

// The observations of one GUI sample: for every frame but the first (recordings condition on
// a screen without the pointer there) with a logged position inside the frame, the patch
// there and the same place in the nearest frame before, or after, whose logged point is at
// least kApart px away: of the two, the one more like the patch (the screen changed less in
// between). Two passes over the video, holding patches only, and up to kCursorless whole
// frames (every 4th observed one) with the screen without the cursor pasted at the logged
// point, into *cursorless. *screen: the first clip's size.
constexpr int kCursorless = 10;
std::vector<CursorObservation> ObserveCursor(const Sample& s, cv::Size* screen, bool first,
                                             std::vector<cv::Mat>* cursorless) {
  auto source = OpenFrameSource(s.video);
  const double fps = s.fps.value_or(source->fps());
  RequireFrameSize(s, {source->width(), source->height()}, screen, first,
                   "one library per frame size");
  const int64_t n = source->frame_count();
  const auto at = LoggedPoints(s, n, fps, false);
  const cv::Rect frame(0, 0, screen->width, screen->height);
  const auto far = [&](size_t k, int64_t j) {
    return j >= 0 && j < n && at[static_cast<size_t>(j)] &&
           cv::norm(*at[static_cast<size_t>(j)] - *at[k]) >= kApart;
  };
  std::vector<int64_t> before(at.size(), -1), after(at.size(), -1);
  int no_pos = 0, outside = 0, no_partner = 0;
  for (size_t k = 1; k < at.size(); ++k) {
    if (!at[k]) {
      ++no_pos;
      continue;
    }
    if (!frame.contains(cv::Point(static_cast<int>(at[k]->x), static_cast<int>(at[k]->y)))) {
      ++outside;
      continue;
    }
    for (int64_t j = static_cast<int64_t>(k) - 1; j >= 0 && before[k] < 0; --j)
      if (far(k, j)) before[k] = j;
    for (int64_t j = static_cast<int64_t>(k) + 1; j < n && after[k] < 0; ++j)
      if (far(k, j)) after[k] = j;
    no_partner += before[k] < 0 && after[k] < 0;
  }
  // The frames pasted into whole ones: every 4th observed one, up to kCursorless.
  std::vector<bool> whole_at(at.size(), false);
  for (size_t k = 1, wholes = 0; k < at.size() && wholes < kCursorless; k += 4) {
    whole_at[k] = before[k] >= 0 || after[k] >= 0;
    wholes += whole_at[k];
  }
  std::vector<CursorObservation> obs(at.size());
  std::vector<cv::Mat> later(at.size()), whole(at.size()), whole_before(at.size()),
      whole_after(at.size());
  cv::Mat bgr;
  for (int64_t f = 0; f < n && source->Read(&bgr); ++f) {
    if (const auto k = static_cast<size_t>(f); k < at.size() && whole_at[k]) whole[k] = bgr.clone();
    for (size_t k = 0; k < at.size(); ++k) {
      if (before[k] < 0 && after[k] < 0) continue;
      // Around the point, the frame's edge pixels repeated beyond it: the logged point itself
      // at the patch's pixel (kPatch/2, kPatch/2), interpolated where it lies between pixels
      // (a video resized from the logged screen), so that every observation of a sprite has
      // it at the same place; or the pixel nearest to it (`whole`: the screen without the
      // cursor pasted into a frame). getRectSubPix samples dst(i) at src(i + centre -
      // (kPatch - 1) / 2): the centre is the point less half a pixel.
      const auto patch = [&](bool whole) {
        const double x = whole ? static_cast<double>(std::lround(at[k]->x)) : at[k]->x;
        const double y = whole ? static_cast<double>(std::lround(at[k]->y)) : at[k]->y;
        cv::Mat p;
        cv::getRectSubPix(bgr, {kPatch, kPatch},
                          cv::Point2f(static_cast<float>(x - 0.5), static_cast<float>(y - 0.5)), p);
        return p;
      };
      if (static_cast<int64_t>(k) == f) obs[k].patch = patch(false);
      if (before[k] == f) obs[k].background = patch(false);
      if (after[k] == f) later[k] = patch(false);
      if (whole_at[k] && (before[k] == f || after[k] == f))
        (before[k] == f ? whole_before : whole_after)[k] = patch(true);
    }
  }
  std::vector<CursorObservation> kept;
  int same = 0;
  for (size_t k = 0; k < obs.size(); ++k) {
    if (obs[k].patch.empty()) continue;
    if (!later[k].empty() &&
        (obs[k].background.empty() || cv::norm(obs[k].patch, later[k], cv::NORM_L1) <
                                          cv::norm(obs[k].patch, obs[k].background, cv::NORM_L1))) {
      obs[k].background = later[k];
      whole_before[k] = whole_after[k];
    }
    if (!kept.empty() && cv::norm(kept.back().patch, obs[k].patch, cv::NORM_L1) == 0) {
      ++same;
      continue;  // a resting pointer over a still screen: nothing new
    }
    if (!whole[k].empty()) {  // the frame without its cursor: the partner's patch pasted
      const cv::Point c(static_cast<int>(std::lround(at[k]->x)),
                        static_cast<int>(std::lround(at[k]->y)));
      const cv::Rect box(c.x - kPatch / 2, c.y - kPatch / 2, kPatch, kPatch);
      const cv::Rect in = box & cv::Rect(0, 0, whole[k].cols, whole[k].rows);
      whole_before[k](in - box.tl()).copyTo(whole[k](in));
      cursorless->push_back(whole[k]);
    }
    obs[k].where = s.id + ":" + std::to_string(k);
    kept.push_back(std::move(obs[k]));
  }
  std::cout << s.id << ": " << at.size() << " frames, " << no_pos << " without a position, "
            << outside << " with the position outside the frame, " << no_partner
            << " without a frame whose cursor is elsewhere, " << same << " unchanged, "
            << kept.size() << " kept\n";
  return kept;
}

// A sprite's calibrated threshold as printed: 1 means the detector does not search it.
std::string Threshold(double t) {
  std::ostringstream o;
  o << t;
  return t >= 1 ? o.str() + " (not searched: look-alikes score as high)" : o.str();
}

// datasets cursor-templates
void AddCursorTemplatesCommand(CLI::App* cmd, Runner* run) {
  auto* ct = cmd->add_subcommand(
      "cursor-templates",
      "Learn a GUI dataset's cursor sprites from its ground truth at the logged positions; "
      "write the library the cursor metric reads (docs/gui.md)");
  auto manifest = std::make_shared<std::string>();
  auto out = std::make_shared<std::string>();
  ct->add_option("MANIFEST", *manifest, "GUI manifest (frames and logs)")
      ->required()
      ->check(CLI::ExistingFile);
  ct->add_option("--out", *out,
                 "Folder to write cursors.json, the sprites and the learned detector "
                 "(cursor-net.pt) into")
      ->required();
  auto net = std::make_shared<CursorNetOptions>();
  ct->add_option("--net-steps", net->steps,
                 "Training steps of the learned detector beside the templates (0: templates only)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  ct->add_option("--net-members", net->members,
                 "Nets trained from consecutive seeds, their probabilities averaged (the training "
                 "takes this many times as long)")
      ->capture_default_str()
      ->check(CLI::Range(1, 16));
  ct->add_option("--seed", net->seed, "The learned detector's random seed")->capture_default_str();
  ct->add_option("--threads", net->threads,
                 "LibTorch threads for the training (0: LibTorch's default, the physical cores)")
      ->check(CLI::Range(0, 1024))
      ->capture_default_str();
  ct->callback([=] {
    *run = [=] {
      const Manifest m = ReadManifest(*manifest);
      std::vector<CursorObservation> obs;
      std::vector<cv::Mat> cursorless;
      cv::Size screen;
      int clips = 0;
      for (const Sample* s : GuiSamplesWithLogs(m, *manifest)) {
        for (auto& x : ObserveCursor(*s, &screen, clips++ == 0, &cursorless))
          obs.push_back(std::move(x));
      }
      auto t = LearnCursorTemplates(obs, *manifest);
      CalibrateAnywhere(&t, cursorless);
      const double decode = static_cast<double>(kDecodeWidth) / screen.width;
      CalibrateShrunk(&t, obs, decode);
      if (net->steps > 0) LearnCursorNet(&t, obs, decode, *net, cursorless);
      WriteCursorTemplates(t, screen, *out);
      std::cout << "learned " << t.sprites.size() << " cursor shape(s) from " << obs.size()
                << " frames of " << clips << " clips (" << t.unassigned << " frames in no shape, "
                << t.changed << " left out: the screen changed under the pointer):\n";
      for (size_t i = 0; i < t.sprites.size(); ++i) {
        const auto& s = t.sprites[i];
        std::cout << "  cursor-" << i << ".png  " << s.bgra.cols << "x" << s.bgra.rows
                  << "  hotspot " << s.hotspot.x << "," << s.hotspot.y << "  " << s.frames
                  << " frames  " << s.pixels << " px  consistency " << s.consistency
                  << "  threshold " << Threshold(s.min_confidence);
        if (s.min_confidence_shrunk > 0)
          std::cout << "  at " << kDecodeWidth << " px wide " << Threshold(s.min_confidence_shrunk);
        if (s.min_score_anywhere > 0) {
          std::cout << "  away from the log " << s.min_score_anywhere
                    << (s.min_score_anywhere > 1 ? " (never reported there)" : "");
        }
        std::cout << (s.interior ? "  (the interior of the one above)" : "") << "\n";
      }
      std::cout << "thresholds: each sprite's 99th percentile on the cursor-less places + "
                << "0.02; at them, ceiling " << t.ceiling << ", false positives "
                << t.false_positive_rate;
      if (t.shrunk_scale > 0) {
        std::cout << "; at " << kDecodeWidth << " px wide, ceiling " << t.ceiling_shrunk
                  << ", false positives " << t.false_positive_rate_shrunk;
      }
      if (t.net) {
        std::cout << "\nlearned detector (cursor-net.pt, " << net->steps << " steps): threshold "
                  << t.net_min_confidence << ", ceiling " << t.net_ceiling << ", false positives "
                  << t.net_false_positive_rate;
        if (t.shrunk_scale > 0) {
          std::cout << "; at " << kDecodeWidth << " px wide threshold "
                    << t.net_min_confidence_shrunk << ", ceiling " << t.net_ceiling_shrunk
                    << ", false positives " << t.net_false_positive_rate_shrunk;
        }
        std::cout << "\ntemplates and net together (the metric): ceiling " << t.both_ceiling
                  << ", false positives " << t.both_false_positive_rate;
        if (t.shrunk_scale > 0) {
          std::cout << "; at " << kDecodeWidth << " px wide, ceiling " << t.both_ceiling_shrunk
                    << ", false positives " << t.both_false_positive_rate_shrunk;
        }
      }
      std::cout << "\nwrote " << *out << "/cursors.json\n";
      return 0;
    };
  });
}

// datasets cursor-geometry
void AddCursorGeometryCommand(CLI::App* cmd, Runner* run) {
  auto* cg = cmd->add_subcommand(
      "cursor-geometry",
      "Estimate the log-to-video scale and offset of a GUI dataset from its footage (the "
      "pointer that moves with the logged positions); print the fit and its residual");
  auto manifest = std::make_shared<std::string>();
  auto out = std::make_shared<std::string>();
  cg->add_option("MANIFEST", *manifest, "GUI manifest (frames and logs)")
      ->required()
      ->check(CLI::ExistingFile);
  cg->add_option("--out", *out,
                 "Write a copy of the manifest with the fitted action_scale and action_offset");
  cg->callback([=] {
    *run = [=] {
      const Manifest m = ReadManifest(*manifest);
      struct Clip {
        const Sample* sample;
        std::vector<std::optional<cv::Point2d>> logged;  // log px
      };
      std::vector<Clip> clips;
      std::vector<cv::Point2d> all;
      cv::Size screen;
      for (const Sample* s : GuiSamplesWithLogs(m, *manifest)) {
        auto source = OpenFrameSource(s->video);
        RequireFrameSize(*s, {source->width(), source->height()}, &screen, clips.empty(),
                         "one geometry per frame size: split the manifest");
        Clip c{s, LoggedPoints(*s, source->frame_count(), s->fps.value_or(source->fps()), true)};
        for (const auto& p : c.logged)
          if (p) all.push_back(*p);
        clips.push_back(std::move(c));
      }
      // One clip's grey frames at a time; what is kept of each is its pointer changes.
      const double far = PartnerDistance(all);
      std::vector<PointerFrame> frames;
      for (const auto& c : clips) {
        std::vector<cv::Mat> grey;
        auto source = OpenFrameSource(c.sample->video);
        for (cv::Mat bgr; source->Read(&bgr);) {
          grey.emplace_back();
          cv::cvtColor(bgr, grey.back(), cv::COLOR_BGR2GRAY);
        }
        int busy = 0;
        auto f = PointerChanges(grey, c.logged, far, c.sample->id, &busy);
        std::cout << c.sample->id << ": " << grey.size() << " frames, " << f.size()
                  << " with the pointer's change, " << busy << " with the screen changing\n";
        for (auto& x : f) frames.push_back(std::move(x));
      }
      const auto g = FitPointerGeometry(frames, screen, *manifest);
      std::cout << "pointer footprint " << g.footprint.width << "x" << g.footprint.height
                << " px, found in " << g.detected << " of " << g.frames << " frames; "
                << "the hotspot's shape in " << g.shape_frames << ", " << g.inliers
                << " kept by the fit\n"
                << "fit: video px = (log px - offset) x scale\n"
                << "  x: scale " << g.x.scale << "  offset " << g.x.offset << "  residual median "
                << g.x.median_abs << " px, 90th percentile " << g.x.p90_abs << " px\n"
                << "  y: scale " << g.y.scale << "  offset " << g.y.offset << "  residual median "
                << g.y.median_abs << " px, 90th percentile " << g.y.p90_abs << " px\n"
                << "  median distance " << g.median_error << " px\n";
      const Sample& first = *clips.front().sample;
      std::cout << "the manifest says: scale " << first.action_scale_x << ","
                << first.action_scale_y << "  offset " << first.action_offset_x << ","
                << first.action_offset_y << "\n";
      const nlohmann::json fields = {{"action_scale", {g.x.scale, g.y.scale}},
                                     {"action_offset", {g.x.offset, g.y.offset}}};
      std::cout << "manifest fields: " << fields.dump() << "\n";
      if (!out->empty()) {
        const fs::path to(*out);
        std::ofstream os(to);
        if (!os) throw MissingError(*out + ": cannot write the manifest");
        const fs::path base = to.has_parent_path() ? to.parent_path() : fs::path(".");
        for (const auto& s : m.samples) {
          Sample t = s;
          if (t.modality == "gui" && !t.actions.empty()) {
            t.action_scale_x = g.x.scale;
            t.action_scale_y = g.y.scale;
            t.action_offset_x = g.x.offset;
            t.action_offset_y = g.y.offset;
          }
          os << SampleToJson(t, base).dump() << "\n";
        }
        std::cout << "wrote " << *out << "\n";
      }
      return 0;
    };
  });
}

}  // namespace

void AddDatasetsCommand(CLI::App& app, Runner* run) {
  auto* cmd = app.add_subcommand("datasets", "Import, record and render held-out datasets");
  cmd->require_subcommand(1);
  AddImportVhsCommand(cmd, run);
  AddRecordCommand(cmd, run);
  AddRecordGuiCommand(cmd, run);
  AddRenderCommand(cmd, run);
  AddCursorTemplatesCommand(cmd, run);
  AddCursorGeometryCommand(cmd, run);
}

}  // namespace ncb::cli
