// Shared by the dns tests: a dnsmasq serving a small test zone on a loopback port, a loop
// helper, and DNS wire-format helpers for fake servers.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>

#include "evnode/loop.h"
#include "support/testing.h"

namespace evnode::dnstest {

namespace et = evnode::testing;

// The records every dns test can count on (zone "test", authoritative: other names are
// NXDOMAIN). Started once per test binary; port() is -1 when dnsmasq is not installed.
class Dnsmasq {
 public:
  static Dnsmasq& shared() {
    static Dnsmasq d;
    return d;
  }
  int port() const { return port_; }
  std::string server() const { return "127.0.0.1:" + std::to_string(port_); }
  std::string why() const { return why_; }

 private:
  Dnsmasq() {
    std::string bin = et::findCommand("dnsmasq");
    if (bin.empty()) {
      why_ = "dnsmasq is not installed";
      return;
    }
    for (int attempt = 0; attempt < 5 && port_ < 0; ++attempt) {
      // dnsmasq needs the port for UDP and TCP; another test can still take it before dnsmasq
      // binds, and then dnsmasq exits at once: seen below, and the next attempt takes another.
      int port = freeUdpAndTcpPort();
      // Raw records: names in rdata written out label by label, uncompressed.
      const std::string ns =
          "036e7331017a0474657374"
          "00";  // ns1.z.test
      const std::string hm =
          "0a686f73746d6173746572017a0474657374"
          "00";  // hostmaster.z.test
      const std::string soaTail =
          "78a3f175"
          "00001c20"
          "00000e10"
          "00127500"
          "0000012c";
      const std::string caa =
          "0005"
          "6973737565"
          "63612e6578616d706c65";  // 0 issue "ca.example"
      proc_ = std::make_unique<et::Process>(
          std::vector<std::string>{bin,
                                   "--no-resolv",
                                   "--no-hosts",
                                   "--no-daemon",
                                   "--keep-in-foreground",
                                   "--port=" + std::to_string(port),
                                   "--listen-address=127.0.0.1",
                                   "--bind-interfaces",
                                   "--local=/test/",
                                   "--local=/in-addr.arpa/",
                                   "--bogus-priv",
                                   "--local-ttl=300",
                                   "--log-facility=-",
                                   "--host-record=h.test,10.0.0.2,fd00::2",
                                   "--address=/multi.test/10.0.0.3",
                                   "--address=/multi.test/10.0.0.4",
                                   "--mx-host=m.test,mail1.m.test,10",
                                   "--mx-host=m.test,mail2.m.test,20",
                                   "--txt-record=t.test,v=spf1 -all",
                                   "--txt-record=t2.test,part one,part two",
                                   "--srv-host=_sip._udp.s.test,sip.s.test,5060,1,2",
                                   "--srv-host=_sip._udp.s.test,sip2.s.test,5061,3,4",
                                   "--cname=c.test,h.test",
                                   "--ptr-record=4.3.2.1.in-addr.arpa,ptr.test",
                                   "--naptr-record=n.test,100,10,U,E2U+sip,!^.*$!sip:info@n.test!",
                                   "--dns-rr=z.test,2," + ns,
                                   "--dns-rr=z.test,6," + ns + hm + soaTail,
                                   "--dns-rr=caa.test,257," + caa});
      // Generous: the first tests of a parallel sanitizer run start while the machine is busiest.
      const auto t0 = std::chrono::steady_clock::now();
      bool tcp = false;
      for (int second = 0; second < 20 && !tcp && proc_->running(); ++second) {
        tcp = et::waitForTcpPort(port, 1);
      }
      const auto t1 = std::chrono::steady_clock::now();
      const bool udp = tcp && answersOverUdp(port, 10);
      const auto t2 = std::chrono::steady_clock::now();
      // On stderr, so that a test that fails or times out shows how its server started.
      auto ms = [](auto d) {
        return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
      };
      std::fprintf(stderr, "[dnsmasq] port %d: TCP %s after %lld ms, UDP %s after %lld ms\n", port,
                   tcp ? "listening" : "NOT listening", static_cast<long long>(ms(t1 - t0)),
                   udp ? "answering" : "NOT answering", static_cast<long long>(ms(t2 - t1)));
      if (udp) {
        port_ = port;
      } else {
        const int status = proc_->wait(1);  // -1: still running
        why_ = "dnsmasq did not start (exit status " + std::to_string(status) +
               "): " + proc_->stderrSoFar() + proc_->stdoutSoFar();
        std::fprintf(stderr, "[dnsmasq] %s\n", why_.c_str());
        proc_.reset();
      }
    }
  }

  // A port free on 127.0.0.1 for both UDP and TCP a moment ago (0 if none was found).
  static int freeUdpAndTcpPort() {
    for (int tries = 0; tries < 20; ++tries) {
      int port = et::freePort(true);
      int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      if (fd < 0) return port;
      sockaddr_in addr{};
      addr.sin_family = AF_INET;
      addr.sin_port = htons(static_cast<std::uint16_t>(port));
      addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      const bool free = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
      ::close(fd);
      if (free) return port;
    }
    return et::freePort(true);
  }

  // A query for h.test over UDP gets an answer: listening on TCP alone does not prove that
  // queries will be answered (a UDP query refused right after start-up was a rare failure).
  static bool answersOverUdp(int port, int timeoutSec) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeoutSec);
    // ID 0x1234, RD, one question: h.test A IN.
    const unsigned char query[] = {0x12, 0x34, 0x01, 0x00, 0,   1,   0,   0, 0, 0, 0, 0,
                                   1,    'h',  4,    't',  'e', 's', 't', 0, 0, 1, 0, 1};
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(static_cast<std::uint16_t>(port));
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    while (std::chrono::steady_clock::now() < deadline) {
      int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
      if (fd < 0) return false;
      bool ok = false;
      if (::sendto(fd, query, sizeof query, 0, reinterpret_cast<sockaddr*>(&to), sizeof to) > 0) {
        pollfd p{fd, POLLIN, 0};
        unsigned char reply[512];
        // A reply (QR set) to this query, not an echo of it.
        ok = ::poll(&p, 1, 200) == 1 && ::recv(fd, reply, sizeof reply, 0) >= 12 &&
             reply[0] == 0x12 && reply[1] == 0x34 && (reply[2] & 0x80) != 0;
      }
      ::close(fd);
      if (ok) return true;
      ::usleep(20000);
    }
    return false;
  }

  std::unique_ptr<et::Process> proc_;
  int port_ = -1;
  std::string why_;
};

#define EVNODE_NEED_DNSMASQ()                                     \
  do {                                                            \
    if (::evnode::dnstest::Dnsmasq::shared().port() < 0) {        \
      GTEST_SKIP() << ::evnode::dnstest::Dnsmasq::shared().why(); \
    }                                                             \
  } while (0)

// Runs the loop until `done()` or `ms` pass; the loop wakes at least every 5 ms to look.
inline bool runUntil(const std::function<bool()>& done, std::uint64_t ms = 5000) {
  auto deadline = Loop::current().now() + ms;
  while (!done() && Loop::current().now() < deadline) {
    auto tick = setTimeout([] {}, 5);
    Loop::current().runOnce();
    clearTimeout(tick);
  }
  return done();
}

// A reply to `query` (as it came off the wire): its ID and question, the given header flags
// and rcode, and `answers` (already encoded resource records, `count` of them).
inline std::string makeReply(const std::string& query, int rcode, const std::string& answers = "",
                             int count = 0, bool truncated = false) {
  std::string r = query.substr(0, 2);
  r += static_cast<char>(0x81 | (truncated ? 0x02 : 0));  // QR, RD (and TC)
  r += static_cast<char>(0x80 | rcode);                   // RA, rcode
  r += std::string("\x00\x01", 2);
  r += static_cast<char>(count >> 8);
  r += static_cast<char>(count & 0xff);
  r += std::string(4, '\0');
  r += query.substr(12);  // the question, as asked (c-ares sends no additional records)
  return r + answers;
}

// An A record for the question's name (a compression pointer to offset 12).
inline std::string aRecord(unsigned char a, unsigned char b, unsigned char c, unsigned char d,
                           std::uint32_t ttl = 60) {
  std::string rr("\xc0\x0c\x00\x01\x00\x01", 6);
  rr += static_cast<char>(ttl >> 24);
  rr += static_cast<char>(ttl >> 16);
  rr += static_cast<char>(ttl >> 8);
  rr += static_cast<char>(ttl);
  rr += std::string("\x00\x04", 2);
  rr += static_cast<char>(a);
  rr += static_cast<char>(b);
  rr += static_cast<char>(c);
  rr += static_cast<char>(d);
  return rr;
}

}  // namespace evnode::dnstest
