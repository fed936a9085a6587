// dns_resolve: a DNS query straight to a server (c-ares on the event loop, no getaddrinfo),
// awaited; one record per line in the shape `dig +short` prints. Node.js:
//
//   const resolver = new dns.promises.Resolver({ timeout: 3000, tries: 2 });
//   if (server) resolver.setServers([server]);
//   for (const r of await resolver.resolve(name, type)) console.log(r);
//
//   dns_resolve NAME TYPE [SERVER]   e.g. dns_resolve example.org MX 127.0.0.1:5353
#include <evnode/evnode.h>

#include <cstdio>
#include <string>
#include <variant>
#include <vector>

using namespace evnode;

// One record as `dig +short` prints it.
struct Print {
  void operator()(const dns::RecordWithTtl& r) const { std::printf("%s\n", r.address.c_str()); }
  void operator()(const std::string& s) const { std::printf("%s\n", s.c_str()); }
  void operator()(const dns::MxRecord& r) const {
    std::printf("%d %s\n", r.priority, r.exchange.c_str());
  }
  void operator()(const dns::SrvRecord& r) const {
    std::printf("%d %d %d %s\n", r.priority, r.weight, r.port, r.name.c_str());
  }
  void operator()(const dns::SoaRecord& r) const {
    std::printf("%s %s %u %u %u %u %u\n", r.nsname.c_str(), r.hostmaster.c_str(), r.serial,
                r.refresh, r.retry, r.expire, r.minttl);
  }
  void operator()(const dns::NaptrRecord& r) const {
    std::printf("%d %d \"%s\" \"%s\" \"%s\" %s\n", r.order, r.preference, r.flags.c_str(),
                r.service.c_str(), r.regexp.c_str(), r.replacement.c_str());
  }
  void operator()(const dns::CaaRecord& r) const {
    std::printf("%d %s \"%s\"\n", r.critical, r.tag.c_str(), r.value.c_str());
  }
  void operator()(const dns::TxtRecord& r) const {
    std::string line;
    for (const auto& s : r) line += (line.empty() ? "\"" : " \"") + s + "\"";
    std::printf("%s\n", line.c_str());
  }
};

Task<int> amain(std::string name, std::string type, std::string server) {
  try {
    dns::promises::Resolver resolver({.timeout = 3000, .tries = 2});
    if (!server.empty()) resolver.setServers({server});
    for (const auto& r : co_await resolver.resolve(name, type)) std::visit(Print{}, r.data);
    co_return 0;
  } catch (const SystemError& e) {
    std::fprintf(stderr, "%s\n", e.what());
    co_return 1;
  } catch (const Exception& e) {
    std::fprintf(stderr, "%s: %s\n", e.code().c_str(), e.what());
    co_return 2;
  }
}

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: dns_resolve NAME TYPE [SERVER]\n");
    return 2;
  }
  return run(amain(argv[1], argv[2], argc > 3 ? argv[3] : ""));
}
