#include "core/python_random.h"

#include <cmath>
#include <set>
#include <stdexcept>

namespace ncb {

void PythonRandom::InitGenrand(uint32_t s) {
  mt_[0] = s;
  for (int i = 1; i < kN; ++i)
    mt_[i] = 1812433253U * (mt_[i - 1] ^ (mt_[i - 1] >> 30)) + static_cast<uint32_t>(i);
  index_ = kN;
}

void PythonRandom::Seed(uint64_t seed) {
  std::vector<uint32_t> key;  // |n| in 32-bit words, least significant first; [0] for 0
  do {
    key.push_back(static_cast<uint32_t>(seed & 0xffffffffu));
    seed >>= 32;
  } while (seed != 0);
  InitGenrand(19650218U);
  int i = 1;
  size_t j = 0;
  for (size_t k = std::max<size_t>(kN, key.size()); k; --k) {
    mt_[i] = (mt_[i] ^ ((mt_[i - 1] ^ (mt_[i - 1] >> 30)) * 1664525U)) + key[j] +
             static_cast<uint32_t>(j);
    ++i, ++j;
    if (i >= kN) mt_[0] = mt_[kN - 1], i = 1;
    if (j >= key.size()) j = 0;
  }
  for (int k = kN - 1; k; --k) {
    mt_[i] =
        (mt_[i] ^ ((mt_[i - 1] ^ (mt_[i - 1] >> 30)) * 1566083941U)) - static_cast<uint32_t>(i);
    ++i;
    if (i >= kN) mt_[0] = mt_[kN - 1], i = 1;
  }
  mt_[0] = 0x80000000U;
  index_ = kN;
}

uint32_t PythonRandom::Uint32() {
  constexpr uint32_t kUpper = 0x80000000U, kLower = 0x7fffffffU, kMatrix = 0x9908b0dfU;
  constexpr int kM = 397;
  if (index_ >= kN) {
    auto mag = [](uint32_t y) { return (y & 1U) ? kMatrix : 0U; };
    int kk = 0;
    for (; kk < kN - kM; ++kk) {
      const uint32_t y = (mt_[kk] & kUpper) | (mt_[kk + 1] & kLower);
      mt_[kk] = mt_[kk + kM] ^ (y >> 1) ^ mag(y);
    }
    for (; kk < kN - 1; ++kk) {
      const uint32_t y = (mt_[kk] & kUpper) | (mt_[kk + 1] & kLower);
      mt_[kk] = mt_[kk + (kM - kN)] ^ (y >> 1) ^ mag(y);
    }
    const uint32_t y = (mt_[kN - 1] & kUpper) | (mt_[0] & kLower);
    mt_[kN - 1] = mt_[kM - 1] ^ (y >> 1) ^ mag(y);
    index_ = 0;
  }
  uint32_t y = mt_[index_++];
  y ^= (y >> 11);
  y ^= (y << 7) & 0x9d2c5680U;
  y ^= (y << 15) & 0xefc60000U;
  y ^= (y >> 18);
  return y;
}

uint64_t PythonRandom::GetRandBits(int k) {
  if (k < 0 || k > 64) throw std::invalid_argument("getrandbits: k must be in 0..64");
  if (k == 0) return 0;
  if (k <= 32) return Uint32() >> (32 - k);
  const uint64_t low = Uint32();  // words least significant first; the last one shifted
  const uint64_t high = Uint32() >> (64 - k);
  return low | (high << 32);
}

double PythonRandom::Random() {
  const uint32_t a = Uint32() >> 5, b = Uint32() >> 6;
  return (a * 67108864.0 + b) * (1.0 / 9007199254740992.0);
}

uint64_t PythonRandom::RandBelow(uint64_t n) {
  if (n == 0) return 0;
  const int k = 64 - __builtin_clzll(n);  // n.bit_length()
  uint64_t r = GetRandBits(k);
  while (r >= n) r = GetRandBits(k);
  return r;
}

std::vector<uint64_t> PythonRandom::Sample(uint64_t n, uint64_t k) {
  if (k > n) throw std::invalid_argument("sample: larger than population");
  std::vector<uint64_t> out(k);
  uint64_t setsize = 21;
  if (k > 5)  // math.log(k * 3, 4): log(x) / log(4) in doubles
    setsize += static_cast<uint64_t>(
        std::pow(4.0, std::ceil(std::log(static_cast<double>(k * 3)) / std::log(4.0))));
  if (n <= setsize) {
    std::vector<uint64_t> pool(n);
    for (uint64_t i = 0; i < n; ++i) pool[i] = i;
    for (uint64_t i = 0; i < k; ++i) {
      const uint64_t j = RandBelow(n - i);
      out[i] = pool[j];
      pool[j] = pool[n - i - 1];
    }
  } else {
    std::set<uint64_t> selected;
    for (uint64_t i = 0; i < k; ++i) {
      uint64_t j = RandBelow(n);
      while (selected.count(j)) j = RandBelow(n);
      selected.insert(j);
      out[i] = j;
    }
  }
  return out;
}

}  // namespace ncb
