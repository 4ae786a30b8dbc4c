// The recorder for ncbench's own GUI data: a `.gui` script (gui_script.h) played on a fresh
// Xvfb desktop (1024x768x24, the openbox window manager, real X programs), with XTest input.
//
// Unlike a live capture (ffmpeg -f x11grab), the recording runs on a virtual clock: for frame
// k the recorder injects that frame's input, waits for the server (XSync) and then
// `settle_ms` for the clients to redraw, grabs the root window (XGetImage) and draws the
// cursor in as ffmpeg's x11grab -draw_mouse does (XFixesGetCursorImage, premultiplied ARGB
// over the frame at the pointer minus the sprite's hotspot). Frame k is thus exactly time
// k / fps of the logs, whatever the machine's load: video and logs share one clock.
//
// Output (RecordGuiDataset): frames/<id>/000000.png ... + fps.txt, logs/<id>.csv (the data
// engine's per-frame CSV: row k stamped (k+1)/fps), logs/<id>.json (the action JSON),
// cursors/ (every cursor sprite seen, as BGRA PNG, and cursors.json with hotspots: the cursor
// detector's templates), manifest.jsonl. The pointer starts at (24, 24), over the desktop;
// frame 0 (the conditioning frame) is written without it, so a model starts from a screen
// with no cursor and draws the first one where the actions put it.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "datasets/manifest.h"
#include "datasets/record/gui_script.h"

namespace ncb {

struct GuiRecordOptions {
  int width = 1024, height = 768;
  double fps = 15;
  int settle_ms = 60;                      // after the input, before the grab
  std::string window_manager = "openbox";  // "" for none
  std::string background = "#3a6ea5";      // the root window's colour
  double launch_timeout_s = 30;            // for Xvfb, the window manager and each Launch
  bool hide_cursor = false;  // frames without the pointer (the logs and sprites unchanged)
  // The X cursor theme (a folder of /usr/share/icons with cursors/, e.g. DMZ-White) and
  // its size in px; "" and 0: the X server's default (Adwaita's left_ptr at 24 px here).
  std::string cursor_theme;
  int cursor_size = 0;
  // The part of the screen the frames show ([x, y, w, h]; w = 0: the whole screen) and the
  // size they are written at (0: the crop's). The logs keep screen pixels; the manifest
  // gets the action_offset and action_scale that map them onto the frames.
  int crop_x = 0, crop_y = 0, crop_w = 0, crop_h = 0;
  int frame_width = 0, frame_height = 0;
};

// Records every script into `out_dir` and returns the samples of its manifest. Throws
// MissingError when Xvfb or the window manager cannot be started, FormatError naming the
// script's line for a command the desktop cannot carry out (an unknown key, a program whose
// window never appears).
std::vector<Sample> RecordGuiDataset(const std::vector<std::filesystem::path>& scripts,
                                     const std::filesystem::path& out_dir,
                                     const GuiRecordOptions& options);

}  // namespace ncb
