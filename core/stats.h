// Small statistics shared by the runner's intervals, the probes and `ncbench compare`:
// Wilson intervals for rates, a seeded bootstrap resampler, quantiles.
//
// The bootstrap's random numbers come from SplitMix64 with a plain modulo draw, not from
// std::uniform_int_distribution (whose output differs between standard libraries), so a
// recorded seed gives the same intervals on every machine.
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace ncb {

inline constexpr double kZ95 = 1.959963984540054;

// 95% Wilson score interval of successes/n: [low, high]; [0, 1] when n == 0.
std::pair<double, double> WilsonInterval(int64_t successes, int64_t n, double z = kZ95);

// The q-quantile (0..1) of `v` with linear interpolation between order statistics (R type 7,
// numpy's default); sorts a copy. NaN for an empty vector.
double Quantile(std::vector<double> v, double q);

class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : s_(seed) {}
  uint64_t Next() {
    uint64_t z = (s_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  // Uniform in 0..n-1 (modulo bias below 2^-40 for n < 2^24).
  uint64_t Below(uint64_t n) { return Next() % n; }

 private:
  uint64_t s_;
};

// One bootstrap replicate of n items: how many times each item is drawn (n draws with
// replacement).
std::vector<int> ResampleCounts(std::size_t n, SplitMix64* rng);

// A seeded derangement of 0..n-1 (n >= 2): perm[i] != i for every i. Sattolo's algorithm, so
// the permutation is one cycle through all n items; n < 2 gives the identity.
std::vector<std::size_t> Derangement(std::size_t n, SplitMix64* rng);

}  // namespace ncb
