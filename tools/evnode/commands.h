// The subcommands, one file each (tools/evnode/<name>.cc).
#pragma once

#include "tools/evnode/cli.h"

namespace evnode::cli {
int cmdEcho(Args& args);
int cmdChat(Args& args);
int cmdUdp(Args& args);
int cmdDns(Args& args);
int cmdServe(Args& args);
int cmdGet(Args& args);
int cmdBench(Args& args);
int cmdWs(Args& args);
}  // namespace evnode::cli
