// evnode — the command-line tool: dispatches to one file per subcommand.
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>

#include "evnode/version.h"
#include "tools/evnode/cli.h"
#include "tools/evnode/commands.h"

namespace {

struct Command {
  const char* name;
  const char* summary;
  int (*run)(evnode::cli::Args&);
  const char* valueOptions;
};

const Command kCommands[] = {
#define EVNODE_COMMAND(name, summary, fn, valueOptions) {name, summary, fn, valueOptions},
#include "tools/evnode/commands.inc"
#undef EVNODE_COMMAND
};

void usage(FILE* out) {
  std::fprintf(out, "usage: evnode <command> [options]\n       evnode --version\n\ncommands:\n");
  for (const auto& c : kCommands) std::fprintf(out, "  %-8s %s\n", c.name, c.summary);
  std::fprintf(out, "\n'evnode <command> --help' describes a command's options.\n");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  std::string_view cmd = argv[1];
  if (cmd == "--help" || cmd == "-h" || cmd == "help") {
    usage(stdout);
    return 0;
  }
  if (cmd == "--version" || cmd == "-V") {
    std::printf("evnode %s\n", EVNODE_VERSION_STRING);
    return 0;
  }
  for (const auto& c : kCommands) {
    if (cmd == c.name) {
      evnode::cli::Args args(argc - 2, argv + 2, c.valueOptions);
      return evnode::cli::guard([&] { return c.run(args); });
    }
  }
  // An unknown command or top-level option: the one-line error, as for a subcommand's options.
  return evnode::cli::guard([&]() -> int {
    if (!cmd.empty() && cmd[0] == '-') {
      evnode::cli::fail("unknown option '" + std::string(cmd) + "' (see 'evnode --help')", 2);
    }
    evnode::cli::fail("unknown command '" + std::string(cmd) + "' (see 'evnode --help')", 2);
  });
}
