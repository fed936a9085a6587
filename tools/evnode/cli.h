// Shared helpers of the evnode subcommands: option parsing, the one-line error rule, ready lines.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "evnode/loop.h"
#include "evnode/net.h"

namespace evnode::cli {

// Options are claimed by name as a subcommand reads them; finish() rejects what is left over.
// Accepts `--name value`, `--name=value`, and for short names `-X value`. The options that take
// a value are declared up front (valueOptions: "-X --request -H"), so the command line is split
// left to right as getopt does: a value is never read as an option (`-d --help` sends the text
// "--help"), whatever order the command asks in; short options bundle (`-sSL`, `-XPOST`).
class Args {
 public:
  Args(int argc, char** argv, std::string_view valueOptions = {});
  bool flag(std::string_view names);  // names: "-k|--insecure"
  std::optional<std::string> value(std::string_view names);
  std::vector<std::string> values(std::string_view names);  // repeatable (-H)
  long number(std::string_view names, long def, long min, long max);
  bool help() { return flag("-h|--help"); }
  // The positional arguments; throws on an unknown option.
  std::vector<std::string> finish();
  // The first positional argument (a subcommand's mode, `ws echo`) without claiming anything,
  // so that the mode can claim its own options before finish().
  std::optional<std::string> firstPositional() const;

 private:
  std::vector<std::string> args_;
  std::vector<bool> used_;
  std::vector<bool> isValue_;  // args_[i] is the value of the option before it
  std::vector<std::string_view> valueNames_;
};

// Thrown to stop a subcommand with `evnode: <message>` on stderr (nothing for an empty message:
// `get -s`, a closed pipe) and an exit status.
struct Failure {
  std::string message;
  int status = 1;
};
[[noreturn]] void fail(const std::string& message, int status = 1);

// For failures inside loop callbacks, where nothing can be unwound: prints the one-line error
// and exits at once.
[[noreturn]] void die(const std::string& message, int status = 1);

// Runs a subcommand, turning Failure and evnode::Exception into the one-line error rule.
int guard(const std::function<int()>& body);

// The contents of a file named by an option (a PEM certificate or key), or the one-line failure
// `<option>: cannot read <path>`.
std::string readOptionFile(const std::string& path, const std::string& option);

// Prints a line to stdout and flushes it (every stdout line is flushed as written).
void println(const std::string& line);

// "127.0.0.1:8080" or "[::1]:8080".
std::string hostPort(const std::string& host, int port);

// Listens on a Unix socket (when unixPath is set) or host:port, prints the ready line
// `listening on <scheme>HOST:PORT` (or `listening on unix:PATH`), and turns a listen error into
// the one-line failure. scheme is "", "http://", "https://" or "tls://".
void listenAnnounced(const std::shared_ptr<net::Server>& server, const std::string& host, int port,
                     const std::string& unixPath, const std::string& scheme);

// Stops the loop's servers on SIGINT/SIGTERM (../shared/CLI.md's stop rule): `stop` is called
// once (it stops accepting and closes idle connections at once), then the process exits 0 when
// the loop drains. If work is still in flight 100 ms later, `waitingFor()` says what ("2
// transfers in flight"), printed as `evnode: stopping: ... (signal again to quit now)`; a
// second signal exits at once with status 1.
void onShutdownSignal(std::function<void()> stop,
                      std::function<std::string()> waitingFor = nullptr);
// At a stop: an idle connection (nothing queued) is destroyed at once; one with bytes still
// queued gets them, then EOF.
void letGo(net::Socket& socket);
// "1 connection", "3 connections".
std::string countOf(std::size_t n, const char* one, const char* many);

}  // namespace evnode::cli
