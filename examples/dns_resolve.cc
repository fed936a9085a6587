// dns_resolve: a DNS query straight to a server (c-ares on the event loop, no getaddrinfo), one
// record per line in the shape `dig +short` prints. Node.js:
//
//   const resolver = new dns.Resolver({ timeout: 3000, tries: 2 });
//   if (server) resolver.setServers([server]);
//   resolver.resolve(name, type, (err, records) => records.forEach(r => console.log(r)));
//
//   dns_resolve NAME TYPE [SERVER]   e.g. dns_resolve example.org MX 127.0.0.1:5353
#include <cstdio>
#include <string>
#include <variant>
#include <vector>

#include <evnode/dns.h>
#include <evnode/evnode.h>

using namespace evnode;

namespace {
// Each record type in the shape `dig +short` prints.
struct Print {
  void operator()(const dns::RecordWithTtl& r) const { std::printf("%s\n", r.address.c_str()); }
  void operator()(const std::string& name) const { std::printf("%s\n", name.c_str()); }
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
    std::string joined;
    for (const auto& part : r) joined += (joined.empty() ? "\"" : " \"") + part + "\"";
    std::printf("%s\n", joined.c_str());
  }
};
}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: dns_resolve NAME TYPE [SERVER]\n");
    return 2;
  }
  int status = 0;
  try {
    dns::Resolver resolver({.timeout = 3000, .tries = 2});
    if (argc > 3) resolver.setServers({argv[3]});
    resolver.resolve(argv[1], argv[2],
                     [&](const Error& err, const std::vector<dns::AnyRecord>& records) {
                       if (err) {
                         std::fprintf(stderr, "%s\n", err.message.c_str());
                         status = 1;
                         return;
                       }
                       for (const auto& r : records) std::visit(Print{}, r.data);
                     });
  } catch (const Exception& e) {
    std::fprintf(stderr, "%s: %s\n", e.code().c_str(), e.what());
    return 2;
  }
  evnode::run();
  return status;
}
