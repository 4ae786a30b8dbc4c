// A long-running child program spoken to over its standard input and output (the `process`
// checkpoint adapter's model server). Reads wait at most a given time; the child's standard
// error is kept (its last 4 KiB) for error messages and also passed on to ours.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <mutex>
#include <string>
#include <thread>

namespace ncb {

class ChildProcess {
 public:
  // Starts `shell_command` with /bin/sh -c. Throws MissingError when it cannot be started.
  explicit ChildProcess(const std::string& shell_command);
  ~ChildProcess();  // kills the child (SIGKILL) if it still runs, and reaps it
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // Writes all of `data` to the child's standard input; false when the child closed it
  // or `timeout_s` passed first.
  bool Write(const void* data, size_t size, double timeout_s);
  // Reads one line (without its '\n'), at most `max_size` bytes. Returns false, with `why`
  // set ("timed out after 30 s", "the program closed its output", "a line of over N bytes"),
  // when no whole line came.
  bool ReadLine(std::string* line, size_t max_size, double timeout_s, std::string* why);
  // Reads exactly `size` bytes; false with `why` set as for ReadLine.
  bool ReadExact(void* out, size_t size, double timeout_s, std::string* why);

  // How the child ended, when it has: "exited with status 3", "killed by signal 9"; empty
  // while it runs. Waits up to `grace_s` for it to end.
  std::string ExitDescription(double grace_s = 0.5);
  // The last 4 KiB the child wrote to its standard error.
  std::string StderrTail() const;
  pid_t pid() const { return pid_; }

 private:
  bool Fill(double timeout_s, std::string* why);  // reads what is there into buffer_

  pid_t pid_ = -1;
  int in_ = -1, out_ = -1, err_ = -1;
  int status_ = 0;
  bool reaped_ = false;
  std::string buffer_;  // read from out_, not yet handed out
  size_t buffer_pos_ = 0;
  mutable std::mutex err_mu_;
  std::string err_tail_;
  std::thread err_reader_;
};

}  // namespace ncb
