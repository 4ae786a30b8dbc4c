// A tape's own look, as vhs (charmbracelet/vhs, the CLIGen data's renderer) draws it: the
// frame's size, the font and its cells, the margin and the window, the theme, and bash's
// prompt. A tape that sets any of Width, Height, FontSize, FontFamily, LineHeight,
// LetterSpacing, Padding, Margin, MarginFill, BorderRadius or Theme is drawn this way, what
// it leaves unset taking vhs's defaults (1200x600, 22 px, the font list below, line height
// 1.0, letter spacing 0, padding 60, no margin, vhs's theme); a tape that sets none keeps
// ncbench's plain look (datasets record's options).
//
// The layout is xterm.js's (vhs's terminal) in a Width x Height frame: the margin's fill
// around a window of the theme's background with rounded corners, the text inside it after
// the padding; cells the font's advance + the letter spacing wide and the font's height x the
// line height tall; the rows and columns that fit. Bash's prompt is vhs's: "> " in #5A56E0.
// The cursor blinks as xterm.js's does (Set CursorBlink false: steady).
#pragma once

#include <string>

#include "datasets/tape.h"
#include "datasets/terminal.h"

namespace ncb {

struct TapeLook {
  bool vhs = false;  // the tape sets its look
  RenderOptions render;
  // Where vhs: the terminal's rows and columns, bash's PS1 and what it prints.
  int rows = 0, cols = 0;
  std::string prompt, prompt_shown;
  // Read from any tape: Set Framerate (0: unset) and Set PlaybackSpeed (vhs plays the
  // recording this many times faster: a frame at real time t shows at t / speed).
  double framerate = 0, playback_speed = 1;
};

// vhs's font list, in its order: the first one installed is drawn.
constexpr const char* kVhsFontFamily =
    "JetBrains Mono,DejaVu Sans Mono,Menlo,Bitstream Vera Sans Mono,Inconsolata,Roboto Mono,"
    "Hack,Consolas,ui-monospace,monospace";
// xterm.js's BLINK_INTERVAL (CursorBlinkStateManager): the cursor's on and off phases.
constexpr double kXtermBlinkS = 0.6;
// vhs's PS1 for bash.
constexpr const char* kVhsPrompt = "\\[\\e[38;2;90;86;224m\\]> \\[\\e[0m\\]";

// `render`: the look of a tape that sets none of the keys. Throws FormatError
// "<tape>: Set <Name> ..." for a value it cannot read.
TapeLook LookOfTape(const Tape& tape, const RenderOptions& render);

// The Set block every released CLIGen tape carries (metauto-ai/NeuralComputer,
// engine/cli/vhs/generators/_common.py THEME_BLOCK, MIT): Catppuccin Mocha with a white
// foreground, JetBrains Mono 40 px in 1600x900, margin 28 (#0091FF), padding 18, corners 25,
// line height 1.2, letter spacing 0.8; and its look.
extern const char* const kCligenCleanSet;
TapeLook CligenCleanLook();

}  // namespace ncb
