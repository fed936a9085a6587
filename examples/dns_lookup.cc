// dns_lookup: the address a host name resolves to as the operating system sees it (hosts file,
// then DNS: getaddrinfo, on the thread pool), and with --all every address. Node.js:
//
//   dns.lookup(name, (err, address, family) => console.log(`${address} (IPv${family})`));
//   dns.lookup(name, { all: true }, (err, addresses) => ...);     // --all
//
//   dns_lookup NAME [--all]
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <evnode/dns.h>
#include <evnode/evnode.h>

using namespace evnode;

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: dns_lookup NAME [--all]\n");
    return 2;
  }
  std::string name = argv[1];
  bool all = argc > 2 && std::strcmp(argv[2], "--all") == 0;
  int status = 0;
  if (all) {
    dns::lookup(name, [&](const Error& err, const std::vector<dns::LookupAddress>& addresses) {
      if (err) {
        std::fprintf(stderr, "%s\n", err.message.c_str());
        status = 1;
        return;
      }
      for (const auto& a : addresses) std::printf("%s (IPv%d)\n", a.address.c_str(), a.family);
    });
  } else {
    dns::lookup(name, [&](const Error& err, const std::string& address, int family) {
      if (err) {
        std::fprintf(stderr, "%s\n", err.message.c_str());
        status = 1;
        return;
      }
      std::printf("%s (IPv%d)\n", address.c_str(), family);
    });
  }
  evnode::run();
  return status;
}
