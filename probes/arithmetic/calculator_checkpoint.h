// Known-answer checkpoints for the arithmetic probe (ncbench.nc/1, compiled by LibTorch from
// TorchScript source, no Python). From the probe's caption the model takes the expression,
// computes it with Python 3 semantics (true division printed as Python's repr, found as the
// shortest decimal that reads back to the quotient) and draws the REPL session with the
// probe screen's own glyphs (its prompt, "$ " or a vhs look's "> "):
//     $ python
//     >>> 12+7
//     19
//     >>>
// into every frame it returns. `wrong` draws the answer with its last digit changed.
// A correct probe scores 100% on the first and 0% on the second.
#pragma once

#include <filesystem>
#include <string>

#include "bench/checkpoint/nc_spec.h"

namespace ncb {

// `font_px`, `theme`, `look`: the probe screen's (screen.h); the checkpoint draws with its
// glyphs at its cells, so it must be written with the options the probe runs with.
void WriteCalculatorCheckpoint(NcSpec spec, bool wrong, int font_px, const std::string& theme,
                               const std::filesystem::path& path, const std::string& look = "auto");

}  // namespace ncb
