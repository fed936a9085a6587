// dns_lookup: the address a host name resolves to as the operating system sees it (hosts file,
// then DNS: getaddrinfo, on the thread pool), and with --all every address, awaited. Node.js:
//
//   const { address, family } = await dns.promises.lookup(name);
//   console.log(`${address} (IPv${family})`);
//   const all = await dns.promises.lookup(name, { all: true });     // --all
//
//   dns_lookup NAME [--all]
#include <evnode/evnode.h>

#include <cstdio>
#include <cstring>
#include <string>

using namespace evnode;

Task<int> amain(std::string name, bool all) {
  try {
    if (all) {
      for (const auto& a : co_await dns::promises::lookupAll(name)) {
        std::printf("%s (IPv%d)\n", a.address.c_str(), a.family);
      }
    } else {
      dns::LookupAddress a = co_await dns::promises::lookup(name);
      std::printf("%s (IPv%d)\n", a.address.c_str(), a.family);
    }
    co_return 0;
  } catch (const SystemError& e) {
    std::fprintf(stderr, "%s\n", e.what());
    co_return 1;
  }
}

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: dns_lookup NAME [--all]\n");
    return 2;
  }
  return run(amain(argv[1], argc > 2 && std::strcmp(argv[2], "--all") == 0));
}
