#include "metrics/text/text_accuracy.h"

#include <algorithm>
#include <cmath>

namespace ncb {
namespace {
bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}
}  // namespace

std::vector<std::string> NormaliseLines(std::string_view text) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    std::string out;
    bool pending_space = false;
    for (char c : line) {
      if (IsSpace(c)) {
        pending_space = !out.empty();
        continue;
      }
      if (pending_space) out += ' ';
      pending_space = false;
      out += c;
    }
    if (!out.empty()) lines.push_back(std::move(out));
    start = end + 1;
  }
  return lines;
}

std::string JoinLines(const std::vector<std::string>& lines) {
  std::string s;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (i) s += '\n';
    s += lines[i];
  }
  return s;
}

std::u32string DecodeUtf8(std::string_view s) {
  std::u32string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    const int n = c < 0x80 ? 0 : (c >> 5) == 6 ? 1 : (c >> 4) == 14 ? 2 : (c >> 3) == 30 ? 3 : -1;
    char32_t cp = n == 0 ? c : n == 1 ? c & 0x1f : n == 2 ? c & 0x0f : c & 0x07;
    bool ok = n >= 0 && i + n < s.size();
    for (int k = 1; ok && k <= n; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      ok = (cc >> 6) == 2;
      cp = (cp << 6) | (cc & 0x3f);
    }
    if (!ok) {
      out.push_back(U'\uFFFD');
      ++i;
      continue;
    }
    out.push_back(cp);
    i += n + 1;
  }
  return out;
}

int64_t Levenshtein(std::u32string_view a, std::u32string_view b) {
  if (a.size() < b.size()) std::swap(a, b);
  std::vector<int64_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = static_cast<int64_t>(j);
  for (size_t i = 1; i <= a.size(); ++i) {
    int64_t diag = row[0];
    row[0] = static_cast<int64_t>(i);
    for (size_t j = 1; j <= b.size(); ++j) {
      const int64_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

CharScore CharacterAccuracy(const std::string& reference, const std::string& hypothesis) {
  const auto s = DecodeUtf8(reference), t = DecodeUtf8(hypothesis);
  CharScore r;
  r.edits = Levenshtein(s, t);
  r.reference_chars = static_cast<int64_t>(s.size());
  if (s.empty()) {
    r.accuracy = t.empty() ? 1.0 : 0.0;
  } else {
    r.accuracy = std::max(0.0, 1.0 - static_cast<double>(r.edits) / static_cast<double>(s.size()));
  }
  return r;
}

double ExactLineAccuracy(const std::vector<std::string>& g, const std::vector<std::string>& p) {
  if (g.empty()) return p.empty() ? 1.0 : 0.0;
  int64_t hits = 0;
  for (size_t i = 0; i < g.size(); ++i) hits += i < p.size() && p[i] == g[i];
  return static_cast<double>(hits) / static_cast<double>(g.size());
}

std::vector<int64_t> SelectFrameIndices(int64_t t, int64_t k) {
  std::vector<int64_t> idx;
  if (t <= 0) return idx;
  if (t <= k || k <= 1) {
    if (k <= 1 && t > k) return {0};
    for (int64_t i = 0; i < t; ++i) idx.push_back(i);
    return idx;
  }
  for (int64_t i = 0; i < k; ++i) {
    // nearbyint under the default rounding mode rounds half to even, as Python's round().
    idx.push_back(static_cast<int64_t>(std::nearbyint(
        static_cast<double>(i) * static_cast<double>(t - 1) / static_cast<double>(k - 1))));
  }
  std::sort(idx.begin(), idx.end());
  idx.erase(std::unique(idx.begin(), idx.end()), idx.end());
  return idx;
}

}  // namespace ncb
