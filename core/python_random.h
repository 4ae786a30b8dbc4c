// CPython's `random` module, bit for bit: the Mersenne Twister as Modules/_randommodule.c seeds
// and draws it, and the Lib/random.py methods the paper's data engine calls (CPython 3.11).
//
// The Neural Computers paper's released generators draw with `random.seed(2024)` and
// `random.sample(...)`; porting them to C++ needs the same numbers, not merely good ones.
//   seed(n)          an int seed: init_by_array over |n|'s 32-bit words, least significant first
//   getrandbits(k)   k <= 64: 32-bit words, least significant first, the last one shifted right
//   random()         (a * 2^26 + b) / 2^53 with a = u32 >> 5, b = u32 >> 6
//   randbelow(n)     getrandbits(n.bit_length()) until it is below n
//   sample(n, k)     the indices random.sample(range(n), k) picks, in order: the pool method
//                    when n <= 21 + 4^ceil(log_4(3k)) (k > 5), else rejection from a set
// tests/golden/arithmetic_pool_golden_test.cpp holds these to Debian's python3.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

namespace ncb {

class PythonRandom {
 public:
  explicit PythonRandom(uint64_t seed) { Seed(seed); }
  void Seed(uint64_t seed);
  uint32_t Uint32();  // genrand_uint32
  uint64_t GetRandBits(int k);
  double Random();
  uint64_t RandBelow(uint64_t n);
  std::vector<uint64_t> Sample(uint64_t n, uint64_t k);

 private:
  static constexpr int kN = 624;
  void InitGenrand(uint32_t s);
  std::array<uint32_t, kN> mt_{};
  int index_ = kN + 1;
};

}  // namespace ncb
