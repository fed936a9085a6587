// evnode/dns.h — name resolution: Node's dns module.
//
// Two ways to resolve, as in Node:
// - lookup()/lookupService() ask the operating system (getaddrinfo/getnameinfo on libuv's thread
//   pool), so /etc/hosts, nsswitch and the system's resolver configuration apply. This is what
//   net and dgram use for host names.
// - Resolver (and the module-level resolve* functions, which share one default Resolver per
//   thread) sends DNS queries itself with c-ares, driven by the thread's event loop: no thread per
//   query, and the server list, timeout and tries are the Resolver's own.
//
//   dns::lookup("localhost", [](const Error& err, const std::string& address, int family) {...});
//   dns::Resolver resolver({.timeout = 2000, .tries = 2});
//   resolver.setServers({"127.0.0.1:5353"});
//   resolver.resolveMx("example.org", [](const Error& err, const std::vector<dns::MxRecord>& mx) {
//     for (const auto& r : mx) std::printf("%d %s\n", r.priority, r.exchange.c_str());
//   });
//
// Every callback runs later from the loop, never inside the call that asked (an IP literal given
// to lookup() answers on the next tick). Errors carry Node's codes: ENOTFOUND, ENODATA,
// ESERVFAIL, ETIMEOUT, ECONNREFUSED, EBADNAME, EFORMERR, EREFUSED, EBADRESP, ECANCELLED, ...,
// with messages such as "queryA ENOTFOUND example.invalid" or
// "getaddrinfo ENOTFOUND nosuch.invalid".
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "evnode/error.h"

/// Name resolution: Node's dns module (getaddrinfo through lookup(), DNS queries through Resolver).
namespace evnode::dns {

// ---- lookup (getaddrinfo) ----

/// Hints for lookup(), combined with |: Node's dns.ADDRCONFIG, dns.V4MAPPED and dns.ALL.
inline constexpr int ADDRCONFIG = 1;
/// With family 6 and no IPv6 address: the IPv4 ones, as IPv4-mapped IPv6 addresses.
inline constexpr int V4MAPPED = 2;
inline constexpr int ALL = 4;  ///< with V4MAPPED: the IPv6 addresses and the mapped IPv4 ones

/// `all` is Node's option; here the callback's type decides: one taking a vector gets every
/// address, one taking (address, family) gets the first.
struct LookupOptions {
  int family = 0;          ///< 0 (any), 4 or 6
  bool all = false;        ///< kept for Node's spelling; see above
  int hints = 0;           ///< ADDRCONFIG | V4MAPPED | ALL
  std::string order = {};  ///< "verbatim", "ipv4first" or "ipv6first"; "" = getDefaultResultOrder()
};

/// One address lookup() found (Node's {address, family}).
struct LookupAddress {
  std::string address;  ///< "127.0.0.1", "::1"
  int family = 0;       ///< 4 or 6
};

/// lookup()'s callback for the first address: (err, address, family).
using LookupCallback =
    std::function<void(const Error& err, const std::string& address, int family)>;
/// lookup()'s callback for every address (Node's {all: true}).
using LookupAllCallback =
    std::function<void(const Error& err, const std::vector<LookupAddress>& addresses)>;

/// The first address of `hostname` (err.code "ENOTFOUND" when it has none). An empty hostname
/// answers "" with family 4 (6 if asked for), as Node's does. Invalid options throw
/// Exception(ERR_INVALID_ARG_VALUE).
void lookup(const std::string& hostname, LookupCallback cb);
/// The first address of that family (0: any, 4 or 6).
void lookup(const std::string& hostname, int family, LookupCallback cb);
/// The first address, as the options say.
void lookup(const std::string& hostname, const LookupOptions& options, LookupCallback cb);
/// Every address (Node's {all: true}).
void lookup(const std::string& hostname, LookupAllCallback cb);
/// Every address, as the options say.
void lookup(const std::string& hostname, const LookupOptions& options, LookupAllCallback cb);

/// Node's dns.setDefaultResultOrder(): "verbatim" (the default), "ipv4first" or "ipv6first".
/// Per thread.
void setDefaultResultOrder(const std::string& order);
/// Node's dns.getDefaultResultOrder(): this thread's order (see setDefaultResultOrder()).
std::string getDefaultResultOrder();

/// The host name and service for an address and port (getnameinfo, NI_NAMEREQD). A non-IP
/// address throws ERR_INVALID_ARG_VALUE, a bad port ERR_SOCKET_BAD_PORT.
void lookupService(
    const std::string& address, int port,
    std::function<void(const Error& err, const std::string& hostname, const std::string& service)>
        cb);

/// True if `s` is an IPv4 or IPv6 address literal: 4, 6, or 0 (Node's net.isIP).
int isIP(const std::string& s);

// ---- records (Node's result shapes) ----

/// An A or AAAA record with its TTL (Node's {address, ttl}).
struct RecordWithTtl {
  std::string address;  ///< the IPv4 or IPv6 address
  int ttl = 0;          ///< seconds
};
/// An MX record (Node's {priority, exchange}).
struct MxRecord {
  int priority = 0;      ///< lower is preferred
  std::string exchange;  ///< the mail server's host name
};
/// An SRV record (Node's {priority, weight, port, name}).
struct SrvRecord {
  int priority = 0;  ///< lower is preferred
  int weight = 0;    ///< share among records of the same priority
  int port = 0;      ///< the service's port
  std::string name;  ///< the target host name
};
/// A zone's SOA record (Node's {nsname, hostmaster, serial, ...}).
struct SoaRecord {
  std::string nsname;         ///< the primary name server
  std::string hostmaster;     ///< the responsible person's mailbox, as a name
  std::uint32_t serial = 0;   ///< the zone's version
  std::uint32_t refresh = 0;  ///< seconds between secondaries' refreshes
  std::uint32_t retry = 0;    ///< seconds before a failed refresh is retried
  std::uint32_t expire = 0;   ///< seconds after which secondaries stop answering
  std::uint32_t minttl = 0;   ///< the TTL of negative answers
};
/// A NAPTR record (Node's {flags, service, regexp, replacement, order, preference}).
struct NaptrRecord {
  std::string flags;        ///< "s", "a", "u", "p" or ""
  std::string service;      ///< "SIP+D2U", ...
  std::string regexp;       ///< the substitution expression
  std::string replacement;  ///< the next name to look up
  int order = 0;            ///< records are processed in this order (lowest first)
  int preference = 0;       ///< among records of the same order (lowest first)
};
/// Node gives `{critical, <tag>: value}`, e.g. `{critical: 0, issue: "ca.example"}`.
struct CaaRecord {
  int critical = 0;   ///< the flags byte (128: the issuer-critical flag)
  std::string tag;    ///< "issue", "issuewild", "iodef", ...
  std::string value;  ///< the tag's value ("ca.example", a URL for iodef)
};
/// One TXT record: its character-strings, in order (Node's string[]).
using TxtRecord = std::vector<std::string>;

/// One record of any type, as resolveAny() and resolve(name, rrtype) return them. `type` is the
/// record type ("A", "AAAA", "CNAME", "MX", "NAPTR", "NS", "PTR", "SOA", "SRV", "TXT", "CAA");
/// `data` holds RecordWithTtl for A/AAAA, std::string for CNAME/NS/PTR (Node's `value`),
/// TxtRecord for TXT (Node's `entries`), and the matching struct otherwise.
struct AnyRecord {
  std::string type;  ///< "A", "MX", ... (see AnyRecord)
  /// The record (see AnyRecord for which alternative each type holds).
  std::variant<RecordWithTtl, std::string, MxRecord, SrvRecord, SoaRecord, NaptrRecord, CaaRecord,
               TxtRecord>
      data;
};

/// Node's resolve4/resolve6 options.
struct ResolveOptions {
  bool ttl = false;  ///< resolve4/resolve6: results carry their TTL (always filled here)
};

/// Node's `new dns.Resolver(options)`.
struct ResolverOptions {
  int timeout = -1;  ///< per try, in milliseconds; -1 = c-ares's default (5000)
  int tries = 4;     ///< tries per server before ETIMEOUT
};

/// A resolve*() callback: (err, the records found).
template <class T>
using ResultCallback = std::function<void(const Error& err, const std::vector<T>& records)>;

/// A DNS client on c-ares with its own servers (Node's dns.Resolver). Copies share one channel;
/// queries keep it alive until they complete, so a Resolver may go out of scope with queries
/// pending. Bound to the thread that created it.
class Resolver {
 public:
  /// A resolver with the system's servers (/etc/resolv.conf) until setServers().
  explicit Resolver(ResolverOptions options = {});
  ~Resolver();
  Resolver(const Resolver&) = default;             ///< shares the channel
  Resolver& operator=(const Resolver&) = default;  ///< shares the channel

  /// Every pending query of this resolver calls back with ECANCELLED.
  void cancel();

  /// "1.2.3.4", "1.2.3.4:5353", "::1", "[::1]:5353". An invalid entry throws
  /// ERR_INVALID_IP_ADDRESS; calling it while queries are pending throws
  /// ERR_DNS_SET_SERVERS_FAILED, as Node does.
  void setServers(const std::vector<std::string>& servers);
  /// The servers queried, in setServers()'s format.
  std::vector<std::string> getServers() const;
  /// The address queries are sent from (Node's resolver.setLocalAddress).
  void setLocalAddress(const std::string& ipv4, const std::string& ipv6 = "");

  /// rrtype: "A", "AAAA", "ANY", "CAA", "CNAME", "MX", "NAPTR", "NS", "PTR", "SOA", "SRV", "TXT";
  /// anything else throws ERR_INVALID_ARG_VALUE.
  void resolve(const std::string& hostname, const std::string& rrtype,
               ResultCallback<AnyRecord> cb);
  /// The IPv4 addresses of `hostname` (A records).
  void resolve4(const std::string& hostname, ResultCallback<std::string> cb);
  /// The A records with their TTLs (Node's {ttl: true}).
  void resolve4(const std::string& hostname, const ResolveOptions& options,
                ResultCallback<RecordWithTtl> cb);
  /// The IPv6 addresses of `hostname` (AAAA records).
  void resolve6(const std::string& hostname, ResultCallback<std::string> cb);
  /// The AAAA records with their TTLs (Node's {ttl: true}).
  void resolve6(const std::string& hostname, const ResolveOptions& options,
                ResultCallback<RecordWithTtl> cb);
  /// Every record of `hostname` (an ANY query), each with its type.
  void resolveAny(const std::string& hostname, ResultCallback<AnyRecord> cb);
  /// The CAA records: which certificate authorities may issue for `hostname`.
  void resolveCaa(const std::string& hostname, ResultCallback<CaaRecord> cb);
  /// The CNAME records: the names `hostname` is an alias of.
  void resolveCname(const std::string& hostname, ResultCallback<std::string> cb);
  /// The MX records: the mail servers of `hostname`.
  void resolveMx(const std::string& hostname, ResultCallback<MxRecord> cb);
  /// The NAPTR records of `hostname`.
  void resolveNaptr(const std::string& hostname, ResultCallback<NaptrRecord> cb);
  /// The NS records: the name servers of `hostname`.
  void resolveNs(const std::string& hostname, ResultCallback<std::string> cb);
  /// The PTR records of `hostname` (a name under in-addr.arpa or ip6.arpa; see reverse()).
  void resolvePtr(const std::string& hostname, ResultCallback<std::string> cb);
  /// A zone has one SOA record, so the callback gets it alone (as Node's does).
  void resolveSoa(const std::string& hostname,
                  std::function<void(const Error& err, const SoaRecord& soa)> cb);
  /// The SRV records: the services' hosts and ports (`hostname` as "_sip._udp.example.org").
  void resolveSrv(const std::string& hostname, ResultCallback<SrvRecord> cb);
  /// The TXT records of `hostname`.
  void resolveTxt(const std::string& hostname, ResultCallback<TxtRecord> cb);
  /// The host names of an IP address (PTR through DNS; a non-IP throws ERR_INVALID_ARG_VALUE).
  void reverse(const std::string& ip, ResultCallback<std::string> cb);

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

// Module-level functions: the thread's default Resolver (system servers from
// /etc/resolv.conf until setServers()).
/// Resolver::setServers() on the thread's default Resolver, which uses the system's servers
/// (/etc/resolv.conf) until then.
void setServers(const std::vector<std::string>& servers);
/// Resolver::getServers() on the thread's default Resolver.
std::vector<std::string> getServers();
/// Resolver::resolve() on the thread's default Resolver.
void resolve(const std::string& hostname, const std::string& rrtype, ResultCallback<AnyRecord> cb);
/// Resolver::resolve4() on the thread's default Resolver.
void resolve4(const std::string& hostname, ResultCallback<std::string> cb);
/// Resolver::resolve4() with options, on the thread's default Resolver.
void resolve4(const std::string& hostname, const ResolveOptions& options,
              ResultCallback<RecordWithTtl> cb);
/// Resolver::resolve6() on the thread's default Resolver.
void resolve6(const std::string& hostname, ResultCallback<std::string> cb);
/// Resolver::resolve6() with options, on the thread's default Resolver.
void resolve6(const std::string& hostname, const ResolveOptions& options,
              ResultCallback<RecordWithTtl> cb);
/// Resolver::resolveAny() on the thread's default Resolver.
void resolveAny(const std::string& hostname, ResultCallback<AnyRecord> cb);
/// Resolver::resolveCaa() on the thread's default Resolver.
void resolveCaa(const std::string& hostname, ResultCallback<CaaRecord> cb);
/// Resolver::resolveCname() on the thread's default Resolver.
void resolveCname(const std::string& hostname, ResultCallback<std::string> cb);
/// Resolver::resolveMx() on the thread's default Resolver.
void resolveMx(const std::string& hostname, ResultCallback<MxRecord> cb);
/// Resolver::resolveNaptr() on the thread's default Resolver.
void resolveNaptr(const std::string& hostname, ResultCallback<NaptrRecord> cb);
/// Resolver::resolveNs() on the thread's default Resolver.
void resolveNs(const std::string& hostname, ResultCallback<std::string> cb);
/// Resolver::resolvePtr() on the thread's default Resolver.
void resolvePtr(const std::string& hostname, ResultCallback<std::string> cb);
/// Resolver::resolveSoa() on the thread's default Resolver.
void resolveSoa(const std::string& hostname,
                std::function<void(const Error& err, const SoaRecord& soa)> cb);
/// Resolver::resolveSrv() on the thread's default Resolver.
void resolveSrv(const std::string& hostname, ResultCallback<SrvRecord> cb);
/// Resolver::resolveTxt() on the thread's default Resolver.
void resolveTxt(const std::string& hostname, ResultCallback<TxtRecord> cb);
/// Resolver::reverse() on the thread's default Resolver.
void reverse(const std::string& ip, ResultCallback<std::string> cb);

/// The reverse-lookup name of an IP address: "4.3.2.1.in-addr.arpa" for 1.2.3.4, the nibble
/// form under ip6.arpa for IPv6; "" if `ip` is not an address.
std::string reverseName(const std::string& ip);

}  // namespace evnode::dns
