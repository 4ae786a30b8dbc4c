// The sanitizer configuration's defaults (NCBENCH_SANITIZE; .ci/sanitize), compiled into each
// program's main file so that every way of starting it (ctest, gtest discovery at build time,
// by hand) runs with them; ASAN_OPTIONS / UBSAN_OPTIONS in the environment still override.
// Leak checking is off: LibTorch, OpenCV and Tesseract keep process-lifetime allocations that
// LeakSanitizer cannot tell from leaks. Any other report stops the program with an error.
// Include in exactly one file per program; empty in ordinary builds.
#pragma once

#if defined(__SANITIZE_ADDRESS__)
extern "C" __attribute__((no_sanitize_address, used)) const char* __asan_default_options() {
  return "detect_leaks=0:halt_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1";
}
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(NCBENCH_SANITIZE_UNDEFINED)
extern "C" __attribute__((used)) const char* __ubsan_default_options() {
  return "print_stacktrace=1:halt_on_error=1";
}
#endif
