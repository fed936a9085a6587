// `evnode dns lookup|resolve`: the system resolver (getaddrinfo, hosts file included) and direct
// DNS queries through c-ares, one result per line.
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include "evnode/dns.h"
#include "evnode/loop.h"
#include "tools/evnode/commands.h"

namespace evnode::cli {

namespace {

const char kUsage[] =
    "usage: evnode dns lookup NAME [--family 4|6] [--all]\n"
    "       evnode dns resolve NAME [--type A|AAAA|MX|TXT|SRV|NS|CNAME|PTR|SOA|CAA|NAPTR|ANY]\n"
    "                          [--server IP[:PORT]] [--timeout MS] [--tries N]\n"
    "lookup resolves like getaddrinfo (hosts file included): the first address, or with --all\n"
    "every address, one per line.\n"
    "resolve queries DNS directly (timeout 5000 ms per try, 2 tries): one record per line.\n"
    "For PTR, an IP address is turned into its reverse name.\n";

struct Options {
  std::optional<long> family;
  bool all = false;
  std::optional<std::string> type, server;
  std::optional<long> timeout, tries;
  std::vector<std::string> pos;  // after the mode word
};

int lookup(const Options& o) {
  if (o.type || o.server || o.timeout || o.tries) {
    fail("--type, --server, --timeout and --tries belong to 'dns resolve'", 2);
  }
  if (o.pos.size() != 1) fail("dns lookup needs one NAME", 2);
  dns::LookupOptions opts;
  opts.family = static_cast<int>(o.family.value_or(0));
  auto failure = std::make_shared<Error>();
  bool all = o.all;
  dns::lookup(o.pos[0], opts,
              [failure, all](const Error& err, const std::vector<dns::LookupAddress>& addresses) {
                if (err) {
                  *failure = err;
                  return;
                }
                for (const auto& a : addresses) {
                  println(a.address);
                  if (!all) break;
                }
              });
  evnode::run();
  if (*failure) fail(failure->message);
  return 0;
}

std::string joined(const dns::TxtRecord& txt) {
  std::string s;
  for (const auto& part : txt) s += part;
  return s;
}

// One line per record, in the CLI's agreed format.
std::string format(const dns::AnyRecord& r, bool withType) {
  std::string line = std::visit(
      [](const auto& d) -> std::string {
        using T = std::decay_t<decltype(d)>;
        if constexpr (std::is_same_v<T, dns::RecordWithTtl>) {
          return d.address;
        } else if constexpr (std::is_same_v<T, std::string>) {
          return d;
        } else if constexpr (std::is_same_v<T, dns::MxRecord>) {
          return std::to_string(d.priority) + " " + d.exchange;
        } else if constexpr (std::is_same_v<T, dns::SrvRecord>) {
          return std::to_string(d.priority) + " " + std::to_string(d.weight) + " " +
                 std::to_string(d.port) + " " + d.name;
        } else if constexpr (std::is_same_v<T, dns::SoaRecord>) {
          return d.nsname + " " + d.hostmaster + " " + std::to_string(d.serial) + " " +
                 std::to_string(d.refresh) + " " + std::to_string(d.retry) + " " +
                 std::to_string(d.expire) + " " + std::to_string(d.minttl);
        } else if constexpr (std::is_same_v<T, dns::NaptrRecord>) {
          return std::to_string(d.order) + " " + std::to_string(d.preference) + " \"" + d.flags +
                 "\" \"" + d.service + "\" \"" + d.regexp + "\" " + d.replacement;
        } else if constexpr (std::is_same_v<T, dns::CaaRecord>) {
          return std::to_string(d.critical) + " " + d.tag + " \"" + d.value + "\"";
        } else {
          return joined(d);
        }
      },
      r.data);
  return withType ? r.type + " " + line : line;
}

int resolve(const Options& o) {
  if (o.family || o.all) fail("--family and --all belong to 'dns lookup'", 2);
  if (o.pos.size() != 1) fail("dns resolve needs one NAME", 2);
  std::string type = o.type.value_or("A");
  for (auto& c : type) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  static const char* kTypes[] = {"A",     "AAAA", "MX",  "TXT", "SRV",   "NS",
                                 "CNAME", "PTR",  "SOA", "CAA", "NAPTR", "ANY"};
  if (std::find_if(std::begin(kTypes), std::end(kTypes),
                   [&](const char* t) { return type == t; }) == std::end(kTypes)) {
    fail("unknown --type '" + type + "'", 2);
  }
  std::string name = o.pos[0];
  if (type == "PTR" && dns::isIP(name)) name = dns::reverseName(name);

  dns::ResolverOptions ro;
  ro.timeout = static_cast<int>(o.timeout.value_or(5000));
  ro.tries = static_cast<int>(o.tries.value_or(2));
  dns::Resolver resolver(ro);
  if (o.server) resolver.setServers({*o.server});
  auto failure = std::make_shared<Error>();
  bool any = type == "ANY";
  resolver.resolve(name, type,
                   [failure, any](const Error& err, const std::vector<dns::AnyRecord>& records) {
                     if (err) {
                       *failure = err;
                       return;
                     }
                     for (const auto& r : records) println(format(r, any));
                   });
  evnode::run();
  if (*failure) fail(failure->message);
  return 0;
}

}  // namespace

int cmdDns(Args& args) {
  if (args.help()) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  Options o;
  long family = args.number("--family", -1, 4, 6);
  if (family == 5) fail("invalid value '5' for --family (expected 4 or 6)", 2);
  if (family >= 0) o.family = family;
  o.all = args.flag("--all");
  o.type = args.value("-t|--type");
  o.server = args.value("--server");
  long timeout = args.number("--timeout", -1, 1, 3600L * 1000);
  if (timeout >= 0) o.timeout = timeout;
  long tries = args.number("--tries", -1, 1, 100);
  if (tries >= 0) o.tries = tries;
  o.pos = args.finish();
  if (o.pos.empty()) fail("dns needs a mode: lookup or resolve (see 'evnode dns --help')", 2);
  std::string mode = o.pos.front();
  o.pos.erase(o.pos.begin());
  if (mode == "lookup") return lookup(o);
  if (mode == "resolve") return resolve(o);
  fail("unknown dns mode '" + mode + "' (expected lookup or resolve)", 2);
}

}  // namespace evnode::cli
