#include "metrics/video/frechet.h"

#include <torch/types.h>

#include <algorithm>

#include "core/errors.h"

namespace ncb {

FeatureStats::FeatureStats(int64_t dim)
    : dim_(dim),
      sum_(torch::zeros({dim}, torch::kFloat64)),
      sxx_(torch::zeros({dim, dim}, torch::kFloat64)) {}

void FeatureStats::Add(const torch::Tensor& features) {
  NCB_CHECK(features.dim() == 2 && features.size(1) == dim_);
  const auto f = features.to(torch::kCPU, torch::kFloat64);
  n_ += f.size(0);
  sum_ += f.sum(0);
  sxx_ += f.t().matmul(f);
}

void FeatureStats::Merge(const FeatureStats& o) {
  if (o.dim_ != dim_)
    throw Error("feature statistics of dimension " + std::to_string(o.dim_) + " and " +
                std::to_string(dim_) + " cannot merge");
  n_ += o.n_;
  sum_ += o.sum_;
  sxx_ += o.sxx_;
}

torch::Tensor FeatureStats::Mean() const { return sum_ / static_cast<double>(n_); }

torch::Tensor FeatureStats::Covariance() const {
  const auto mu = Mean();
  return (sxx_ - static_cast<double>(n_) * torch::outer(mu, mu)) / static_cast<double>(n_ - 1);
}

void FeatureStats::Store(const std::string& prefix, MetricState* state) const {
  state->Add(prefix + "_n", static_cast<double>(n_));
  const auto s = sum_.contiguous();
  state->AddArray(prefix + "_sum",
                  std::vector<double>(s.data_ptr<double>(), s.data_ptr<double>() + dim_));
  const auto iu = torch::triu_indices(dim_, dim_);
  const auto upper = sxx_.index({iu[0], iu[1]}).contiguous();
  state->AddArray(
      prefix + "_sxx_upper",
      std::vector<double>(upper.data_ptr<double>(), upper.data_ptr<double>() + upper.numel()));
}

FeatureStats FeatureStats::Load(const std::string& prefix, const MetricState& state) {
  auto it = state.arrays.find(prefix + "_sum");
  if (it == state.arrays.end()) return FeatureStats(0);
  const int64_t dim = static_cast<int64_t>(it->second.size());
  FeatureStats f(dim);
  f.n_ = static_cast<int64_t>(state.Get(prefix + "_n"));
  f.sum_ = torch::tensor(it->second, torch::kFloat64);
  const auto& up = state.arrays.at(prefix + "_sxx_upper");
  if (static_cast<int64_t>(up.size()) != dim * (dim + 1) / 2)
    throw Error("metric state '" + prefix + "_sxx_upper' has the wrong length");
  const auto iu = torch::triu_indices(dim, dim);
  f.sxx_.index_put_({iu[0], iu[1]}, torch::tensor(up, torch::kFloat64));
  f.sxx_ = f.sxx_ + f.sxx_.triu(1).t();
  return f;
}

double FrechetDistance(const torch::Tensor& mu1, const torch::Tensor& s1, const torch::Tensor& mu2,
                       const torch::Tensor& s2) {
  const auto a = s1.to(torch::kFloat64), b = s2.to(torch::kFloat64);
  // S1^(1/2) from S1 = V diag(l) V^T.
  auto [l1, v1] = torch::linalg_eigh((a + a.t()) / 2);
  const auto root1 = v1.matmul(torch::diag(l1.clamp_min(0).sqrt())).matmul(v1.t());
  const auto m = root1.matmul(b).matmul(root1);
  const auto l = torch::linalg_eigvalsh((m + m.t()) / 2);
  const double tr_covmean = l.clamp_min(0).sqrt().sum().item<double>();
  const double diff =
      (mu1.to(torch::kFloat64) - mu2.to(torch::kFloat64)).square().sum().item<double>();
  return diff + a.trace().item<double>() + b.trace().item<double>() - 2 * tr_covmean;
}

double FrechetDistanceOfSets(const FeatureStats& a, const FeatureStats& b) {
  return std::max(0.0, FrechetDistance(a.Mean(), a.Covariance(), b.Mean(), b.Covariance()));
}

}  // namespace ncb
