#include "datasets/record/gui_recorder.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iomanip>
#include <map>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <random>
#include <sstream>
#include <thread>

#include "core/errors.h"
#include "core/hashing.h"

// Xlib last: its macros (None, Bool, Status ...) must not reach other headers.
#include <X11/XKBlib.h>
#include <X11/Xatom.h>
#include <X11/Xcursor/Xcursor.h>
#include <X11/Xlib.h>
#include <X11/Xutil.h>
#include <X11/cursorfont.h>
#include <X11/extensions/XTest.h>
#include <X11/extensions/Xfixes.h>
#include <X11/keysym.h>

namespace ncb {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

void SleepMs(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

// The program's path: as given when it has a '/', else the first match on $PATH ("" none).
std::string FindProgram(const std::string& name) {
  if (name.find('/') != std::string::npos) return name;
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    const std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

// A child process in its own process group, killed with it. Everything the child needs is
// built before fork: ncbench has threads (LibTorch, OpenMP), and a child that allocates
// (setenv) may block forever on a lock another thread held at the fork. It did, about once
// in ten recordings under load.
class Child {
 public:
  Child(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
        int keep_fd = -1) {
    const std::string program = FindProgram(argv.at(0));
    std::vector<std::string> env_strings;
    for (char** e = environ; *e; ++e) {
      const std::string kv = *e;
      if (!env.count(kv.substr(0, kv.find('=')))) env_strings.push_back(kv);
    }
    for (const auto& [k, v] : env) env_strings.push_back(k + "=" + v);
    std::vector<char*> args, envp;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    for (const auto& e : env_strings) envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);
    pid_ = fork();
    if (pid_ < 0) throw Error("fork failed");
    if (pid_ == 0) {  // only async-signal-safe calls from here on
      setsid();
      const int devnull = open("/dev/null", O_RDWR);
      dup2(devnull, 0);
      dup2(devnull, 1);
      dup2(devnull, 2);
      for (int fd = 3; fd < 256; ++fd) {
        if (fd != keep_fd) close(fd);
      }
      if (!program.empty()) execve(program.c_str(), args.data(), envp.data());
      _exit(127);
    }
  }
  ~Child() {
    if (pid_ <= 0) return;
    kill(-pid_, SIGTERM);
    for (int i = 0; i < 50 && waitpid(pid_, nullptr, WNOHANG) == 0; ++i) SleepMs(20);
    kill(-pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  // Exit status when it has exited (127: the program was not found), else -1.
  int Exited() const {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_)
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
    return -1;
  }

 private:
  pid_t pid_ = -1;
};

// The screen rectangle the frames show, and their size.
cv::Rect CropOf(const GuiRecordOptions& o) {
  return o.crop_w > 0 ? cv::Rect(o.crop_x, o.crop_y, o.crop_w, o.crop_h)
                      : cv::Rect(0, 0, o.width, o.height);
}
cv::Size FrameSizeOf(const GuiRecordOptions& o) {
  return o.frame_width > 0 ? cv::Size(o.frame_width, o.frame_height) : CropOf(o).size();
}

// Xvfb on a free display (-displayfd), with its connection.
class Desktop {
 public:
  Desktop(const GuiRecordOptions& o, const fs::path& home) : o_(o) {
    StartXvfb();
    Connect();
    env_ = {{"DISPLAY", display_name_}, {"HOME", home.string()}, {"PS1", "$ "},
            {"LANG", "C.UTF-8"},        {"SHELL", "/bin/bash"},  {"TERM", "xterm"}};
    // Programs take the theme from the environment (Xlib hands their cursors to libXcursor).
    if (!o_.cursor_theme.empty()) env_["XCURSOR_THEME"] = o_.cursor_theme;
    if (o_.cursor_size > 0) env_["XCURSOR_SIZE"] = std::to_string(o_.cursor_size);
    PaintRoot();
    StartWindowManager();
  }
  ~Desktop() {
    children_.clear();
    if (dpy_) XCloseDisplay(dpy_);
  }

  // Starts `command` through /bin/sh and waits for its window: a new entry in the window
  // manager's _NET_CLIENT_LIST or a new mapped top-level window.
  void Launch(const std::string& command, const std::string& where) {
    const int clients = RootProperty("_NET_CLIENT_LIST", XA_WINDOW), mapped = MappedWindows();
    children_.push_back(std::make_unique<Child>(
        std::vector<std::string>{"/bin/sh", "-c", "exec " + command}, env_));
    auto& child = *children_.back();
    WaitFor(
        [&] {
          return RootProperty("_NET_CLIENT_LIST", XA_WINDOW) > clients || MappedWindows() > mapped;
        },
        [&] { return child.Exited(); }, where + ": '" + command + "'",
        [&] {
          return " (window manager clients " + std::to_string(clients) + " -> " +
                 std::to_string(RootProperty("_NET_CLIENT_LIST", XA_WINDOW)) +
                 ", mapped top-level windows " + std::to_string(mapped) + " -> " +
                 std::to_string(MappedWindows()) + ")";
        });
    SleepMs(500);  // its first paint
  }

  Display* dpy() { return dpy_; }

 private:
  // Starts Xvfb on a free display and sets display_name_.
  void StartXvfb() {
    // A display number of our own choosing, not -displayfd's search alone: that search takes
    // no lock file, and two recorders starting together could both be given the same number
    // (seen: a program's window went to the other recorder's server). With :N, Xvfb takes
    // /tmp/.XN-lock atomically and exits when N is in use; then the next number is tried.
    std::mt19937 rng(
        static_cast<unsigned>(getpid()) * 2654435761u ^
        static_cast<unsigned>(std::chrono::steady_clock::now().time_since_epoch().count()));
    const std::string screen = std::to_string(o_.width) + "x" + std::to_string(o_.height) + "x24";
    std::string last_error;
    for (int attempt = 0; attempt < 20 && display_name_.empty(); ++attempt) {
      const int n = 100 + static_cast<int>(rng() % 9000);
      if (fs::exists("/tmp/.X" + std::to_string(n) + "-lock")) continue;
      int fds[2];
      if (pipe(fds) != 0) throw Error("pipe failed");
      xvfb_ = std::make_unique<Child>(
          std::vector<std::string>{"Xvfb", ":" + std::to_string(n), "-displayfd",
                                   std::to_string(fds[1]), "-screen", "0", screen, "-nolisten",
                                   "tcp", "-dpi", "96"},
          std::map<std::string, std::string>{}, fds[1]);
      close(fds[1]);
      std::string number;
      const auto deadline =
          std::chrono::steady_clock::now() + std::chrono::duration<double>(o_.launch_timeout_s);
      fcntl(fds[0], F_SETFL, O_NONBLOCK);
      while (number.empty() || number.back() != '\n') {
        char c;
        if (read(fds[0], &c, 1) == 1) {
          number += c;
          continue;
        }
        if (const int st = xvfb_->Exited(); st >= 0) {
          if (st == 127) {
            close(fds[0]);
            throw MissingError(
                "Xvfb is not installed (Debian package xvfb; scripts/install-deps.sh installs it)");
          }
          last_error = "Xvfb :" + std::to_string(n) + " exited with status " + std::to_string(st);
          break;  // display in use: another number
        }
        if (std::chrono::steady_clock::now() > deadline) {
          close(fds[0]);
          throw MissingError("Xvfb did not report a display within " +
                             std::to_string(o_.launch_timeout_s) + " s");
        }
        SleepMs(10);
      }
      close(fds[0]);
      if (!number.empty() && number.back() == '\n')
        display_name_ = ":" + number.substr(0, number.size() - 1);
    }
    if (display_name_.empty())
      throw MissingError("could not start Xvfb on a free display: " + last_error);
  }

  // Connects to the server and checks it has the extensions the recorder uses.
  void Connect() {
    dpy_ = XOpenDisplay(display_name_.c_str());
    if (!dpy_) throw MissingError("cannot connect to Xvfb on " + display_name_);
    int ev = 0, err = 0, major = 0, minor = 0;
    if (!XTestQueryExtension(dpy_, &ev, &err, &major, &minor) ||
        !XFixesQueryExtension(dpy_, &ev, &err)) {
      throw MissingError("Xvfb on " + display_name_ + " lacks the XTEST or XFIXES extension");
    }
    root_ = DefaultRootWindow(dpy_);
  }

  // The desktop: a plain coloured root with the arrow cursor (of the theme, when one is set).
  void PaintRoot() {
    XColor colour;
    XParseColor(dpy_, DefaultColormap(dpy_, 0), o_.background.c_str(), &colour);
    XAllocColor(dpy_, DefaultColormap(dpy_, 0), &colour);
    XSetWindowBackground(dpy_, root_, colour.pixel);
    XClearWindow(dpy_, root_);
    Cursor arrow = None;
    if (!o_.cursor_theme.empty() || o_.cursor_size > 0) {
      if (o_.cursor_size > 0) XcursorSetDefaultSize(dpy_, o_.cursor_size);
      if (!o_.cursor_theme.empty()) {
        XcursorSetTheme(dpy_, o_.cursor_theme.c_str());
        // libXcursor falls back on the "default" theme for an unknown one: look for it.
        bool found = false;
        std::stringstream dirs(XcursorLibraryPath());
        for (std::string dir; std::getline(dirs, dir, ':') && !found;) {
          if (dir.rfind("~/", 0) == 0 && std::getenv("HOME"))
            dir = std::string(std::getenv("HOME")) + dir.substr(1);
          found = fs::is_directory(fs::path(dir) / o_.cursor_theme / "cursors");
        }
        XcursorImage* probe =
            found ? XcursorLibraryLoadImage("left_ptr", o_.cursor_theme.c_str(), o_.cursor_size)
                  : nullptr;
        if (!probe) {
          throw MissingError("cursor theme '" + o_.cursor_theme + "' has no left_ptr cursor in " +
                             XcursorLibraryPath() +
                             "; expected a folder <theme>/cursors (Debian: dmz-cursor-theme, "
                             "xcursor-themes)");
        }
        XcursorImageDestroy(probe);
      }
      arrow = XcursorLibraryLoadCursor(dpy_, "left_ptr");
    }
    XDefineCursor(dpy_, root_, arrow != None ? arrow : XCreateFontCursor(dpy_, XC_left_ptr));
    XSync(dpy_, False);
  }

  // Starts the window manager, when there is one, and waits until it is ready.
  void StartWindowManager() {
    if (!o_.window_manager.empty()) {
      children_.push_back(
          std::make_unique<Child>(std::vector<std::string>{o_.window_manager}, env_));
      // Ready when it owns WM_S0 and has published _NET_CLIENT_LIST, which openbox does after
      // managing the windows already there, at the end of its start-up. A program mapped
      // before that (WM_S0 and _NET_SUPPORTING_WM_CHECK come early) was seen never to be
      // managed nor mapped, about once in ten recordings under load.
      const Atom sel = XInternAtom(dpy_, "WM_S0", False);
      WaitFor(
          [&] {
            return XGetSelectionOwner(dpy_, sel) != None &&
                   RootProperty("_NET_CLIENT_LIST", XA_WINDOW) >= 0;
          },
          [&] { return children_.back()->Exited(); },
          "the window manager '" + o_.window_manager + "'");
    }
  }

  // The number of items in a property of the root window (-1 when it is not set).
  int RootProperty(const char* name, Atom type) {
    Atom actual = 0;
    int format = 0;
    unsigned long n = 0, after = 0;
    unsigned char* data = nullptr;
    if (XGetWindowProperty(dpy_, root_, XInternAtom(dpy_, name, False), 0, 4096, False, type,
                           &actual, &format, &n, &after, &data) != Success ||
        actual == None) {
      if (data) XFree(data);
      return -1;
    }
    if (data) XFree(data);
    return static_cast<int>(n);
  }
  int MappedWindows() {
    Window r, parent, *kids = nullptr;
    unsigned n = 0;
    XQueryTree(dpy_, root_, &r, &parent, &kids, &n);
    int mapped = 0;
    for (unsigned i = 0; i < n; ++i) {
      XWindowAttributes a;
      if (XGetWindowAttributes(dpy_, kids[i], &a) && a.map_state == IsViewable) ++mapped;
    }
    if (kids) XFree(kids);
    return mapped;
  }
  template <class Ready, class Exited>
  void WaitFor(
      Ready ready, Exited exited, const std::string& what,
      const std::function<std::string()>& state = [] { return std::string(); }) {
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::duration<double>(o_.launch_timeout_s);
    while (!ready()) {
      if (const int st = exited(); st >= 0) {
        throw MissingError(what + " exited with status " + std::to_string(st) +
                           (st == 127 ? " (not installed? scripts/install-deps.sh)" : "") +
                           " before its window appeared");
      }
      if (std::chrono::steady_clock::now() > deadline) {
        throw MissingError(what + ": no window within " + std::to_string(o_.launch_timeout_s) +
                           " s" + state());
      }
      SleepMs(20);
    }
  }

  GuiRecordOptions o_;
  std::unique_ptr<Child> xvfb_;
  std::vector<std::unique_ptr<Child>> children_;
  std::string display_name_;
  Display* dpy_ = nullptr;
  Window root_ = 0;
  std::map<std::string, std::string> env_;
};

struct Sprite {
  std::string file;
  int hot_x = 0, hot_y = 0, width = 0, height = 0;
  int64_t frames = 0;
};

struct FrameLog {
  int x = 0, y = 0;
  bool left = false, right = false;
  std::vector<std::pair<std::string, std::string>> keys;  // (keydown|keyup|scroll, key)
  std::vector<json> actions;                              // for the action JSON
};

std::string PythonTuples(const std::vector<std::pair<std::string, std::string>>& pairs) {
  std::string s = "[";
  for (size_t i = 0; i < pairs.size(); ++i) {
    auto quote = [](const std::string& v) {
      const char q = v.find('\'') == std::string::npos ? '\'' : '"';
      std::string out(1, q);
      for (char c : v) {
        if (c == q || c == '\\') out += '\\';
        out += c;
      }
      return out + q;
    };
    s += (i ? ", (" : "(") + quote(pairs[i].first) + ", " + quote(pairs[i].second) + ")";
  }
  return s + "]";
}

std::string CsvField(const std::string& v) {
  if (v.find_first_of(",\"\n") == std::string::npos) return v;
  std::string out = "\"";
  for (char c : v) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

// One script on one desktop.
class Session {
 public:
  Session(Desktop& d, const GuiRecordOptions& o, const fs::path& frames_dir,
          std::map<std::string, Sprite>* sprites, const fs::path& cursors_dir)
      : d_(d), o_(o), frames_dir_(frames_dir), sprites_(sprites), cursors_dir_(cursors_dir) {
    fs::create_directories(frames_dir_);
  }

  void Run(const GuiScript& script) {
    XTestFakeMotionEvent(d_.dpy(), -1, std::min(24, o_.width - 1), std::min(24, o_.height - 1),
                         CurrentTime);
    for (const auto& c : script.commands) {
      const std::string where = script.file + ":" + std::to_string(c.line);
      if (c.name == "Launch") {
        d_.Launch(c.args[0], where);
        continue;
      }
      if (log_.empty()) Frame();  // frame 0: the desktop as the first command finds it
      const int n = std::max(1, static_cast<int>(std::lround(c.seconds * o_.fps)));
      if (c.name == "Wait") {
        for (int i = 0; i < n; ++i) Frame();
      } else if (c.name == "Move") {
        MoveSmoothly(c, n);
      } else if (c.name == "RandomWalk") {
        RandomWalk(c, n);
      } else if (c.name == "Click" || c.name == "DoubleClick") {
        ClickButton(c);
      } else if (c.name == "Scroll") {
        ScrollWheel(c);
      } else if (c.name == "Type") {
        TypeText(c, where);
      } else if (c.name == "Key") {
        Combo(c.args[0], where);
        pending_.actions.push_back({{"action", "key"}, {"key", c.args[0]}});
        Frame();
      }
    }
    if (log_.empty()) Frame();
  }

  const std::vector<FrameLog>& log() const { return log_; }
  // The sprite of frame 0: the desktop's own arrow (the pointer starts over the root).
  const std::string& first_sprite() const { return first_sprite_; }

 private:
  // Move: a straight line from the pointer to (x, y) over n frames.
  void MoveSmoothly(const GuiCommand& c, int n) {
    const int x0 = x_, y0 = y_, x1 = std::stoi(c.args[0]), y1 = std::stoi(c.args[1]);
    for (int i = 1; i <= n; ++i) {
      MoveTo(static_cast<int>(std::lround(x0 + (x1 - x0) * static_cast<double>(i) / n)),
             static_cast<int>(std::lround(y0 + (y1 - y0) * static_cast<double>(i) / n)));
      Frame();
    }
  }

  // RandomWalk: n frames of a seeded, damped random walk that bounces off the screen's edges.
  void RandomWalk(const GuiCommand& c, int n) {
    std::mt19937 rng(static_cast<unsigned>(std::stoi(c.args[1])));
    std::normal_distribution<double> noise(0.0, 6.0);
    double vx = 0, vy = 0, x = x_, y = y_;
    const double lo_x = 20, hi_x = o_.width - 40, lo_y = 20, hi_y = o_.height - 40;
    for (int i = 0; i < n; ++i) {
      vx = 0.85 * vx + noise(rng);
      vy = 0.85 * vy + noise(rng);
      x += vx;
      y += vy;
      if (x < lo_x || x > hi_x) {
        vx = -vx;
        x = std::clamp(x, lo_x, hi_x);
      }
      if (y < lo_y || y > hi_y) {
        vy = -vy;
        y = std::clamp(y, lo_y, hi_y);
      }
      MoveTo(static_cast<int>(std::lround(x)), static_cast<int>(std::lround(y)));
      Frame();
    }
  }

  // Click or DoubleClick where the pointer is, then one frame.
  void ClickButton(const GuiCommand& c) {
    Display* dpy = d_.dpy();
    const std::string b = c.name == "DoubleClick" ? "left" : c.args[0];
    const unsigned button = b == "left" ? 1 : b == "middle" ? 2 : 3;
    for (int i = 0; i < (c.name == "DoubleClick" ? 2 : 1); ++i) {
      XTestFakeButtonEvent(dpy, button, True, CurrentTime);
      XTestFakeButtonEvent(dpy, button, False, CurrentTime);
    }
    pending_.left |= button == 1;
    pending_.right |= button == 3;
    const std::string action = c.name == "DoubleClick" ? "double_click" : b + "_click";
    pending_.actions.push_back({{"action", action}, {"x", x_}, {"y", y_}});
    Frame();
  }

  // Scroll: wheel notches in one direction, then one frame.
  void ScrollWheel(const GuiCommand& c) {
    Display* dpy = d_.dpy();
    const std::string& dir = c.args[0];
    const int notches = std::stoi(c.args[1]);
    const unsigned button = dir == "up" ? 4 : dir == "down" ? 5 : dir == "left" ? 6 : 7;
    for (int i = 0; i < notches; ++i) {
      XTestFakeButtonEvent(dpy, button, True, CurrentTime);
      XTestFakeButtonEvent(dpy, button, False, CurrentTime);
    }
    pending_.keys.push_back({"scroll", dir + ":" + std::to_string(notches)});
    pending_.actions.push_back({{"action", "scroll"},
                                {"x", x_},
                                {"y", y_},
                                {"scroll_direction", dir},
                                {"scroll_amount", notches}});
    Frame();
  }

  // Type: each character, then its share of frames.
  void TypeText(const GuiCommand& c, const std::string& where) {
    const int per = std::max(1, static_cast<int>(std::lround(c.seconds * o_.fps)));
    for (char ch : c.args[0]) {
      TypeChar(ch, where);
      pending_.actions.push_back({{"action", "type"}, {"text", std::string(1, ch)}});
      for (int i = 0; i < per; ++i) Frame();
    }
  }

  void MoveTo(int x, int y) {
    XTestFakeMotionEvent(d_.dpy(), -1, x, y, CurrentTime);
    pending_.actions.push_back({{"action", "mouse_move"}, {"x", x}, {"y", y}});
  }

  KeyCode Code(KeySym sym, const std::string& name, const std::string& where) {
    const KeyCode kc = sym == NoSymbol ? 0 : XKeysymToKeycode(d_.dpy(), sym);
    if (kc == 0)
      throw FormatError(At(where, "key '" + name + "' has no key on the desktop's keyboard"));
    return kc;
  }
  void Press(KeyCode kc, bool down, const std::string& name) {
    XTestFakeKeyEvent(d_.dpy(), kc, down ? True : False, CurrentTime);
    pending_.keys.push_back({down ? "keydown" : "keyup", name});
  }

  void TypeChar(char ch, const std::string& where) {
    KeySym sym = ch == '\n'   ? XK_Return
                 : ch == '\t' ? XK_Tab
                              : static_cast<KeySym>(static_cast<unsigned char>(ch));
    const std::string name = ch == '\n' ? "Return" : ch == '\t' ? "Tab" : std::string(1, ch);
    const KeyCode kc = Code(sym, name, where);
    const bool shift = XkbKeycodeToKeysym(d_.dpy(), kc, 0, 0) != sym;
    const KeyCode shift_kc = Code(XK_Shift_L, "Shift_L", where);
    if (shift) Press(shift_kc, true, "Shift_L");
    Press(kc, true, name);
    Press(kc, false, name);
    if (shift) Press(shift_kc, false, "Shift_L");
  }

  void Combo(const std::string& spec, const std::string& where) {
    static const std::map<std::string, std::string> mods = {
        {"ctrl", "Control_L"}, {"shift", "Shift_L"}, {"alt", "Alt_L"}, {"super", "Super_L"}};
    std::vector<std::pair<KeyCode, std::string>> keys;
    std::stringstream ss(spec);
    std::string part;
    while (std::getline(ss, part, '+')) {
      auto it = mods.find(part);
      const std::string name = it == mods.end() ? part : it->second;
      keys.push_back({Code(XStringToKeysym(name.c_str()), name, where), name});
    }
    for (const auto& [kc, name] : keys) Press(kc, true, name);
    for (auto it = keys.rbegin(); it != keys.rend(); ++it) Press(it->first, false, it->second);
  }

  // Settles, grabs the screen with the cursor drawn in, writes the PNG and logs the frame.
  void Frame() {
    Display* dpy = d_.dpy();
    XSync(dpy, False);
    SleepMs(o_.settle_ms);
    XSync(dpy, False);
    XImage* img = XGetImage(dpy, DefaultRootWindow(dpy), 0, 0, static_cast<unsigned>(o_.width),
                            static_cast<unsigned>(o_.height), AllPlanes, ZPixmap);
    if (!img || img->bits_per_pixel != 32)
      throw Error("XGetImage failed (expected a 24-bit screen)");
    cv::Mat bgra(o_.height, o_.width, CV_8UC4, img->data, static_cast<size_t>(img->bytes_per_line));
    cv::Mat frame;
    cv::cvtColor(bgra, frame, cv::COLOR_BGRA2BGR);
    XDestroyImage(img);
    XFixesCursorImage* ci = XFixesGetCursorImage(dpy);
    if (!ci) throw Error("XFixesGetCursorImage failed");
    x_ = ci->x;
    y_ = ci->y;
    // Frame 0, the conditioning frame, is written without the pointer: a model starts from
    // a screen with no cursor on it and draws the first one where the actions say.
    const std::string sprite = DrawCursor(ci, log_.empty() || o_.hide_cursor ? nullptr : &frame);
    if (log_.empty()) first_sprite_ = sprite;
    XFree(ci);
    frame = View(frame);
    std::ostringstream name;
    name << std::setw(6) << std::setfill('0') << log_.size() << ".png";
    cv::imwrite((frames_dir_ / name.str()).string(), frame, {cv::IMWRITE_PNG_COMPRESSION, 1});
    pending_.x = x_;
    pending_.y = y_;
    log_.push_back(std::move(pending_));
    pending_ = FrameLog{};
  }

  // The part of the screen the frames show, at their size (area-averaged when shrunk).
  cv::Mat View(const cv::Mat& screen) const {
    const cv::Rect crop = CropOf(o_);
    const cv::Size size = FrameSizeOf(o_);
    cv::Mat out = screen(crop);
    if (out.size() != size) {
      cv::resize(out, out, size, 0, 0, size.width < crop.width ? cv::INTER_AREA : cv::INTER_LINEAR);
    }
    return out.clone();
  }

  // Premultiplied ARGB over the frame (when given), as ffmpeg's x11grab draws the pointer;
  // the sprite goes into the library the first time it is seen.
  std::string DrawCursor(const XFixesCursorImage* ci, cv::Mat* frame) {
    const int w = ci->width, h = ci->height;
    cv::Mat sprite(h, w, CV_8UC4);  // straight (not premultiplied) BGRA, for the library
    for (int r = 0; r < h; ++r) {
      for (int c = 0; c < w; ++c) {
        const auto p = static_cast<uint32_t>(ci->pixels[r * w + c]);
        const int a = static_cast<int>(p >> 24), pr = (p >> 16) & 255, pg = (p >> 8) & 255,
                  pb = p & 255;
        auto straight = [a](int v) { return a == 0 ? 0 : std::min(255, (v * 255 + a / 2) / a); };
        sprite.at<cv::Vec4b>(r, c) = {static_cast<uchar>(straight(pb)),
                                      static_cast<uchar>(straight(pg)),
                                      static_cast<uchar>(straight(pr)), static_cast<uchar>(a)};
        const int fx = ci->x - ci->xhot + c, fy = ci->y - ci->yhot + r;
        if (!frame || a == 0 || fx < 0 || fy < 0 || fx >= frame->cols || fy >= frame->rows)
          continue;
        auto& px = frame->at<cv::Vec3b>(fy, fx);
        const int src[3] = {pb, pg, pr};
        for (int ch = 0; ch < 3; ++ch)
          px[ch] = static_cast<uchar>(src[ch] + (px[ch] * (255 - a) + 127) / 255);
      }
    }
    std::string bytes(reinterpret_cast<const char*>(sprite.data), sprite.total() * 4);
    bytes += std::to_string(ci->xhot) + "," + std::to_string(ci->yhot);
    std::ostringstream key;
    key << "cursor-" << std::hex << std::setw(16) << std::setfill('0') << Fnv1a64(bytes);
    auto [it, fresh] = sprites_->try_emplace(key.str());
    if (fresh) {
      it->second = {key.str() + ".png", ci->xhot, ci->yhot, w, h, 0};
      fs::create_directories(cursors_dir_);
      cv::imwrite((cursors_dir_ / it->second.file).string(), sprite);
    }
    ++it->second.frames;
    return key.str();
  }

  Desktop& d_;
  GuiRecordOptions o_;
  fs::path frames_dir_;
  std::map<std::string, Sprite>* sprites_;
  fs::path cursors_dir_;
  std::vector<FrameLog> log_;
  FrameLog pending_;
  int x_ = 0, y_ = 0;
  std::string first_sprite_;
};

std::string FormatTime(double t) {
  const int ms = static_cast<int>(std::lround(t * 1000));
  char buf[32];
  std::snprintf(buf, sizeof buf, "%02d:%02d:%02d.%03d", ms / 3600000, ms / 60000 % 60,
                ms / 1000 % 60, ms % 1000);
  return buf;
}

void WriteLogs(const std::vector<FrameLog>& log, const GuiRecordOptions& o,
               const fs::path& csv_path, const fs::path& json_path) {
  std::ofstream csv(csv_path);
  csv << "Timestamp,Timestamp_formatted,X,Y,Left Click,Right Click,Key Events\n";
  json actions = json::array();
  for (size_t k = 0; k < log.size(); ++k) {
    const double t = static_cast<double>(k + 1) / o.fps;  // the data engine's stamp of row k
    const auto& f = log[k];
    csv << std::setprecision(17) << t << "," << FormatTime(t) << "," << f.x << "," << f.y << ","
        << (f.left ? "True" : "False") << "," << (f.right ? "True" : "False") << ","
        << CsvField(PythonTuples(f.keys)) << "\n";
    for (auto a : f.actions) {
      a["timestamp"] = t;
      actions.push_back(a);
    }
  }
  const json doc = {{"metadata",
                     {{"fps", o.fps},
                      {"duration", static_cast<double>(log.size()) / o.fps},
                      {"screen_width", o.width},
                      {"screen_height", o.height},
                      {"recorder", "ncbench datasets record-gui"}}},
                    {"actions", actions}};
  std::ofstream(json_path) << doc.dump(1) << "\n";
}

}  // namespace

std::vector<Sample> RecordGuiDataset(const std::vector<fs::path>& scripts, const fs::path& out_dir,
                                     const GuiRecordOptions& o) {
  const cv::Rect crop = CropOf(o);
  const cv::Size size = FrameSizeOf(o);
  if (crop.x < 0 || crop.y < 0 || crop.width < 16 || crop.height < 16 ||
      crop.x + crop.width > o.width || crop.y + crop.height > o.height) {
    throw Error("--crop " + std::to_string(crop.x) + "," + std::to_string(crop.y) + "," +
                std::to_string(crop.width) + "," + std::to_string(crop.height) +
                " is not inside the " + std::to_string(o.width) + "x" + std::to_string(o.height) +
                " screen; expected x,y,w,h with w, h >= 16");
  }
  if (size.width < 16 || size.height < 16 || size.width > 8192 || size.height > 8192) {
    throw Error("--frame-size " + std::to_string(size.width) + "x" + std::to_string(size.height) +
                " is out of range; expected 16..8192 px");
  }
  fs::create_directories(out_dir / "logs");
  std::map<std::string, Sprite> sprites;
  std::string arrow;
  std::vector<Sample> samples;
  for (const auto& path : scripts) {
    const GuiScript script = ReadGuiScript(path);
    const std::string id = "gui_" + path.stem().string();
    const fs::path home = out_dir / "home" / id;
    fs::remove_all(home);
    fs::create_directories(home);
    const fs::path frames = out_dir / "frames" / id;
    fs::remove_all(frames);
    std::vector<FrameLog> log;
    {
      Desktop desktop(o, home);
      Session session(desktop, o, frames, &sprites, out_dir / "cursors");
      session.Run(script);
      log = session.log();
      if (arrow.empty()) arrow = session.first_sprite();
    }
    fs::remove_all(home);
    std::ofstream(frames / "fps.txt") << o.fps << "\n";
    WriteLogs(log, o, out_dir / "logs" / (id + ".csv"), out_dir / "logs" / (id + ".json"));
    Sample s;
    s.id = id;
    s.modality = "gui";
    if (!script.caption.empty()) s.captions["regular"] = script.caption;
    s.video = frames;
    s.actions = out_dir / "logs" / (id + ".csv");
    s.fps = o.fps;
    s.action_scale_x = static_cast<double>(size.width) / crop.width;
    s.action_scale_y = static_cast<double>(size.height) / crop.height;
    s.action_offset_x = crop.x;
    s.action_offset_y = crop.y;
    samples.push_back(s);
  }
  fs::remove_all(out_dir / "home");
  json lib = {{"screen", {crop.width, crop.height}},
              {"default", arrow + ".png"},
              {"sprites", json::array()}};
  for (const auto& [name, s] : sprites) {
    lib["sprites"].push_back({{"file", s.file},
                              {"hotspot", {s.hot_x, s.hot_y}},
                              {"size", {s.width, s.height}},
                              {"frames", s.frames}});
  }
  fs::create_directories(out_dir / "cursors");
  std::ofstream(out_dir / "cursors" / "cursors.json") << lib.dump(1) << "\n";
  std::ofstream manifest(out_dir / "manifest.jsonl");
  for (const auto& s : samples) manifest << SampleToJson(s, out_dir).dump() << "\n";
  return samples;
}

}  // namespace ncb
