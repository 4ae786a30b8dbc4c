// A terminal screen: libvterm emulates the byte stream, FreeType draws the cell grid.
//
// This is how ncbench turns an asciinema cast into ground-truth frames and the true screen
// text of each frame. Emulation is libvterm's (checked against alacritty's reference grids
// in tests/golden/vt_reference_test.cpp); drawing is one glyph per cell with a monospace
// TrueType font at a fixed pixel size (13 px by default, the Neural Computers paper's),
// cell background, bold, reverse video, underline and a block cursor.
#pragma once

#include <array>
#include <memory>
#include <opencv2/core.hpp>
#include <string>
#include <string_view>
#include <utility>

struct VTerm;
struct VTermScreen;

namespace ncb {

struct Rgb {
  uint8_t r = 0, g = 0, b = 0;
};

struct Theme {
  std::string name;
  Rgb foreground, background, cursor;
  std::array<Rgb, 16> palette;  // ANSI 0-15
};

// "catppuccin-mocha" (the CLIGen data's theme, the default), "xterm" (xterm's own colours).
Theme ThemeByName(const std::string& name);

struct RenderOptions {
  int font_px = 13;
  std::string font_path = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf";
  std::string bold_font_path = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf";
  std::string theme = "catppuccin-mocha";
  int padding_px = 0;
  bool draw_cursor = true;
  // The vhs look (a tape's own Set lines, datasets/vhs_look.h); the defaults are
  // ncbench's plain look, a canvas of just the grid and the padding.
  std::string font_family;         // "A,B,...": the first one fontconfig has; over font_path
  double line_height = 1.0;        // cell height: floor(the font's height x this)
  double letter_spacing_px = 0;    // cell width: the font's advance + round(this)
  int canvas_w = 0, canvas_h = 0;  // the frame's size (0: the grid and the padding)
  int margin_px = 0;               // around the terminal's window, filled with margin_fill
  Rgb margin_fill;
  int border_radius_px = 0;             // the window's rounded corners
  std::shared_ptr<const Theme> custom;  // a tape's Set Theme, over `theme`
  bool xterm_metrics = false;           // cells as xterm.js sizes them (terminal.cpp)
  // xterm.js's cursor blink, which vhs leaves on: shown for this many seconds after the
  // cursor last moved, hidden for as many, and so on (xterm.js: 0.6 s). 0: a steady cursor.
  // A player that knows the time applies it (frame_source.cpp); Render() draws what it is told.
  double cursor_blink_s = 0;
};

class Terminal {
 public:
  Terminal(int rows, int cols, const RenderOptions& options = {});
  // The rows and columns that fit a canvas_w x canvas_h frame less margin and padding.
  static std::pair<int, int> GridFor(const RenderOptions& options);
  ~Terminal();
  Terminal(const Terminal&) = delete;
  Terminal& operator=(const Terminal&) = delete;

  // Feeds raw output bytes (UTF-8, escape sequences) to the emulator.
  void Feed(std::string_view bytes);
  // Applies an asciinema resize event "COLSxROWS".
  void Resize(const std::string& cols_x_rows);

  // The screen as an 8-bit BGR image of pixel_height() x pixel_width(); cursor_on false
  // leaves the cursor out (a blink's off phase).
  cv::Mat Render(bool cursor_on = true) const;
  // The cursor's cell (row, column).
  std::pair<int, int> CursorCell() const;
  // The screen's text: one line per row, trailing spaces stripped, joined by '\n'.
  std::string ScreenText() const;
  // The characters of one cell as UTF-8 ("" for the right half of a wide character).
  std::string CellText(int row, int col) const;
  // One colour of a cell as the program set it, before the theme maps it to pixels: the
  // terminal's default, a palette index (SGR 30-37 and 40-47 are 0-7, 90-97 and 100-107 are
  // 8-15, 38;5;n and 48;5;n are n) or a 24-bit colour (38;2;r;g;b).
  struct CellColor {
    enum Kind { kDefault, kIndexed, kRgb } kind = kDefault;
    int index = 0;
    Rgb rgb;
  };
  struct CellColors {
    CellColor fg, bg;
    bool reverse = false;  // SGR 7: drawn with fg and bg swapped
  };
  CellColors CellColorsAt(int row, int col) const;

  int rows() const { return rows_; }
  int cols() const { return cols_; }
  int pixel_width() const;
  int pixel_height() const;
  // Columns apart, px: the cell width, or fractional with xterm.js's metrics.
  double column_pitch() const;

 private:
  struct Fonts;
  int rows_, cols_;
  RenderOptions options_;
  Theme theme_;
  VTerm* vt_ = nullptr;
  VTermScreen* screen_ = nullptr;
  bool cursor_visible_ = true;
  // Feed()'s guard in front of libvterm 0.1.4, whose parser has two bugs (terminal.cpp):
  // where it stands in a control sequence, across calls.
  enum class Escape { kNone, kEsc, kCsi } escape_ = Escape::kNone;
  std::string csi_;  // the parameter and intermediate bytes of the CSI sequence so far
  int csi_separators_ = 0;
  std::string esc_intermediates_;   // bytes 0x20-0x2f after an ESC, before its final byte
  char g0_ = 'B', saved_g0_ = 'B';  // the G0 character set designated, and as DECSC saved it
  void RestoreG0();
  std::string last_char_;  // the last graphic character written (UTF-8), for REP
  std::string fed_;        // the bytes that go on to libvterm
  void FinishCsi(char final_byte);
  void Flush();  // fed_ to libvterm now
  // The pending wrap (a character just written in the last column: the next one goes on the
  // next line), which DECSC and CSI ?1049h save and DECRC and CSI ?1049l restore in xterm and
  // alacritty, and libvterm 0.1.4 does not (alacritty's wrapline_alt_toggle reference).
  size_t graphic_at_ = std::string::npos;  // in fed_: the last graphic character, if last
  bool pending_wrap_ = false, saved_pending_wrap_ = false;
  bool PendingWrap();                  // flushes fed_
  void RestorePendingWrap(bool wrap);  // after a restore of the cursor in fed_
  // DECSC/DECRC on the alternate screen have a slot of their own (xterm, alacritty), apart
  // from the main screen's, which CSI ?1049h/l share; libvterm 0.1.4 has one for all
  // (alacritty's saved_cursor_alt reference): the guard keeps the alternate screen's.
  bool alt_screen_ = false;
  struct SavedCursor {
    bool set = false, pending_wrap = false;
    int row = 0, col = 0;
    std::string pen;  // SGR
    char g0 = 'B';
  } alt_saved_;
  void AltSaveRestore(bool save);  // DECSC (save) or DECRC on the alternate screen
  // Carries out `sequence` with the default pen and sets the pen back afterwards.
  void WithDefaultPen(const std::string& sequence);
  std::unique_ptr<Fonts> fonts_;
  static int OnSetTermProp(int prop, void* value, void* user);
};

// Appends the UTF-8 encoding of a code point.
void AppendUtf8(std::string* out, uint32_t cp);

}  // namespace ncb
