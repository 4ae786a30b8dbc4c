// The keys of `ncbench.actions/1` (datasets/action_encoding.h): the vocabulary of the
// multi-hot key dimensions, and how logged key names map onto it. Free of LibTorch, so that
// the spec check (bench/checkpoint/nc_spec.cpp) and the fuzz targets can use it.
#pragma once

#include <string>
#include <vector>

namespace ncb {

inline constexpr const char* kActionEncoding = "ncbench.actions/1";

// The key vocabulary, in dimension order (dims 7, 8, ...); the last entry is "other".
const std::vector<std::string>& ActionKeyVocabulary();
// 7 + the vocabulary's size (86).
int ActionDim();
// The vocabulary index of a key name: X keysyms (Return, Control_L), pynput names
// (Key.enter, Key.ctrl_l), xdotool names (ctrl, super) and single characters, in any case;
// unknown names give the index of "other".
int KeyIndex(const std::string& name);
// The vocabulary indices a key name or a combination such as "ctrl+shift+t" presses.
std::vector<int> KeysOf(const std::string& spec);
// The keys typing `text` presses: each character's key, plus Shift for capitals and the
// shifted symbols of a US layout.
std::vector<int> KeysOfText(const std::string& text);

}  // namespace ncb
