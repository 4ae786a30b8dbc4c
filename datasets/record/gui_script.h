// Scripts for ncbench's own desktop recordings (`.gui`, datasets/default/gui): one command per
// line, `#` comments, durations as 500ms / 1.5s. Every command but Launch and Caption takes
// frames of the recording's clock (frame k at k / fps):
//
//   Caption "The user types in the text editor."   the sample's caption
//   Launch xterm -geometry 80x24+40+40             start a program (the rest of the line, run by
//                                                  /bin/sh); waits for its window (no frames)
//   Wait 1s                                        frames with no input
//   Move 400 300 600ms                             the pointer glides there (linear), a frame each
//   step Click left|right|middle                        press and release, in one frame DoubleClick
//   two left clicks, in one frame Scroll up|down|left|right 3                    wheel notches, in
//   one frame Type "echo hi" [66ms]                          one character per frame (or per the
//   given time) Key Return | ctrl+a                            an X keysym, or a combination with
//   +; one frame RandomWalk 2s 7                                the pointer wanders smoothly for 2
//   s (seed 7),
//                                                  20 px inside the screen's edges
// Errors are FormatError "<file>:<line>: ...".
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace ncb {

struct GuiCommand {
  std::string
      name;  // Caption, Launch, Wait, Move, Click, DoubleClick, Scroll, Type, Key, RandomWalk
  std::vector<std::string>
      args;  // as written (Type/Caption: the unquoted text; Launch: one, the command line)
  double seconds = 0;  // Wait, Move, RandomWalk, Type (per character)
  int line = 0;
};

struct GuiScript {
  std::string file;
  std::string caption;
  std::vector<GuiCommand> commands;
};

GuiScript ReadGuiScript(const std::filesystem::path& path);

}  // namespace ncb
