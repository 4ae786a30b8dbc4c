// Ctrl-C: the first SIGINT (or SIGTERM) asks the run to stop; long loops poll Interrupted()
// and wind down, so what is finished is written and the program exits 130. A second SIGINT
// ends the program at once (the signal's default action).
#pragma once

namespace ncb {

// Installs the handlers (the CLI does, once, at start). Library code only polls.
void InstallInterruptHandlers();
bool Interrupted();
// For tests: sets (or clears) the flag as a signal would.
void SetInterrupted(bool value);

}  // namespace ncb
