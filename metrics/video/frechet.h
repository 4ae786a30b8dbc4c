// Frechet distance between Gaussians fitted to two feature sets (FVD, FID), from sufficient
// statistics that merge exactly: per side n, sum x and sum x x^T in float64.
#pragma once

#include <torch/types.h>

#include <string>
#include <vector>

#include "metrics/metric.h"

namespace ncb {

class FeatureStats {
 public:
  explicit FeatureStats(int64_t dim = 0);
  // features: [B, D]; accumulated in float64.
  void Add(const torch::Tensor& features);
  void Merge(const FeatureStats& other);
  int64_t n() const { return n_; }
  int64_t dim() const { return dim_; }
  torch::Tensor Mean() const;  // [D]
  // The unbiased covariance (divided by n - 1), as np.cov(features, rowvar=False) gives.
  torch::Tensor Covariance() const;  // [D, D]

  // Into / out of a MetricState under `prefix` ("gen", "gt"): n, the sum and the upper
  // triangle of sum x x^T (row-major), so the state stays half the size.
  void Store(const std::string& prefix, MetricState* state) const;
  static FeatureStats Load(const std::string& prefix, const MetricState& state);

 private:
  int64_t dim_, n_ = 0;
  torch::Tensor sum_, sxx_;  // float64, CPU
};

// ||mu1 - mu2||^2 + Tr(S1) + Tr(S2) - 2 Tr((S1 S2)^(1/2)), with Tr((S1 S2)^(1/2)) =
// sum sqrt(eig(S1^(1/2) S2 S1^(1/2))): two symmetric eigendecompositions in float64,
// negative eigenvalues (round-off of singular covariances) clamped to 0.
double FrechetDistance(const torch::Tensor& mu1, const torch::Tensor& sigma1,
                       const torch::Tensor& mu2, const torch::Tensor& sigma2);

// FVD from two sides' statistics: the Frechet distance of their Gaussians (`a` first, the
// ground truth in FVD), clamped at 0. Two equal sets give 0 up to round-off, which can be
// slightly negative (-1.2e-7 seen with r3d_18 features); a distance never is.
double FrechetDistanceOfSets(const FeatureStats& a, const FeatureStats& b);

}  // namespace ncb
