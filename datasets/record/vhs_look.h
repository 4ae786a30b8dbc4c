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
#pragma once

#include <string>

#include "datasets/record/recorder.h"
#include "datasets/tape.h"
#include "datasets/terminal.h"

namespace ncb {

struct TapeLook {
  bool vhs = false;  // the tape sets its look
  RenderOptions render;
  RecordOptions record;  // rows, columns and the prompt
};

// vhs's font list, in its order: the first one installed is drawn.
constexpr const char* kVhsFontFamily =
    "JetBrains Mono,DejaVu Sans Mono,Menlo,Bitstream Vera Sans Mono,Inconsolata,Roboto Mono,"
    "Hack,Consolas,ui-monospace,monospace";
// vhs's PS1 for bash.
constexpr const char* kVhsPrompt = "\\[\\e[38;2;90;86;224m\\]> \\[\\e[0m\\]";

// Throws FormatError "<tape>: Set <Name> ..." for a value it cannot read.
TapeLook LookOfTape(const Tape& tape, const RenderOptions& render, const RecordOptions& record);

}  // namespace ncb
