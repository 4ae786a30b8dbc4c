// Text-space scores of terminal frames: the Neural Computers paper's Appendix B.2 protocol.
//
//  - Normalise: split into lines, strip each (ASCII whitespace), collapse runs of spaces and
//    tabs to one space, drop empty lines; case and punctuation are kept.
//  - Character accuracy = max(0, 1 - Levenshtein(s, t) / max(|s|, 1)) over Unicode code
//    points, s = reference lines joined by '\n', t = hypothesis likewise; both empty -> 1,
//    only s empty -> 0.
//  - Exact-line accuracy = (1/N_g) sum_i [i <= N_p and p_i == g_i]; both empty -> 1, g empty
//    and p not -> 0.
//  - Frame choice: T = frames compared; T <= K: all, else round(i (T-1) / (K-1)), i < K,
//    de-duplicated and sorted; half-way cases round to even, as Python's round().
// tests/golden/ocr_golden_test.cpp re-computes these in Python from the report's texts.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ncb {

std::vector<std::string> NormaliseLines(std::string_view text);
std::string JoinLines(const std::vector<std::string>& lines);

// UTF-8 -> code points; invalid bytes become U+FFFD, as Python's errors="replace".
std::u32string DecodeUtf8(std::string_view s);

// Edit distance (insert, delete, substitute, each 1) between code-point strings.
int64_t Levenshtein(std::u32string_view a, std::u32string_view b);

struct CharScore {
  double accuracy = 0;
  int64_t edits = 0;            // Levenshtein(s, t)
  int64_t reference_chars = 0;  // |s|, for the pooled CER
};
// s: reference (ground-truth) text, t: hypothesis; both already normalised and joined.
CharScore CharacterAccuracy(const std::string& reference, const std::string& hypothesis);

double ExactLineAccuracy(const std::vector<std::string>& reference,
                         const std::vector<std::string>& hypothesis);

// The frame indices (0-based, among T) the protocol OCRs.
std::vector<int64_t> SelectFrameIndices(int64_t num_frames, int64_t k);

}  // namespace ncb
