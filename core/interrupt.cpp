#include "core/interrupt.h"

#include <signal.h>

#include <atomic>

namespace ncb {
namespace {

std::atomic<bool> g_interrupted{false};

extern "C" void OnInterrupt(int sig) {
  g_interrupted.store(true);
  signal(sig, SIG_DFL);  // the second one ends the program
}

}  // namespace

void InstallInterruptHandlers() {
  struct sigaction sa {};
  sa.sa_handler = OnInterrupt;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

bool Interrupted() { return g_interrupted.load(std::memory_order_relaxed); }

void SetInterrupted(bool value) { g_interrupted.store(value); }

}  // namespace ncb
