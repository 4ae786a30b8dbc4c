#include "datasets/terminal.h"

#include <ft2build.h>
#include FT_FREETYPE_H
#include <fontconfig/fontconfig.h>
#include <strings.h>
#include <vterm.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>
#include <mutex>
#include <opencv2/imgproc.hpp>
#include <utility>
#include <vector>

#include "core/errors.h"

namespace ncb {
namespace {

// A wide character takes two cells; libvterm writes past the row of a 1-column screen
// (found by tests/fuzz/fuzz_terminal), so screens are at least 2 columns wide.
constexpr int kMinCols = 2;

Rgb Hex(uint32_t v) { return {uint8_t(v >> 16), uint8_t(v >> 8), uint8_t(v)}; }

// The file of the first family of "A,B,..." that fontconfig has (regular or bold), as a
// browser picks from a CSS font-family list; a generic name (monospace) always matches.
std::string MatchFont(const std::string& families, bool bold) {
  static std::mutex mu;
  std::lock_guard<std::mutex> lock(mu);
  FcInit();
  size_t at = 0;
  while (at <= families.size()) {
    const size_t end = std::min(families.find(',', at), families.size());
    std::string name = families.substr(at, end - at);
    name.erase(0, name.find_first_not_of(" \t'\""));
    name.erase(name.find_last_not_of(" \t'\"") + 1);
    at = end + 1;
    if (name.empty()) continue;
    if (name == "ui-monospace") name = "monospace";
    FcPattern* pat = FcPatternCreate();
    FcPatternAddString(pat, FC_FAMILY, reinterpret_cast<const FcChar8*>(name.c_str()));
    FcPatternAddInteger(pat, FC_WEIGHT, bold ? FC_WEIGHT_BOLD : FC_WEIGHT_REGULAR);
    FcPatternAddInteger(pat, FC_SLANT, FC_SLANT_ROMAN);
    FcConfigSubstitute(nullptr, pat, FcMatchPattern);
    FcDefaultSubstitute(pat);
    FcResult result;
    FcPattern* match = FcFontMatch(nullptr, pat, &result);
    std::string file;
    FcChar8* matched_family = nullptr;
    FcChar8* path = nullptr;
    if (match && FcPatternGetString(match, FC_FAMILY, 0, &matched_family) == FcResultMatch &&
        FcPatternGetString(match, FC_FILE, 0, &path) == FcResultMatch) {
      const std::string got(reinterpret_cast<const char*>(matched_family));
      // fontconfig always answers something: only the family asked for (or a generic
      // name's) counts, else the next family of the list is tried.
      if (name == "monospace" || strcasecmp(got.c_str(), name.c_str()) == 0)
        file = reinterpret_cast<const char*>(path);
    }
    if (match) FcPatternDestroy(match);
    FcPatternDestroy(pat);
    if (!file.empty()) return file;
  }
  throw MissingError("font family '" + families +
                     "': none installed (install fonts-jetbrains-mono or fonts-dejavu-core)");
}

// The characters of a cell as UTF-8: "" for an empty cell and for the right half of a wide
// character (libvterm marks it with -1).
std::string CellChars(const VTermScreenCell& cell) {
  std::string out;
  for (int i = 0; i < VTERM_MAX_CHARS_PER_CELL && cell.chars[i] != 0; ++i) {
    if (cell.chars[i] == static_cast<uint32_t>(-1)) return "";
    AppendUtf8(&out, cell.chars[i]);
  }
  return out;
}

struct Glyph {
  int left = 0, top = 0;  // bitmap offset from the pen position / baseline
  cv::Mat alpha;          // 8-bit coverage
};

}  // namespace

Theme ThemeByName(const std::string& name) {
  Theme t;
  t.name = name;
  if (name == "catppuccin-mocha") {
    // From the CLIGen (Clean) tapes' "Catppuccin Mocha (Pure White, Warm Pink Cursor)".
    t.foreground = Hex(0xffffff);
    t.background = Hex(0x1e1e2e);
    t.cursor = Hex(0xf5c2e7);
    const uint32_t p[16] = {0x45475a, 0xf38ba8, 0xa6e3a1, 0xf9e2af, 0x89b4fa, 0xcba6f7,
                            0x94e2d5, 0xffffff, 0x585b70, 0xf38ba8, 0xa6e3a1, 0xf9e2af,
                            0x89b4fa, 0xcba6f7, 0x89dceb, 0xffffff};
    for (int i = 0; i < 16; ++i) t.palette[i] = Hex(p[i]);
  } else if (name == "xterm") {
    t.foreground = Hex(0xe5e5e5);
    t.background = Hex(0x000000);
    t.cursor = Hex(0xe5e5e5);
    const uint32_t p[16] = {0x000000, 0xcd0000, 0x00cd00, 0xcdcd00, 0x0000ee, 0xcd00cd,
                            0x00cdcd, 0xe5e5e5, 0x7f7f7f, 0xff0000, 0x00ff00, 0xffff00,
                            0x5c5cff, 0xff00ff, 0x00ffff, 0xffffff};
    for (int i = 0; i < 16; ++i) t.palette[i] = Hex(p[i]);
  } else {
    throw Error("unknown terminal theme '" + name + "'; expected catppuccin-mocha or xterm");
  }
  return t;
}

void AppendUtf8(std::string* out, uint32_t cp) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp <= 0x10FFFF) {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// FreeType faces with a glyph cache. Rendering mutates the cache, hence the mutex.
struct Terminal::Fonts {
  FT_Library lib = nullptr;
  FT_Face regular = nullptr, bold = nullptr;
  int cell_w = 0, cell_h = 0, ascent = 0;
  double pitch = 0;  // columns apart, px (cell_w, or fractional with xterm.js's metrics)
  int char_top = 0;  // the glyphs' box (ascent + descent) from the cell's top
  std::map<std::pair<uint32_t, bool>, Glyph> cache;
  std::mutex mu;

  Fonts(const RenderOptions& o) {
    if (o.font_px < 4 || o.font_px > 256) {
      throw Error("font size " + std::to_string(o.font_px) + " px is out of range 4..256");
    }
    NCB_CHECK(FT_Init_FreeType(&lib) == 0);
    const std::string regular_path =
        o.font_family.empty() ? o.font_path : MatchFont(o.font_family, false);
    const std::string bold_path =
        o.font_family.empty() ? o.bold_font_path : MatchFont(o.font_family, true);
    regular = Load(regular_path, o.font_px);
    bold = bold_path.empty() ? nullptr : Load(bold_path, o.font_px);
    const auto& m = regular->size->metrics;
    // As xterm.js (vhs's terminal) sizes its cells: the advance plus the letter spacing, the
    // font's height times the line height, the glyphs centred in the extra height.
    ascent = static_cast<int>(std::ceil(m.ascender / 64.0));
    int char_h = ascent + static_cast<int>(std::ceil(-m.descender / 64.0));
    if (o.xterm_metrics) {
      // Measured on the released CLIGen renders (JetBrains Mono 40 px, line height 1.2,
      // letter spacing 0.8: columns 24.8 px apart, rows 65): the browser's glyph box is a
      // pixel taller than FreeType's, rows round it times the line height, columns keep the
      // fractional spacing.
      char_h += 1;
      pitch = m.max_advance / 64.0 + o.letter_spacing_px;
      cell_h = std::max(1, static_cast<int>(std::lround(char_h * o.line_height)));
      cell_w = static_cast<int>(std::ceil(pitch));
    } else {
      cell_w = static_cast<int>(std::ceil(m.max_advance / 64.0)) +
               static_cast<int>(std::lround(o.letter_spacing_px));
      pitch = cell_w;
      cell_h = std::max(1, static_cast<int>(std::floor(char_h * o.line_height)));
    }
    char_top = (cell_h - char_h) / 2;
    if (cell_w < 1)
      throw Error("letter spacing " + std::to_string(o.letter_spacing_px) +
                  " px leaves no cell width");
  }
  ~Fonts() {
    if (bold) FT_Done_Face(bold);
    if (regular) FT_Done_Face(regular);
    FT_Done_FreeType(lib);
  }
  FT_Face Load(const std::string& path, int px) {
    FT_Face face = nullptr;
    if (FT_New_Face(lib, path.c_str(), 0, &face) != 0) {
      throw MissingError(At(path, "cannot load font (install fonts-dejavu-core or pass --font)"));
    }
    FT_Set_Pixel_Sizes(face, 0, static_cast<FT_UInt>(px));
    return face;
  }
  const Glyph& Get(uint32_t cp, bool is_bold) {
    auto key = std::make_pair(cp, is_bold);
    auto it = cache.find(key);
    if (it != cache.end()) return it->second;
    FT_Face face = (is_bold && bold) ? bold : regular;
    Glyph g;
    if (FT_Load_Char(face, cp, FT_LOAD_RENDER | FT_LOAD_TARGET_NORMAL) == 0) {
      const FT_Bitmap& bm = face->glyph->bitmap;
      g.left = face->glyph->bitmap_left;
      g.top = face->glyph->bitmap_top;
      if (bm.rows > 0 && bm.width > 0 && bm.pixel_mode == FT_PIXEL_MODE_GRAY) {
        g.alpha = cv::Mat(static_cast<int>(bm.rows), static_cast<int>(bm.width), CV_8UC1);
        for (unsigned r = 0; r < bm.rows; ++r) {
          std::copy_n(bm.buffer + r * bm.pitch, bm.width,
                      g.alpha.ptr<uint8_t>(static_cast<int>(r)));
        }
      }
    }
    return cache.emplace(key, std::move(g)).first->second;
  }
};

int Terminal::OnSetTermProp(int prop, void* value, void* user) {
  auto* self = static_cast<Terminal*>(user);
  if (prop == VTERM_PROP_CURSORVISIBLE) {
    self->cursor_visible_ = static_cast<VTermValue*>(value)->boolean != 0;
  }
  return 1;
}

Terminal::Terminal(int rows, int cols, const RenderOptions& options)
    : rows_(rows),
      cols_(cols),
      options_(options),
      theme_(options.custom ? *options.custom : ThemeByName(options.theme)),
      fonts_(std::make_unique<Fonts>(options)) {
  if (rows < 1 || cols < kMinCols || rows > 1000 || cols > 1000) {
    throw Error("terminal size " + std::to_string(cols) + "x" + std::to_string(rows) +
                " is out of range: columns 2..1000, rows 1..1000");
  }
  vt_ = vterm_new(rows, cols);
  vterm_set_utf8(vt_, 1);
  screen_ = vterm_obtain_screen(vt_);
  static VTermScreenCallbacks callbacks = {};
  callbacks.settermprop = [](VTermProp prop, VTermValue* val, void* user) -> int {
    return Terminal::OnSetTermProp(static_cast<int>(prop), val, user);
  };
  vterm_screen_set_callbacks(screen_, &callbacks, this);
  vterm_screen_enable_altscreen(screen_, 1);
  VTermState* state = vterm_obtain_state(vt_);
  VTermColor fg, bg;
  vterm_color_rgb(&fg, theme_.foreground.r, theme_.foreground.g, theme_.foreground.b);
  vterm_color_rgb(&bg, theme_.background.r, theme_.background.g, theme_.background.b);
  vterm_state_set_default_colors(state, &fg, &bg);
  for (int i = 0; i < 16; ++i) {
    VTermColor c;
    vterm_color_rgb(&c, theme_.palette[i].r, theme_.palette[i].g, theme_.palette[i].b);
    vterm_state_set_palette_color(state, i, &c);
  }
  vterm_screen_reset(screen_, 1);
}

Terminal::~Terminal() {
  if (vt_) vterm_free(vt_);
}

// libvterm 0.1.4 (Debian 12) has two parser bugs that hostile or unusual output reaches
// (both found by tests/fuzz/fuzz_terminal), and differs from xterm and alacritty in a few
// places (found against alacritty's reference grids, tests/golden/vt_reference_test.cpp), so
// Feed() passes bytes through a small guard:
//  - a CSI sequence of more than 16 arguments ("ESC[1;1;...;1m") writes past its argument
//    array and corrupts the heap: the arguments past the 16th are dropped, as terminals
//    ignore the ones they do not know;
//  - REP ("ESC[Nb", repeat the preceding graphic character) loops forever when no character
//    precedes it: the guard carries REP out itself, writing the last graphic character N
//    times up to the end of the line (libvterm's own bound), and drops it when there is none.
//  - DECSC (ESC 7) and the alternate screen's save (CSI ?1049h) do not save the G0 character
//    set, so DECRC (ESC 8) and CSI ?1049l left "ESC ( 0" line drawing on (alacritty's
//    saved_cursor reference): the guard tracks G0 and designates the saved one again;
//  - nor the pending wrap (a character just written in the last column): the guard finds it
//    at the save and, at the restore, writes that column's character again (wrapline_alt_toggle);
//  - DECALN (ESC # 8) fills the screen with the current pen, and DECCOLM (CSI ? 3 h/l) does
//    nothing: both are carried out in the default colours, the pen set back after
//    (decaln_reset, deccolm_reset);
//  - SGR 38:2:<colour space>:r:g:b (T.416) is read as 38:2:r:g:b: the colour space id is
//    dropped (sgr);
//  - DECSC/DECRC on the alternate screen use a slot of their own (AltSaveRestore,
//    saved_cursor_alt).
// Erased cells keep the whole pen in libvterm 0.1.4 (reverse video, underline...); they are
// read with the background colour only (VisibleCell, alt_reset).
// Everything else reaches libvterm unchanged and in order; controls inside a CSI sequence,
// which the terminal executes at once, go ahead of the sequence, and a sequence cancelled by
// ESC, CAN or SUB is dropped (it would have done nothing).
constexpr int kMaxCsiSeparators = 15;

namespace {
// The ';'-separated parameters of a CSI sequence, empty ones kept ("1;;3": "1", "", "3").
std::vector<std::string> CsiParams(const std::string& args) {
  std::vector<std::string> out;
  for (size_t at = 0; at <= args.size();) {
    const size_t end = std::min(args.find(';', at), args.size());
    out.push_back(args.substr(at, end - at));
    at = end + 1;
  }
  return out;
}

// ITU T.416's direct colour, "38:2:<colour space>:r:g:b" (and 48, 58), as xterm and alacritty
// read it; libvterm 0.1.4 takes the first three numbers after the 2 as r, g, b. The colour
// space id (often empty: "38:2::r:g:b") is dropped; "38:2:r:g:b" stays as it is.
void DropColourSpaces(std::string* sgr) {
  std::string out;
  bool leading = true;
  for (std::string param : CsiParams(*sgr)) {
    if (std::count(param.begin(), param.end(), ':') == 5) {
      const size_t first = param.find(':'), second = param.find(':', first + 1);
      const std::string kind = param.substr(0, first);
      if ((kind == "38" || kind == "48" || kind == "58") &&
          param.compare(first + 1, second - first - 1, "2") == 0) {
        const size_t third = param.find(':', second + 1);
        param.erase(second, third - second);
      }
    }
    if (!std::exchange(leading, false)) out.push_back(';');
    out += param;
  }
  *sgr = out;
}
}  // namespace

void Terminal::FinishCsi(char final_byte) {
  const bool plain_args = csi_.find_first_not_of("0123456789;:") == std::string::npos;
  if (final_byte == 'b' && plain_args) {
    if (last_char_.empty()) return;
    const int n = std::max(1, std::atoi(csi_.c_str()));  // the first argument; 0 or none: 1
    Flush();
    VTermPos pos;
    vterm_state_get_cursorpos(vterm_obtain_state(vt_), &pos);
    int vrows = 0, vcols = 0;
    vterm_get_size(vt_, &vrows, &vcols);
    for (int i = 0; i < std::min(n, vcols - pos.col); ++i) {
      graphic_at_ = fed_.size();
      fed_ += last_char_;
    }
    return;
  }
  if (final_byte == 'm' && plain_args) DropColourSpaces(&csi_);
  const bool save = (csi_ == "?1049" || csi_ == "?1048") && final_byte == 'h';
  const bool restore = (csi_ == "?1049" || csi_ == "?1048") && final_byte == 'l';
  if (save) saved_pending_wrap_ = PendingWrap();
  if (final_byte != 'm') graphic_at_ = std::string::npos, pending_wrap_ = false;
  fed_ += "\x1b[";
  fed_ += csi_;
  fed_.push_back(final_byte);
  // DECCOLM (CSI ? 3 h/l) switches 80/132 columns, which a fixed canvas does not; xterm and
  // alacritty still reset the margins, clear the screen to the default colours and home
  // the cursor, which libvterm 0.1.4 does not.
  if ((final_byte == 'h' || final_byte == 'l') && !csi_.empty() && csi_[0] == '?' &&
      csi_.find_first_not_of("0123456789;", 1) == std::string::npos) {
    const auto modes = CsiParams(csi_.substr(1));
    if (std::find(modes.begin(), modes.end(), "3") != modes.end())
      WithDefaultPen("\x1b[r\x1b[2J\x1b[H");
  }
  if (csi_ == "?1049" && final_byte == 'h') saved_g0_ = g0_;
  if (csi_ == "?1049" && final_byte == 'l') RestoreG0();
  if (restore) RestorePendingWrap(saved_pending_wrap_);
  for (const char* alt : {"?1049", "?1047", "?47"}) {
    if (csi_ == alt) alt_screen_ = final_byte == 'h';
  }
}

void Terminal::Flush() {
  if (!fed_.empty()) vterm_input_write(vt_, fed_.data(), fed_.size());
  fed_.clear();
  if (graphic_at_ != std::string::npos) pending_wrap_ = false;  // unknown: none
  graphic_at_ = std::string::npos;
}

namespace {
// The SGR sequence of a pen: libvterm's current one, or a cell's.
struct PenLook {
  bool bold = false, italic = false, blink = false, reverse = false, strike = false;
  int underline = 0, font = 0;
  VTermColor fg{}, bg{};
};

std::string Sgr(const PenLook& p) {
  std::string sgr = "\x1b[0";
  if (p.bold) sgr += ";1";
  if (p.italic) sgr += ";3";
  switch (p.underline) {
    case VTERM_UNDERLINE_SINGLE:
      sgr += ";4";
      break;
    case VTERM_UNDERLINE_DOUBLE:
      sgr += ";21";
      break;
    case VTERM_UNDERLINE_CURLY:
      sgr += ";4:3";
      break;
    default:
      break;
  }
  if (p.blink) sgr += ";5";
  if (p.reverse) sgr += ";7";
  if (p.strike) sgr += ";9";
  if (p.font > 0) sgr += ";" + std::to_string(10 + p.font);
  for (const bool fg : {true, false}) {
    const VTermColor& c = fg ? p.fg : p.bg;
    if (fg ? VTERM_COLOR_IS_DEFAULT_FG(&c) : VTERM_COLOR_IS_DEFAULT_BG(&c)) continue;
    const int base = fg ? 30 : 40;
    if (VTERM_COLOR_IS_INDEXED(&c)) {
      const int i = c.indexed.idx;
      sgr += ";" + (i < 8    ? std::to_string(base + i)
                    : i < 16 ? std::to_string(base + 60 + i - 8)
                             : std::to_string(base + 8) + ";5;" + std::to_string(i));
    } else {
      sgr += ";" + std::to_string(base + 8) + ";2;" + std::to_string(c.rgb.red) + ";" +
             std::to_string(c.rgb.green) + ";" + std::to_string(c.rgb.blue);
    }
  }
  return sgr + "m";
}

std::string PenSgr(const VTermState* state) {
  VTermValue v;
  const auto attr = [&](VTermAttr a) {
    vterm_state_get_penattr(state, a, &v);
    return v;
  };
  PenLook p;
  p.bold = attr(VTERM_ATTR_BOLD).boolean;
  p.italic = attr(VTERM_ATTR_ITALIC).boolean;
  p.underline = attr(VTERM_ATTR_UNDERLINE).number;
  p.blink = attr(VTERM_ATTR_BLINK).boolean;
  p.reverse = attr(VTERM_ATTR_REVERSE).boolean;
  p.strike = attr(VTERM_ATTR_STRIKE).boolean;
  p.font = attr(VTERM_ATTR_FONT).number;
  p.fg = attr(VTERM_ATTR_FOREGROUND).color;
  p.bg = attr(VTERM_ATTR_BACKGROUND).color;
  return Sgr(p);
}

std::string CellSgr(const VTermScreenCell& cell) {
  PenLook p;
  p.bold = cell.attrs.bold;
  p.italic = cell.attrs.italic;
  p.underline = cell.attrs.underline;
  p.blink = cell.attrs.blink;
  p.reverse = cell.attrs.reverse;
  p.strike = cell.attrs.strike;
  p.font = cell.attrs.font;
  p.fg = cell.fg;
  p.bg = cell.bg;
  return Sgr(p);
}
}  // namespace

void Terminal::WithDefaultPen(const std::string& sequence) {
  Flush();
  const std::string pen = PenSgr(vterm_obtain_state(vt_));
  fed_ += "\x1b[0m" + sequence + pen;
}

bool Terminal::PendingWrap() {
  if (graphic_at_ == std::string::npos) {
    Flush();
    return pending_wrap_;
  }
  VTermState* state = vterm_obtain_state(vt_);
  VTermPos before, after;
  vterm_input_write(vt_, fed_.data(), graphic_at_);
  vterm_state_get_cursorpos(state, &before);
  vterm_input_write(vt_, fed_.data() + graphic_at_, fed_.size() - graphic_at_);
  vterm_state_get_cursorpos(state, &after);
  fed_.clear();
  graphic_at_ = std::string::npos;
  int vrows = 0, vcols = 0;
  vterm_get_size(vt_, &vrows, &vcols);
  // Written in the last column and still there: the wrap waits for the next character.
  pending_wrap_ = before.col == vcols - 1 && after.col == vcols - 1 && before.row == after.row;
  return pending_wrap_;
}

void Terminal::RestorePendingWrap(bool wrap) {
  if (!wrap) return;
  Flush();
  VTermState* state = vterm_obtain_state(vt_);
  VTermPos pos;
  vterm_state_get_cursorpos(state, &pos);
  int vrows = 0, vcols = 0;
  vterm_get_size(vt_, &vrows, &vcols);
  VTermScreenCell cell;
  if (pos.col != vcols - 1 || !vterm_screen_get_cell(screen_, pos, &cell) || cell.width != 1)
    return;
  // The character in the last column written again, as it is (ASCII character set), then
  // the pen and G0 as they were: libvterm's own pending wrap is set again.
  std::string ch = CellChars(cell);
  if (ch.empty()) ch = " ";
  fed_ += CellSgr(cell) + "\x1b(B";
  graphic_at_ = fed_.size();
  fed_ += ch + PenSgr(state) + "\x1b(" + std::string(1, g0_);
}

void Terminal::AltSaveRestore(bool save) {
  VTermState* state = vterm_obtain_state(vt_);
  if (save) {
    alt_saved_.pending_wrap = PendingWrap();  // flushes
    VTermPos pos;
    vterm_state_get_cursorpos(state, &pos);
    alt_saved_ = {true, alt_saved_.pending_wrap, pos.row, pos.col, PenSgr(state), g0_};
  } else if (alt_saved_.set) {
    fed_ += "\x1b[" + std::to_string(alt_saved_.row + 1) + ";" +
            std::to_string(alt_saved_.col + 1) + "H" + alt_saved_.pen + "\x1b(" +
            std::string(1, alt_saved_.g0);
    g0_ = alt_saved_.g0;
    RestorePendingWrap(alt_saved_.pending_wrap);
  } else {
    fed_ +=
        "\x1b"
        "8";  // nothing saved here yet: libvterm's own slot
  }
  graphic_at_ = std::string::npos;
  pending_wrap_ = false;
}

void Terminal::RestoreG0() {
  g0_ = saved_g0_;
  fed_ += "\x1b(";
  fed_.push_back(g0_);
}

void Terminal::Feed(std::string_view bytes) {
  fed_.clear();
  for (const char ch : bytes) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == 0x1b) {
      if (escape_ == Escape::kEsc) fed_ += "\x1b" + esc_intermediates_;
      escape_ = Escape::kEsc;  // the ESC waits for the next byte, maybe in the next call
      esc_intermediates_.clear();
      continue;
    }
    if (escape_ == Escape::kEsc) {
      if (c == '[') {  // CSI: the sequence goes out whole at its final byte
        // After intermediates libvterm's parser still opens a CSI sequence (the fuzzer found
        // "ESC SP [ b"); the intermediates are printed, as before this parser kept them.
        fed_ += esc_intermediates_;
        esc_intermediates_.clear();
        escape_ = Escape::kCsi;
        csi_.clear();
        csi_separators_ = 0;
        continue;
      }
      // A control inside the escape is executed at once and a byte above 0x7e ignored: the
      // escape goes on (the fuzzer found "ESC NUL [ b", "ESC 0xff [ b"). An intermediate
      // (0x20-0x2f) is kept and goes out after the ESC with the final byte: "ESC # 8" (DECALN),
      // "ESC ( B" (character sets).
      if (c >= 0x20 && c < 0x30) {
        if (esc_intermediates_.size() < 8) esc_intermediates_.push_back(ch);
        continue;
      }
      if ((c < 0x20 && c != 0x18 && c != 0x1a) || c >= 0x7f) {
        if (c < 0x20) graphic_at_ = std::string::npos, pending_wrap_ = false;
        fed_.push_back(ch);
        continue;
      }
      escape_ = Escape::kNone;
      if (esc_intermediates_ == "#" && ch == '8') {
        // DECALN fills the screen with E in the default colours (xterm, alacritty); libvterm
        // 0.1.4 uses the current pen.
        WithDefaultPen("\x1b#8");
        esc_intermediates_.clear();
        continue;
      }
      if (alt_screen_ && esc_intermediates_.empty() && (ch == '7' || ch == '8')) {
        AltSaveRestore(ch == '7');
        continue;
      }
      if (esc_intermediates_.empty() && ch == '7') saved_pending_wrap_ = PendingWrap();
      graphic_at_ = std::string::npos, pending_wrap_ = false;
      fed_ += "\x1b" + esc_intermediates_;
      fed_.push_back(ch);
      if (esc_intermediates_ == "(") g0_ = ch;
      if (esc_intermediates_.empty() && ch == '7') saved_g0_ = g0_;
      if (esc_intermediates_.empty() && ch == '8') {
        RestoreG0();
        RestorePendingWrap(saved_pending_wrap_);
      }
      if (esc_intermediates_.empty() && ch == 'c') g0_ = saved_g0_ = 'B';  // RIS
      esc_intermediates_.clear();
      continue;
    }
    if (escape_ == Escape::kCsi) {
      if (c >= 0x40 && c <= 0x7e) {
        escape_ = Escape::kNone;
        FinishCsi(ch);
      } else if (c == 0x18 || c == 0x1a) {  // CAN, SUB cancel the sequence
        escape_ = Escape::kNone;
        fed_.push_back(ch);
      } else if (c >= 0x20 && c <= 0x3f) {  // parameters and intermediates
        if (c == ';' || c == ':') ++csi_separators_;
        if (csi_separators_ <= kMaxCsiSeparators && csi_.size() < 4096) csi_.push_back(ch);
      } else {
        graphic_at_ = std::string::npos, pending_wrap_ = false;
        fed_.push_back(ch);  // a control (executed at once) or a stray byte
      }
      continue;
    }
    // Ground state: remember the last graphic character (ASCII, or a whole UTF-8 sequence).
    if ((c >= 0x20 && c < 0x7f) || (c >= 0xc0 && c <= 0xf7)) {
      last_char_.assign(1, ch);
      graphic_at_ = fed_.size();
    } else if (c < 0x20 || c == 0x7f) {
      graphic_at_ = std::string::npos, pending_wrap_ = false;
    } else if (c >= 0x80 && c <= 0xbf && !last_char_.empty() && last_char_.size() < 4 &&
               static_cast<unsigned char>(last_char_[0]) >= 0xc0) {
      last_char_.push_back(ch);
    }
    fed_.push_back(ch);
  }
  PendingWrap();  // flushes; what it finds carries over to the next call
}

void Terminal::Resize(const std::string& cols_x_rows) {
  int c = 0, r = 0;
  if (std::sscanf(cols_x_rows.c_str(), "%dx%d", &c, &r) != 2 || c < kMinCols || r < 1 || c > 1000 ||
      r > 1000) {
    throw FormatError("resize event '" + cols_x_rows +
                      "'; expected COLSxROWS with columns 2..1000, rows 1..1000");
  }
  // The frame size is fixed for a clip: the emulator follows, the canvas does not.
  vterm_set_size(vt_, r, c);
}

int Terminal::pixel_width() const {
  return options_.canvas_w > 0 ? options_.canvas_w
                               : cols_ * fonts_->cell_w + 2 * options_.padding_px;
}
int Terminal::pixel_height() const {
  return options_.canvas_h > 0 ? options_.canvas_h
                               : rows_ * fonts_->cell_h + 2 * options_.padding_px;
}

double Terminal::column_pitch() const { return fonts_->pitch; }

std::pair<int, int> Terminal::GridFor(const RenderOptions& o) {
  const Fonts f(o);
  const int inset = 2 * (o.margin_px + o.padding_px);
  return {std::max(1, (o.canvas_h - inset) / f.cell_h),
          std::max(kMinCols, static_cast<int>((o.canvas_w - inset) / f.pitch))};
}

namespace {

// A cell as terminals show it. libvterm 0.1.4 (Debian 12) erases cells with the whole pen,
// so an erased cell keeps reverse video, underline, bold...; xterm and alacritty keep the
// background colour only (libvterm 0.3 does the same: "only copy .fg and .bg"). An erased
// cell is one without characters: a written space holds ' '.
bool VisibleCell(VTermScreen* screen, VTermPos pos, VTermScreenCell* cell) {
  if (!vterm_screen_get_cell(screen, pos, cell)) return false;
  if (cell->chars[0] == 0) {
    const VTermScreenCellAttrs line = cell->attrs;  // the line's double width/height stays
    cell->attrs = {};
    cell->attrs.dwl = line.dwl;
    cell->attrs.dhl = line.dhl;
  }
  return true;
}
}  // namespace

std::string Terminal::CellText(int row, int col) const {
  VTermScreenCell cell;
  if (!vterm_screen_get_cell(screen_, VTermPos{row, col}, &cell)) return "";
  return CellChars(cell);
}

Terminal::CellColors Terminal::CellColorsAt(int row, int col) const {
  CellColors out;
  VTermScreenCell cell;
  if (!VisibleCell(screen_, VTermPos{row, col}, &cell)) return out;
  const auto convert = [](const VTermColor& c, bool is_default) {
    CellColor o;
    if (is_default) return o;
    if (VTERM_COLOR_IS_INDEXED(&c)) {
      o.kind = CellColor::kIndexed;
      o.index = c.indexed.idx;
    } else {
      o.kind = CellColor::kRgb;
      o.rgb = {c.rgb.red, c.rgb.green, c.rgb.blue};
    }
    return o;
  };
  out.fg = convert(cell.fg, VTERM_COLOR_IS_DEFAULT_FG(&cell.fg));
  out.bg = convert(cell.bg, VTERM_COLOR_IS_DEFAULT_BG(&cell.bg));
  out.reverse = cell.attrs.reverse;
  return out;
}

std::string Terminal::ScreenText() const {
  std::string text;
  int vrows = 0, vcols = 0;
  vterm_get_size(vt_, &vrows, &vcols);
  for (int r = 0; r < vrows; ++r) {
    std::string line;
    for (int c = 0; c < vcols; ++c) {
      VTermScreenCell cell;
      if (!vterm_screen_get_cell(screen_, VTermPos{r, c}, &cell)) continue;
      const std::string s = CellChars(cell);
      if (!s.empty()) {
        line += s;
      } else if (cell.chars[0] == 0) {
        line.push_back(' ');  // an empty cell; the right half of a wide character adds nothing
      }
    }
    line.erase(line.find_last_not_of(' ') + 1);
    if (r) text.push_back('\n');
    text += line;
  }
  return text;
}

std::pair<int, int> Terminal::CursorCell() const {
  VTermPos pos;
  vterm_state_get_cursorpos(vterm_obtain_state(vt_), &pos);
  return {pos.row, pos.col};
}

cv::Mat Terminal::Render(bool cursor_on) const {
  const auto& th = theme_;
  const int margin = options_.margin_px, pad = margin + options_.padding_px;
  const int ch = fonts_->cell_h;
  // xterm.js's rows sit in the middle of the height they do not fill (vhs's frames).
  const int top = pad + (options_.xterm_metrics && options_.canvas_h > 0
                             ? (options_.canvas_h - 2 * pad - rows_ * ch) / 2
                             : 0);
  const cv::Scalar background(th.background.b, th.background.g, th.background.r);
  cv::Mat img(pixel_height(), pixel_width(), CV_8UC3, background);
  if (margin > 0 || options_.border_radius_px > 0) {
    // vhs's frame: the margin's fill around a window of the theme's background with rounded
    // corners.
    const auto& f = options_.margin_fill;
    img.setTo(cv::Scalar(f.b, f.g, f.r));
    const cv::Rect win(margin, margin, img.cols - 2 * margin, img.rows - 2 * margin);
    const int rad = std::clamp(options_.border_radius_px, 0, std::min(win.width, win.height) / 2);
    if (win.width > 0 && win.height > 0) {
      cv::rectangle(img, cv::Rect(win.x + rad, win.y, win.width - 2 * rad, win.height), background,
                    cv::FILLED);
      cv::rectangle(img, cv::Rect(win.x, win.y + rad, win.width, win.height - 2 * rad), background,
                    cv::FILLED);
      for (const cv::Point c :
           {cv::Point(win.x + rad, win.y + rad),
            cv::Point(win.x + win.width - 1 - rad, win.y + rad),
            cv::Point(win.x + rad, win.y + win.height - 1 - rad),
            cv::Point(win.x + win.width - 1 - rad, win.y + win.height - 1 - rad)}) {
        if (rad > 0) cv::circle(img, c, rad, background, cv::FILLED, cv::LINE_AA);
      }
    }
  }
  std::lock_guard<std::mutex> lock(fonts_->mu);
  VTermPos cursor;
  vterm_state_get_cursorpos(vterm_obtain_state(vt_), &cursor);
  // After a resize event the emulator may be larger than the fixed canvas: draw what fits.
  int vrows = 0, vcols = 0;
  vterm_get_size(vt_, &vrows, &vcols);
  vrows = std::min(rows_, vrows);
  vcols = std::min(cols_, vcols);
  for (int r = 0; r < vrows; ++r) {
    for (int c = 0; c < vcols; ++c) {
      VTermScreenCell cell;
      if (!VisibleCell(screen_, VTermPos{r, c}, &cell)) continue;
      if (cell.chars[0] == static_cast<uint32_t>(-1)) continue;
      VTermColor fg = cell.fg, bg = cell.bg;
      vterm_screen_convert_color_to_rgb(screen_, &fg);
      vterm_screen_convert_color_to_rgb(screen_, &bg);
      cv::Vec3b fgc(fg.rgb.blue, fg.rgb.green, fg.rgb.red),
          bgc(bg.rgb.blue, bg.rgb.green, bg.rgb.red);
      if (cell.attrs.reverse) std::swap(fgc, bgc);
      const bool at_cursor = options_.draw_cursor && cursor_on && cursor_visible_ &&
                             r == cursor.row && c == cursor.col;
      if (at_cursor) {
        bgc = cv::Vec3b(th.cursor.b, th.cursor.g, th.cursor.r);
        fgc = cv::Vec3b(th.background.b, th.background.g, th.background.r);
      }
      const int x0 = pad + static_cast<int>(std::lround(c * fonts_->pitch));
      const int w = pad +
                    static_cast<int>(std::lround((c + std::max(1, static_cast<int>(cell.width))) *
                                                 fonts_->pitch)) -
                    x0;
      const int y0 = top + r * ch;
      cv::Rect box(x0, y0, std::min(w, img.cols - x0), ch);
      img(box).setTo(cv::Scalar(bgc[0], bgc[1], bgc[2]));
      if (cell.chars[0] != 0 && cell.chars[0] != ' ') {
        const Glyph& g = fonts_->Get(cell.chars[0], cell.attrs.bold);
        const int gx = x0 + g.left, gy = y0 + fonts_->char_top + fonts_->ascent - g.top;
        for (int yy = 0; yy < g.alpha.rows; ++yy) {
          const int py = gy + yy;
          if (py < y0 || py >= y0 + ch || py >= img.rows) continue;
          const uint8_t* a = g.alpha.ptr<uint8_t>(yy);
          auto* dst = img.ptr<cv::Vec3b>(py);
          for (int xx = 0; xx < g.alpha.cols; ++xx) {
            const int px = gx + xx;
            if (px < x0 || px >= x0 + w || px >= img.cols || a[xx] == 0) continue;
            for (int k = 0; k < 3; ++k) {
              dst[px][k] =
                  static_cast<uint8_t>((fgc[k] * a[xx] + bgc[k] * (255 - a[xx]) + 127) / 255);
            }
          }
        }
      }
      if (cell.attrs.underline) {
        img(cv::Rect(x0, y0 + ch - 1, box.width, 1)).setTo(cv::Scalar(fgc[0], fgc[1], fgc[2]));
      }
    }
  }
  return img;
}

}  // namespace ncb
