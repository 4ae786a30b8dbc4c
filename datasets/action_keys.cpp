#include "datasets/action_keys.h"

#include <algorithm>
#include <cctype>
#include <map>

namespace ncb {

const std::vector<std::string>& ActionKeyVocabulary() {
  static const std::vector<std::string> v = [] {
    std::vector<std::string> k;
    for (char c = 'a'; c <= 'z'; ++c) k.emplace_back(1, c);
    for (char c = '0'; c <= '9'; ++c) k.emplace_back(1, c);
    for (int i = 1; i <= 12; ++i) k.push_back("F" + std::to_string(i));
    for (const char* n :
         {"space",       "Return",       "Tab",       "BackSpace", "Escape",     "Delete", "Insert",
          "Home",        "End",          "Page_Up",   "Page_Down", "Left",       "Right",  "Up",
          "Down",        "Shift",        "Control",   "Alt",       "Super",      "minus",  "equal",
          "bracketleft", "bracketright", "backslash", "semicolon", "apostrophe", "grave",  "comma",
          "period",      "slash",        "other"}) {
      k.emplace_back(n);
    }
    return k;
  }();
  return v;
}

int ActionDim() { return 7 + static_cast<int>(ActionKeyVocabulary().size()); }

namespace {

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// Lower-cased aliases -> vocabulary names.
const std::map<std::string, std::string>& Aliases() {
  static const std::map<std::string, std::string> a = [] {
    std::map<std::string, std::string> m;
    for (const auto& n : ActionKeyVocabulary()) m[Lower(n)] = n;
    const std::vector<std::pair<const char*, const char*>> extra = {{" ", "space"},
                                                                    {"enter", "Return"},
                                                                    {"return", "Return"},
                                                                    {"kp_enter", "Return"},
                                                                    {"\n", "Return"},
                                                                    {"\t", "Tab"},
                                                                    {"esc", "Escape"},
                                                                    {"backspace", "BackSpace"},
                                                                    {"del", "Delete"},
                                                                    {"pageup", "Page_Up"},
                                                                    {"page_up", "Page_Up"},
                                                                    {"prior", "Page_Up"},
                                                                    {"pagedown", "Page_Down"},
                                                                    {"page_down", "Page_Down"},
                                                                    {"next", "Page_Down"},
                                                                    {"arrowleft", "Left"},
                                                                    {"arrowright", "Right"},
                                                                    {"arrowup", "Up"},
                                                                    {"arrowdown", "Down"},
                                                                    {"shift_l", "Shift"},
                                                                    {"shift_r", "Shift"},
                                                                    {"ctrl", "Control"},
                                                                    {"ctrl_l", "Control"},
                                                                    {"ctrl_r", "Control"},
                                                                    {"control_l", "Control"},
                                                                    {"control_r", "Control"},
                                                                    {"alt_l", "Alt"},
                                                                    {"alt_r", "Alt"},
                                                                    {"alt_gr", "Alt"},
                                                                    {"meta", "Alt"},
                                                                    {"super_l", "Super"},
                                                                    {"super_r", "Super"},
                                                                    {"cmd", "Super"},
                                                                    {"cmd_l", "Super"},
                                                                    {"cmd_r", "Super"},
                                                                    {"win", "Super"},
                                                                    {"-", "minus"},
                                                                    {"=", "equal"},
                                                                    {"[", "bracketleft"},
                                                                    {"]", "bracketright"},
                                                                    {"\\", "backslash"},
                                                                    {";", "semicolon"},
                                                                    {"'", "apostrophe"},
                                                                    {"`", "grave"},
                                                                    {",", "comma"},
                                                                    {".", "period"},
                                                                    {"/", "slash"}};
    for (const auto& [k, v] : extra) m[k] = v;
    return m;
  }();
  return a;
}

// US-layout shifted characters -> the key that types them.
char Unshift(char c) {
  static const std::string shifted = "!@#$%^&*()_+{}|:\"~<>?", base = "1234567890-=[]\\;'`,./";
  const auto i = shifted.find(c);
  return i == std::string::npos ? c : base[i];
}

}  // namespace

std::vector<int> KeysOf(const std::string& spec) {
  std::vector<int> out;
  if (spec.size() > 1 && spec.find('+') != std::string::npos && spec != "+") {
    size_t start = 0;
    while (start <= spec.size()) {
      const auto plus = spec.find('+', start);
      const std::string part =
          spec.substr(start, plus == std::string::npos ? std::string::npos : plus - start);
      if (!part.empty()) out.push_back(KeyIndex(part));
      if (plus == std::string::npos) break;
      start = plus + 1;
    }
    return out;
  }
  out.push_back(KeyIndex(spec));
  return out;
}

std::vector<int> KeysOfText(const std::string& text) {
  std::vector<int> out;
  for (char c : text) {
    const bool shifted = std::isupper(static_cast<unsigned char>(c)) || Unshift(c) != c;
    if (shifted) out.push_back(KeyIndex("Shift"));
    out.push_back(KeyIndex(
        std::string(1, static_cast<char>(std::tolower(static_cast<unsigned char>(Unshift(c)))))));
  }
  return out;
}

int KeyIndex(const std::string& name) {
  const auto& vocab = ActionKeyVocabulary();
  std::string n = name;
  if (n.rfind("Key.", 0) == 0) n = n.substr(4);  // pynput
  if (n.size() == 1) {
    const char c = static_cast<char>(std::tolower(static_cast<unsigned char>(Unshift(n[0]))));
    n = std::string(1, c);
  }
  const auto& aliases = Aliases();
  auto it = aliases.find(n.size() == 1 ? n : Lower(n));
  const std::string& canonical = it == aliases.end() ? vocab.back() : it->second;
  return static_cast<int>(std::find(vocab.begin(), vocab.end(), canonical) - vocab.begin());
}

}  // namespace ncb
