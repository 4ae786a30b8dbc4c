#include "probes/arithmetic/calculator_checkpoint.h"

#include <torch/script.h>

#include "bench/checkpoint/reference_checkpoints.h"
#include "probes/arithmetic/screen.h"

namespace ncb {
namespace {

const char* kSource = R"py(
def expr_of(self, prompt: str) -> str:
    marker = 'Type "'
    first = prompt.find(marker)
    if first < 0:
        return ""
    second = prompt.find(marker, first + len(marker))
    if second < 0:
        return ""
    start = second + len(marker)
    end = prompt.find('"', start)
    if end < 0:
        return ""
    return prompt[start:end]

def true_div(self, a: int, b: int) -> str:
    # Python's repr: the shortest decimal that reads back to the quotient, and the closest
    # one to it. The double is exactly m / 2**k (doubling is exact), so its full decimal
    # expansion is m * 5**k / 10**k, computed here with a digit list; it is then rounded to
    # 1, 2, ... decimals until the result reads back to the same double.
    x = a / b
    y = x
    k = 0
    while float(int(y)) != y:
        y = y * 2.0
        k += 1
    m = int(y)
    if k == 0:
        return str(m) + ".0"
    ms = str(m)
    digits: List[int] = []
    for i in range(len(ms)):
        digits.append(ord(ms[len(ms) - 1 - i]) - 48)
    for step in range(k):
        carry = 0
        for i in range(len(digits)):
            v = digits[i] * 5 + carry
            digits[i] = v % 10
            carry = v // 10
        while carry > 0:
            digits.append(carry % 10)
            carry = carry // 10
    while len(digits) <= k:
        digits.append(0)
    digits.reverse()
    ip = 0
    for i in range(len(digits) - k):
        ip = ip * 10 + digits[i]
    fp = digits[len(digits) - k:]
    for n in range(1, k + 1):
        kept: List[int] = []
        for i in range(n):
            kept.append(fp[i])
        up = False
        if n < k:
            first = fp[n]
            tail_nonzero = False
            for i in range(n + 1, k):
                if fp[i] != 0:
                    tail_nonzero = True
            up = first > 5 or (first == 5 and (tail_nonzero or kept[n - 1] % 2 == 1))
        qq = ip
        if up:
            j = n - 1
            carry = 1
            while j >= 0 and carry == 1:
                d = kept[j] + 1
                if d == 10:
                    kept[j] = 0
                else:
                    kept[j] = d
                    carry = 0
                j -= 1
            qq = ip + carry
        cand = str(qq) + "."
        for d in kept:
            cand = cand + str(d)
        if float(cand) == x:
            return cand
    return str(x)

def answer(self, expr: str) -> str:
    i = 1
    while i < len(expr) and expr[i] != "+" and expr[i] != "-" and expr[i] != "*" and expr[i] != "/" and expr[i] != "%":
        i += 1
    if len(expr) == 0 or i >= len(expr) - 1:
        return "SyntaxError"
    a = int(expr[:i])
    b = int(expr[i + 1:])
    op = expr[i]
    if op == "+":
        return str(a + b)
    if op == "-":
        return str(a - b)
    if op == "*":
        return str(a * b)
    if b == 0:
        return "ZeroDivisionError"
    if op == "%":
        return str(a % b)
    return self.true_div(a, b)

def perturb(self, s: str) -> str:
    d = ord(s[len(s) - 1]) - 48
    if d < 0 or d > 9:
        return s + "1"
    return s[:len(s) - 1] + chr(48 + (d + 1) % 10)

def draw(self, frame: Tensor, row: int, text: str) -> int:
    # Writes `text` from the start of `row`, wrapping at the screen's width as a terminal
    # does; returns the row after the last one written.
    col = 0
    for i in range(len(text)):
        if col == self.cols:
            col = 0
            row += 1
        if row >= self.rows:
            return row
        code = ord(text[i])
        y = self.origin_y + row * self.cell_h
        x = self.origin_x + int(col * self.pitch + 0.5)
        if code >= 32 and code < 127:
            frame[:, y:y + self.cell_h, x:x + self.cell_w] = self.atlas[code - 32]
        col += 1
    return row + 1

def screen(self, first: Tensor, prompt: str) -> Tensor:
    expr = self.expr_of(prompt)
    ans = self.answer(expr)
    if self.wrong:
        ans = self.perturb(ans)
    frame = first.clone()
    row = self.draw(frame, 0, self.shell + "python")
    row = self.draw(frame, row, "Python 3.11.2 (main, Mar 13 2023, 12:18:29) [GCC 12.2.0] on linux")
    row = self.draw(frame, row, 'Type "help", "copyright", "credits" or "license" for more information.')
    row = self.draw(frame, row, ">>> " + expr)
    row = self.draw(frame, row, ans)
    row = self.draw(frame, row, ">>> exit()")
    row = self.draw(frame, row, self.shell)
    return frame

def rollout(self, first_frame: Tensor, prompts: List[str], actions: Tensor, num_frames: int, seed: int) -> Tensor:
    outs: List[Tensor] = []
    for b in range(len(prompts)):
        outs.append(self.screen(first_frame[b], prompts[b]))
    # The same screen at every step: a view, not T copies.
    screens = torch.stack(outs)
    return screens.unsqueeze(1).expand(screens.size(0), num_frames, screens.size(1), screens.size(2), screens.size(3))
)py";

}  // namespace

void WriteCalculatorCheckpoint(NcSpec spec, bool wrong, int font_px, const std::string& theme,
                               const std::filesystem::path& path, const std::string& look) {
  if (spec.name.empty()) spec.name = wrong ? "calculator-wrong" : "calculator";
  const ProbeScreen s = MakeProbeScreen(spec.height, spec.width, font_px, theme, look);
  const torch::Tensor atlas = GlyphAtlas(s);
  SaveScriptedCheckpoint("ncbench_calculator", kSource, spec.ToJson().dump(), path,
                         [&](torch::jit::Module& m) {
                           m.register_buffer("atlas", atlas);
                           m.register_attribute("cell_w", c10::IntType::get(), s.cell_w);
                           m.register_attribute("cell_h", c10::IntType::get(), s.cell_h);
                           m.register_attribute("pitch", c10::FloatType::get(), s.pitch);
                           m.register_attribute("shell", c10::StringType::get(), s.prompt_text);
                           m.register_attribute("origin_x", c10::IntType::get(), s.origin_x);
                           m.register_attribute("origin_y", c10::IntType::get(), s.origin_y);
                           m.register_attribute("rows", c10::IntType::get(), s.rows);
                           m.register_attribute("cols", c10::IntType::get(), s.cols);
                           m.register_attribute("wrong", c10::BoolType::get(), wrong);
                         });
}

}  // namespace ncb
