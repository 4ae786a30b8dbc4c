// GUI action logs, in the two formats of the Neural Computers paper's data engine
// (metauto-ai/NeuralComputer, engine/gui/data/dataloader.py):
//
//  - the per-frame CSV: one row per frame, row k stamped (k+1)/fps, with the columns
//    `Timestamp` (seconds), `Time` or `Timestamp_formatted` (text, optional), `X`, `Y`
//    (cursor, screen pixels), `Left Click`, `Right Click` (True/False) and `Keys` or
//    `Key Events` (optional): a Python list of (event, key) tuples such as
//    [('keydown', 'a'), ('keyup', 'a'), ('scroll', 'down:3')];
//  - the computer-use action JSON: {"metadata": {"fps": ..., ...}, "actions": [{"timestamp",
//    "action" (left_click, right_click, middle_click, double_click, triple_click, type, key,
//    scroll, mouse_move, ...), "x", "y", "text", "key", "scroll_direction",
//    "scroll_amount"}, ...]}.
//
// Both are read into one timed event list. Errors are FormatError "<file>:<line>:<column>:
// <what>" (JSON: "<file>: actions[i].<field>: <what>"): a bad number, a missing column, a
// timestamp going backwards, an unknown action.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace ncb {

struct GuiEvent {
  double time = 0;        // seconds from the first frame
  std::string action;     // left_click, right_click, middle_click, double_click, triple_click,
                          // key_down, key_up, type, key, scroll, mouse_move
  double x = -1, y = -1;  // screen pixels where known, else -1
  std::string key;        // key name or typed text
  double scroll_dy = 0, scroll_dx = 0;  // notches, positive down / right
  int line = 0;                         // CSV line or JSON action index
};

struct GuiLog {
  std::string file;
  double fps = 0;                // from the JSON's metadata or the CSV's row spacing; 0 unknown
  std::vector<GuiEvent> events;  // chronological
};

GuiLog ReadGuiCsv(const std::filesystem::path& path);
GuiLog ReadGuiActionsJson(const std::filesystem::path& path);
// By extension: .csv or .json.
GuiLog ReadGuiLog(const std::filesystem::path& path);

// The times of the events the +15 action windows follow: clicks, scrolls and key presses
// (not releases, not cursor moves).
std::vector<double> GuiActionTimes(const GuiLog& log);

}  // namespace ncb
