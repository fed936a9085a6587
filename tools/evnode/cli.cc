// Option parsing and the shared output rules of the evnode CLI.
#include "tools/evnode/cli.h"

#include <uv.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>

#include "evnode/error.h"
#include "evnode/loop.h"
#include "evnode/process.h"

namespace evnode::cli {

namespace {
std::vector<std::string_view> splitNames(std::string_view names) {
  std::vector<std::string_view> out;
  while (!names.empty()) {
    auto bar = names.find('|');
    out.push_back(names.substr(0, bar));
    if (bar == std::string_view::npos) break;
    names.remove_prefix(bar + 1);
  }
  return out;
}
}  // namespace

Args::Args(int argc, char** argv, std::string_view valueOptions) {
  while (!valueOptions.empty()) {
    auto space = valueOptions.find(' ');
    if (space != 0) valueNames_.push_back(valueOptions.substr(0, space));
    if (space == std::string_view::npos) break;
    valueOptions.remove_prefix(space + 1);
  }
  auto takesValue = [this](std::string_view name) {
    return std::find(valueNames_.begin(), valueNames_.end(), name) != valueNames_.end();
  };
  // One pass, left to right, as getopt: a value option takes the next word whatever it looks
  // like, and short options bundle (`-sSL` is `-s -S -L`; `-XPOST` and `-sX POST` give -X its
  // value).
  auto add = [this](std::string word, bool isValue) {
    args_.push_back(std::move(word));
    isValue_.push_back(isValue);
  };
  bool rest = false, valueNext = false;
  for (int i = 0; i < argc; ++i) {
    std::string a = argv[i];
    if (valueNext || rest) {
      add(std::move(a), valueNext);
      valueNext = false;
      continue;
    }
    if (a == "--") rest = true;
    bool bundle = a.size() > 2 && a[0] == '-' && a[1] != '-' && !takesValue(a);
    if (!bundle) {
      valueNext = takesValue(a);
      add(std::move(a), false);
      continue;
    }
    for (std::size_t k = 1; k < a.size(); ++k) {
      std::string name{'-', a[k]};
      bool value = takesValue(name);
      add(name, false);
      if (value && k + 1 < a.size()) {
        add(a.substr(k + 1), true);  // the rest of the word is the value
        break;
      }
      valueNext = value;
    }
  }
  used_.assign(args_.size(), false);
}

bool Args::flag(std::string_view names) {
  bool found = false;
  for (auto n : splitNames(names)) {
    for (std::size_t i = 0; i < args_.size(); ++i) {
      if (args_[i] == "--") break;
      if (!used_[i] && !isValue_[i] && args_[i] == n) used_[i] = found = true;
    }
  }
  return found;
}

std::vector<std::string> Args::values(std::string_view names) {
  for (auto n : splitNames(names)) {
    if (std::find(valueNames_.begin(), valueNames_.end(), n) == valueNames_.end()) {
      // A programming error in the subcommand, not a user's: its table in commands.inc is stale.
      throw std::logic_error("option " + std::string(n) + " is not declared to take a value");
    }
  }
  std::vector<std::string> out;
  for (std::size_t i = 0; i < args_.size(); ++i) {
    if (used_[i] || isValue_[i]) continue;
    if (args_[i] == "--") break;
    for (auto n : splitNames(names)) {
      if (args_[i] == n) {
        if (i + 1 >= args_.size()) fail("option " + std::string(n) + " needs a value", 2);
        used_[i] = used_[i + 1] = true;
        out.push_back(args_[i + 1]);
        ++i;
        break;
      }
      if (n.starts_with("--") && args_[i].size() > n.size() && args_[i].starts_with(n) &&
          args_[i][n.size()] == '=') {
        used_[i] = true;
        out.push_back(args_[i].substr(n.size() + 1));
        break;
      }
    }
  }
  return out;
}

std::optional<std::string> Args::value(std::string_view names) {
  auto v = values(names);
  if (v.empty()) return std::nullopt;
  return v.back();
}

long Args::number(std::string_view names, long def, long min, long max) {
  auto v = value(names);
  if (!v) return def;
  char* end = nullptr;
  long n = std::strtol(v->c_str(), &end, 10);
  if (v->empty() || *end != '\0' || n < min || n > max) {
    fail("invalid value '" + *v + "' for " + std::string(splitNames(names).back()) + " (expected " +
             std::to_string(min) + ".." + std::to_string(max) + ")",
         2);
  }
  return n;
}

std::vector<std::string> Args::finish() {
  std::vector<std::string> pos;
  bool rest = false;
  for (std::size_t i = 0; i < args_.size(); ++i) {
    if (used_[i]) continue;
    const std::string& a = args_[i];
    if (!rest && a == "--") {
      rest = true;
      continue;
    }
    if (!rest && a.size() > 1 && a[0] == '-') fail("unknown option '" + a + "'", 2);
    pos.push_back(a);
  }
  return pos;
}

std::optional<std::string> Args::firstPositional() const {
  for (std::size_t i = 0; i < args_.size(); ++i) {
    const std::string& a = args_[i];
    if (a == "--") return i + 1 < args_.size() ? std::optional(args_[i + 1]) : std::nullopt;
    if (isValue_[i] || (a.size() > 1 && a[0] == '-')) continue;
    return a;
  }
  return std::nullopt;
}

void fail(const std::string& message, int status) { throw Failure{message, status}; }

void die(const std::string& message, int status) {
  std::fflush(stdout);
  std::fprintf(stderr, "evnode: %s\n", message.c_str());
  std::fflush(stderr);
  std::_Exit(status);
}

int guard(const std::function<int()>& body) {
  try {
    return body();
  } catch (const Failure& f) {
    std::fflush(stdout);
    if (!f.message.empty()) std::fprintf(stderr, "evnode: %s\n", f.message.c_str());
    return f.status;
  } catch (const evnode::Exception& e) {
    std::fflush(stdout);
    std::fprintf(stderr, "evnode: %s\n", e.what());
    return 2;
  }
}

std::string readOptionFile(const std::string& path, const std::string& option) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream ss;
  if (f) ss << f.rdbuf();
  if (!f || f.bad()) fail(option + ": cannot read " + path);
  return ss.str();
}

void println(const std::string& line) {
  // One fwrite: with several threads (--threads) a line never interleaves with another.
  std::string withNewline = line + '\n';
  std::fwrite(withNewline.data(), 1, withNewline.size(), stdout);
  std::fflush(stdout);
}

std::string hostPort(const std::string& host, int port) {
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

void listenAnnounced(const std::shared_ptr<net::Server>& server, const std::string& host, int port,
                     const std::string& unixPath, const std::string& scheme) {
  server->on(net::Server::Events::error, [](const Error& err) { die(err.message); });
  auto* raw = server.get();
  auto announce = [raw, scheme, unixPath] {
    if (!unixPath.empty()) {
      println("listening on unix:" + unixPath);
    } else {
      net::AddressInfo a = raw->address();
      println("listening on " + scheme + hostPort(a.address, a.port));
    }
  };
  if (!unixPath.empty()) {
    server->listen(unixPath, announce);
  } else {
    server->listen(port, host, announce);
  }
}

void onShutdownSignal(std::function<void()> stop, std::function<std::string()> waitingFor) {
  struct State {
    std::function<void()> stop;
    std::function<std::string()> waitingFor;
    bool stopping = false;
    process::SignalListenerPtr sigint, sigterm;
    TimeoutPtr report;
  };
  // One pair of listeners per process; a second call replaces the first.
  static std::shared_ptr<State> current;
  if (current) {
    current->sigint->close();
    current->sigterm->close();
  }
  auto st = std::make_shared<State>();
  st->stop = std::move(stop);
  st->waitingFor = std::move(waitingFor);
  auto handler = [raw = st.get()] {
    if (raw->stopping) process::exit(1);  // a second signal: give up on a graceful stop
    raw->stopping = true;
    if (raw->stop) raw->stop();
    // Still running a moment later: say what for (the timer never keeps the loop alive).
    raw->report = setTimeout(
        [raw] {
          std::string what = raw->waitingFor ? raw->waitingFor() : std::string();
          if (what.empty()) return;
          std::fprintf(stderr, "evnode: stopping: %s (signal again to quit now)\n", what.c_str());
          std::fflush(stderr);
        },
        100);
    raw->report->unref();
  };
  // Signal listeners are unref'd: they never keep the loop alive once the servers are closed.
  st->sigint = process::onSignal(SIGINT, handler);
  st->sigterm = process::onSignal(SIGTERM, handler);
  current = st;
}

void letGo(net::Socket& socket) {
  if (socket.writableLength() == 0) {
    socket.destroy();
  } else {
    socket.destroySoon();
  }
}

std::string countOf(std::size_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

}  // namespace evnode::cli
