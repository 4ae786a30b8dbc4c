#include "core/stats.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace ncb {

std::pair<double, double> WilsonInterval(int64_t successes, int64_t n, double z) {
  if (n <= 0) return {0.0, 1.0};
  const double nn = static_cast<double>(n), p = static_cast<double>(successes) / nn, z2 = z * z;
  const double denom = 1 + z2 / nn;
  const double centre = (p + z2 / (2 * nn)) / denom;
  const double half = z / denom * std::sqrt(p * (1 - p) / nn + z2 / (4 * nn * nn));
  return {std::max(0.0, centre - half), std::min(1.0, centre + half)};
}

double Quantile(std::vector<double> v, double q) {
  if (v.empty()) return std::numeric_limits<double>::quiet_NaN();
  std::sort(v.begin(), v.end());
  const double pos = std::clamp(q, 0.0, 1.0) * static_cast<double>(v.size() - 1);
  const auto lo = static_cast<size_t>(std::floor(pos));
  const size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (v[hi] - v[lo]) * (pos - static_cast<double>(lo));
}

std::vector<int> ResampleCounts(std::size_t n, SplitMix64* rng) {
  std::vector<int> counts(n, 0);
  for (size_t i = 0; i < n; ++i) ++counts[rng->Below(n)];
  return counts;
}

std::vector<std::size_t> Derangement(std::size_t n, SplitMix64* rng) {
  std::vector<std::size_t> p(n);
  for (std::size_t i = 0; i < n; ++i) p[i] = i;
  for (std::size_t i = n; i-- > 1;) std::swap(p[i], p[rng->Below(i)]);
  return p;
}

}  // namespace ncb
