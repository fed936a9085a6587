// Internal: what process::exit needs from the stdio streams, and the stdio mode restore.
#pragma once

namespace evnode::process::detail {

// Writes out, blocking, everything this thread's stdout and stderr streams still hold.
void flushStdioForExit();
// Puts the descriptors 0-2 back into the blocking/non-blocking state they had before evnode
// touched them, and the terminal out of raw mode. Runs at exit.
void restoreStdio();

}  // namespace evnode::process::detail
