// Running a shell command and reading what it prints (peers in bench-peers, programs in tests).
#pragma once

#include <string>
#include <vector>

namespace ncb {

struct CommandOutput {
  int status = -1;     // the exit status; -1 when it could not start or was killed
  std::string output;  // its standard output (add 2>&1 to the command for stderr too)
};

// Runs `shell_command` with /bin/sh and waits for it.
CommandOutput RunCommand(const std::string& shell_command);

// `argv` as one line a POSIX shell reads back into the same arguments: each argument with a
// character outside [A-Za-z0-9_@%+=:,./-] is single-quoted (a ' inside becomes '\''). The
// report's context.command_line, so a run can be repeated by pasting it.
std::string ShellQuote(const std::vector<std::string>& argv);

}  // namespace ncb
