// evnode/dns_promises.h — Node's dns.promises: lookup and the resolve* queries to co_await.
//
//   dns::LookupAddress a = co_await dns::promises::lookup("localhost");
//   auto mx = co_await dns::promises::resolveMx("example.org");
//
// Errors are thrown as SystemError with Node's codes and messages ("getaddrinfo ENOTFOUND
// nosuch.invalid", "queryMx ENODATA example.org"); `.result()` gives them as values. A Resolver's
// cancel() makes its pending queries throw ECANCELLED. Node's lookup({all: true}) gives an array
// and C++ needs a return type per call: that is lookupAll().
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "evnode/dns.h"
#include "evnode/operation.h"

/// Node's `dns.promises` (`dns/promises`).
namespace evnode::dns::promises {

/// What lookupService() gives (Node's `{hostname, service}`).
struct LookupServiceResult {
  std::string hostname;  ///< the host name of the address
  std::string service;   ///< the service name of the port ("http"), or the port as text
};

/// Node's `await dnsPromises.lookup(hostname)`: the first address getaddrinfo gives, in the
/// default result order.
CallbackOperation<LookupAddress> lookup(const std::string& hostname);
/// The same for one family: 4, 6, or 0 for either.
CallbackOperation<LookupAddress> lookup(const std::string& hostname, int family);
/// The same with Node's options (family, hints, order). `all` must be false here: the list is
/// lookupAll()'s (an Exception ERR_INVALID_ARG_VALUE says so at the call).
CallbackOperation<LookupAddress> lookup(const std::string& hostname, const LookupOptions& options);
/// Node's `await dnsPromises.lookup(hostname, {all: true, ...})`: every address.
CallbackOperation<std::vector<LookupAddress>> lookupAll(const std::string& hostname);
/// The same with options (family, hints, order).
CallbackOperation<std::vector<LookupAddress>> lookupAll(const std::string& hostname,
                                                        const LookupOptions& options);
/// Node's `await dnsPromises.lookupService(address, port)`.
CallbackOperation<LookupServiceResult> lookupService(const std::string& address, int port);

/// Node's dnsPromises.Resolver: resolve* queries with their own servers, timeout and tries.
/// Copies share the channel (as dns::Resolver's).
class Resolver {
 public:
  /// A resolver with the system's servers and these options.
  explicit Resolver(ResolverOptions options = {}) : r_(options) {}
  /// The callback-style resolver it drives (servers, local address).
  dns::Resolver& callbacks() { return r_; }
  /// Cancels every pending query: they throw ECANCELLED.
  void cancel() { r_.cancel(); }
  /// Node's resolver.setServers().
  void setServers(const std::vector<std::string>& servers) { r_.setServers(servers); }
  /// Node's resolver.getServers().
  std::vector<std::string> getServers() const { return r_.getServers(); }
  /// Node's resolver.setLocalAddress().
  void setLocalAddress(const std::string& ipv4, const std::string& ipv6 = "") {
    r_.setLocalAddress(ipv4, ipv6);
  }
  /// Node's `await resolver.resolve(hostname, rrtype)`.
  CallbackOperation<std::vector<AnyRecord>> resolve(const std::string& hostname,
                                                    const std::string& rrtype);
  /// A records (IPv4 addresses).
  CallbackOperation<std::vector<std::string>> resolve4(const std::string& hostname);
  /// A records with their TTL ({ttl: true}).
  CallbackOperation<std::vector<RecordWithTtl>> resolve4(const std::string& hostname,
                                                         const ResolveOptions& options);
  /// AAAA records (IPv6 addresses).
  CallbackOperation<std::vector<std::string>> resolve6(const std::string& hostname);
  /// AAAA records with their TTL ({ttl: true}).
  CallbackOperation<std::vector<RecordWithTtl>> resolve6(const std::string& hostname,
                                                         const ResolveOptions& options);
  /// ANY query.
  CallbackOperation<std::vector<AnyRecord>> resolveAny(const std::string& hostname);
  /// CAA records.
  CallbackOperation<std::vector<CaaRecord>> resolveCaa(const std::string& hostname);
  /// CNAME records.
  CallbackOperation<std::vector<std::string>> resolveCname(const std::string& hostname);
  /// MX records.
  CallbackOperation<std::vector<MxRecord>> resolveMx(const std::string& hostname);
  /// NAPTR records.
  CallbackOperation<std::vector<NaptrRecord>> resolveNaptr(const std::string& hostname);
  /// NS records.
  CallbackOperation<std::vector<std::string>> resolveNs(const std::string& hostname);
  /// PTR records.
  CallbackOperation<std::vector<std::string>> resolvePtr(const std::string& hostname);
  /// The SOA record.
  CallbackOperation<SoaRecord> resolveSoa(const std::string& hostname);
  /// SRV records.
  CallbackOperation<std::vector<SrvRecord>> resolveSrv(const std::string& hostname);
  /// TXT records (each a list of strings).
  CallbackOperation<std::vector<TxtRecord>> resolveTxt(const std::string& hostname);
  /// Node's `await resolver.reverse(ip)`: the host names of an address.
  CallbackOperation<std::vector<std::string>> reverse(const std::string& ip);

 private:
  dns::Resolver r_;
};

// The module-level queries use the thread's default resolver (dns::resolve*'s, so
// dns::setServers() applies to them).

/// Node's `await dnsPromises.resolve(hostname, rrtype)` on the default resolver.
CallbackOperation<std::vector<AnyRecord>> resolve(const std::string& hostname,
                                                  const std::string& rrtype);
/// A records.
CallbackOperation<std::vector<std::string>> resolve4(const std::string& hostname);
/// A records with their TTL.
CallbackOperation<std::vector<RecordWithTtl>> resolve4(const std::string& hostname,
                                                       const ResolveOptions& options);
/// AAAA records.
CallbackOperation<std::vector<std::string>> resolve6(const std::string& hostname);
/// AAAA records with their TTL.
CallbackOperation<std::vector<RecordWithTtl>> resolve6(const std::string& hostname,
                                                       const ResolveOptions& options);
/// ANY query.
CallbackOperation<std::vector<AnyRecord>> resolveAny(const std::string& hostname);
/// CAA records.
CallbackOperation<std::vector<CaaRecord>> resolveCaa(const std::string& hostname);
/// CNAME records.
CallbackOperation<std::vector<std::string>> resolveCname(const std::string& hostname);
/// MX records.
CallbackOperation<std::vector<MxRecord>> resolveMx(const std::string& hostname);
/// NAPTR records.
CallbackOperation<std::vector<NaptrRecord>> resolveNaptr(const std::string& hostname);
/// NS records.
CallbackOperation<std::vector<std::string>> resolveNs(const std::string& hostname);
/// PTR records.
CallbackOperation<std::vector<std::string>> resolvePtr(const std::string& hostname);
/// The SOA record.
CallbackOperation<SoaRecord> resolveSoa(const std::string& hostname);
/// SRV records.
CallbackOperation<std::vector<SrvRecord>> resolveSrv(const std::string& hostname);
/// TXT records.
CallbackOperation<std::vector<TxtRecord>> resolveTxt(const std::string& hostname);
/// Node's `await dnsPromises.reverse(ip)`.
CallbackOperation<std::vector<std::string>> reverse(const std::string& ip);

}  // namespace evnode::dns::promises
