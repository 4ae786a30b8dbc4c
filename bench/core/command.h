// Running a shell command and reading what it prints (peers in bench-peers, programs in tests).
#pragma once

#include <string>

namespace ncb {

struct CommandOutput {
  int status = -1;     // the exit status; -1 when it could not start or was killed
  std::string output;  // its standard output (add 2>&1 to the command for stderr too)
};

// Runs `shell_command` with /bin/sh and waits for it.
CommandOutput RunCommand(const std::string& shell_command);

}  // namespace ncb
