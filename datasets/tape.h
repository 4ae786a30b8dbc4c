// vhs tapes: the CLIGen (Clean) script format (charmbracelet/vhs), read into a timed action log.
//
// Understood: comments (`# INSTRUCTION:` is the caption, `# ID:` the sample id), `Output`,
// `Require`, `Set <Name> <value>` (a `Set Theme { ... }` JSON block may span lines),
// `Sleep <time>`, `Type[@<time>] "<text>"`, the keys Enter, Backspace, Delete, Insert, Tab,
// Space, Escape, Up, Down, Left, Right, PageUp, PageDown (each `[@<time>] [count]`),
// `Ctrl+<key>`, `Alt+<key>`, `Hide`, `Show`. Anything else is a FormatError "<file>:<line>".
// Times: "500ms", "1.5s", "2m", or a bare number of seconds.
#pragma once

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace ncb {

struct TapeCommand {
  int line = 0;
  std::string name;     // "Type", "Enter", "Sleep", "Ctrl+C", "Hide", ...
  std::string text;     // Type's text
  int count = 1;        // key repeat count
  double seconds = -1;  // Sleep duration, or the @<time> override (-1 when absent)
};

struct Tape {
  std::string file;
  std::string id;
  std::string instruction;                      // the caption (`# INSTRUCTION:`)
  std::map<std::string, std::string> settings;  // Set Name -> raw value
  nlohmann::json theme;                         // Set Theme {...}, when present
  std::vector<TapeCommand> commands;
  double typing_seconds = 0.05;  // Set TypingSpeed (vhs default 50ms)
};

// One input event of the timed action log. `bytes` is what the key sends to a terminal.
struct TapeEvent {
  double time = 0;   // seconds from the start of the recording
  std::string kind;  // "type" (one character), "key", "hide", "show", "end"
  std::string bytes;
  std::string label;  // "a", "Enter", "Ctrl+C", ...
  int line = 0;
};

Tape ReadTape(const std::filesystem::path& path);
Tape ParseTape(const std::string& text, const std::string& name);

// Parses "500ms" / "1.5s" / "2m" / "3" into seconds; throws FormatError with `where`.
double ParseDuration(const std::string& s, const std::string& where);

// The timed action log: Type emits one event per character every typing interval, keys one
// event per press, Sleep advances time. Hidden spans are kept (the recorder needs them).
std::vector<TapeEvent> TapeTimeline(const Tape& tape);

// The commands a tape types and enters, in order ("echo hi", "ls -la").
std::vector<std::string> TapeEnteredCommands(const Tape& tape);

// The caption CLIGen-style: "The terminal runs `a`, then runs `b`." from the typed commands.
std::string CaptionFromTape(const Tape& tape);

}  // namespace ncb
