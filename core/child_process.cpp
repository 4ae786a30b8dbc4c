#include "core/child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>

#include "core/errors.h"

extern char** environ;

namespace ncb {
namespace {

constexpr size_t kStderrTail = 4096;

int RemainingMs(std::chrono::steady_clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  return static_cast<int>(std::max<int64_t>(0, left.count()));
}

std::chrono::steady_clock::time_point Deadline(double timeout_s) {
  return std::chrono::steady_clock::now() +
         std::chrono::milliseconds(static_cast<int64_t>(std::ceil(timeout_s * 1000.0)));
}

std::string Seconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", s);
  return buf;
}

}  // namespace

ChildProcess::ChildProcess(const std::string& shell_command) {
  int in[2], out[2], err[2];
  if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) {
    throw MissingError("cannot create pipes for '" + shell_command + "': " + std::strerror(errno));
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, in[0], 0);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  posix_spawn_file_actions_adddup2(&fa, err[1], 2);
  // Its own process group, so that killing it reaches whatever the shell started.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attr, 0);
  const char* argv[] = {"/bin/sh", "-c", shell_command.c_str(), nullptr};
  const int rc = posix_spawn(&pid_, "/bin/sh", &fa, &attr, const_cast<char* const*>(argv), environ);
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&fa);
  close(in[0]);
  close(out[1]);
  close(err[1]);
  if (rc != 0) {
    close(in[1]);
    close(out[0]);
    close(err[0]);
    throw MissingError("cannot start '" + shell_command + "': " + std::strerror(rc));
  }
  in_ = in[1];
  out_ = out[0];
  err_ = err[0];
  // A child that dies must not kill us with SIGPIPE when we write to it.
  signal(SIGPIPE, SIG_IGN);
  err_reader_ = std::thread([this] {
    char buf[4096];
    ssize_t n;
    while ((n = read(err_, buf, sizeof buf)) > 0) {
      (void)!write(2, buf, static_cast<size_t>(n));
      std::lock_guard<std::mutex> lock(err_mu_);
      err_tail_.append(buf, static_cast<size_t>(n));
      if (err_tail_.size() > kStderrTail) err_tail_.erase(0, err_tail_.size() - kStderrTail);
    }
  });
}

ChildProcess::~ChildProcess() {
  if (in_ >= 0) close(in_);
  if (!reaped_ && pid_ > 0) {
    if (ExitDescription(0.2).empty()) {
      kill(-pid_, SIGKILL);
      waitpid(pid_, &status_, 0);
      reaped_ = true;
    }
  }
  if (pid_ > 0) kill(-pid_, SIGKILL);              // anything of its group still holding the pipes
  if (err_reader_.joinable()) err_reader_.join();  // the pipe closes when the child is gone
  if (out_ >= 0) close(out_);
  if (err_ >= 0) close(err_);
}

bool ChildProcess::Write(const void* data, size_t size, double timeout_s) {
  const auto deadline = Deadline(timeout_s);
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    pollfd pfd{in_, POLLOUT, 0};
    const int r = poll(&pfd, 1, RemainingMs(deadline));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0 || (pfd.revents & (POLLERR | POLLHUP))) return false;
    const ssize_t n = write(in_, p, size);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return false;
    }
    p += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

bool ChildProcess::Fill(double timeout_s, std::string* why) {
  pollfd pfd{out_, POLLIN, 0};
  int r;
  do {
    r = poll(&pfd, 1, static_cast<int>(std::ceil(timeout_s * 1000.0)));
  } while (r < 0 && errno == EINTR);
  if (r == 0) {
    *why = "timed out after " + Seconds(timeout_s) + " s";
    return false;
  }
  char buf[1 << 16];
  const ssize_t n = read(out_, buf, sizeof buf);
  if (n <= 0) {
    *why = "the program closed its output";
    return false;
  }
  if (buffer_pos_ > 0 && buffer_pos_ == buffer_.size()) {
    buffer_.clear();
    buffer_pos_ = 0;
  }
  buffer_.append(buf, static_cast<size_t>(n));
  return true;
}

bool ChildProcess::ReadLine(std::string* line, size_t max_size, double timeout_s,
                            std::string* why) {
  const auto deadline = Deadline(timeout_s);
  for (;;) {
    const size_t nl = buffer_.find('\n', buffer_pos_);
    if (nl != std::string::npos) {
      line->assign(buffer_, buffer_pos_, nl - buffer_pos_);
      buffer_pos_ = nl + 1;
      return true;
    }
    if (buffer_.size() - buffer_pos_ > max_size) {
      *why = "a line of over " + std::to_string(max_size) + " bytes";
      return false;
    }
    if (!Fill(RemainingMs(deadline) / 1000.0, why)) {
      if (why->rfind("timed out", 0) == 0) *why = "timed out after " + Seconds(timeout_s) + " s";
      return false;
    }
  }
}

bool ChildProcess::ReadExact(void* out, size_t size, double timeout_s, std::string* why) {
  const auto deadline = Deadline(timeout_s);
  char* p = static_cast<char*>(out);
  while (size > 0) {
    if (buffer_pos_ < buffer_.size()) {
      const size_t n = std::min(size, buffer_.size() - buffer_pos_);
      std::memcpy(p, buffer_.data() + buffer_pos_, n);
      buffer_pos_ += n;
      p += n;
      size -= n;
      continue;
    }
    buffer_.clear();
    buffer_pos_ = 0;
    // Large payloads bypass the buffer.
    pollfd pfd{out_, POLLIN, 0};
    const int r = poll(&pfd, 1, RemainingMs(deadline));
    if (r < 0 && errno == EINTR) continue;
    if (r == 0) {
      *why = "timed out after " + Seconds(timeout_s) + " s";
      return false;
    }
    const ssize_t n = read(out_, p, size);
    if (n <= 0) {
      *why = "the program closed its output";
      return false;
    }
    p += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

std::string ChildProcess::ExitDescription(double grace_s) {
  if (!reaped_) {
    const auto deadline = Deadline(grace_s);
    for (;;) {
      const pid_t r = waitpid(pid_, &status_, WNOHANG);
      if (r == pid_) {
        reaped_ = true;
        break;
      }
      if (r < 0 || RemainingMs(deadline) == 0) return "";
      usleep(10000);
    }
  }
  if (WIFEXITED(status_)) return "exited with status " + std::to_string(WEXITSTATUS(status_));
  if (WIFSIGNALED(status_)) return "killed by signal " + std::to_string(WTERMSIG(status_));
  return "ended";
}

std::string ChildProcess::StderrTail() const {
  std::lock_guard<std::mutex> lock(err_mu_);
  return err_tail_;
}

}  // namespace ncb
