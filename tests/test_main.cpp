// The tests' main: the same process set-up as the ncbench program (caching allocator).
#include <gtest/gtest.h>

#include "core/cpu_allocator.h"
#include "core/sanitizer_defaults.h"

int main(int argc, char** argv) {
  ncb::InstallCachingCpuAllocator();
  testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
