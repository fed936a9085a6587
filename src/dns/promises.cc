// dns::promises: dns.h's lookups and queries as awaitables.
#include "evnode/dns_promises.h"

#include <utility>

namespace evnode::dns::promises {

namespace {

// An operation around a query whose callback gives (err, records).
template <class T, class Start>
CallbackOperation<T> query(Start start) {
  using Op = CallbackOperation<T>;
  return Op([start = std::move(start)](typename Op::Settle settle) mutable {
    start([settle](const Error& e, const T& v) { settle(e ? Result<T>(e) : Result<T>(v)); });
  });
}

template <class T, class Start>
CallbackOperation<std::vector<T>> records(Start start) {
  return query<std::vector<T>>(std::move(start));
}

}  // namespace

CallbackOperation<LookupAddress> lookup(const std::string& hostname, const LookupOptions& options) {
  if (options.all) {
    throw Exception("ERR_INVALID_ARG_VALUE",
                    "lookup() gives one address; use dns::promises::lookupAll() for all of them");
  }
  if (options.family != 0 && options.family != 4 && options.family != 6) {
    throwInvalidArg("options.family", "must be one of: 0, 4, 6");
  }
  using Op = CallbackOperation<LookupAddress>;
  return Op([hostname, options](Op::Settle settle) {
    dns::lookup(hostname, options, [settle](const Error& e, const std::string& a, int family) {
      settle(e ? Result<LookupAddress>(e) : Result<LookupAddress>(LookupAddress{a, family}));
    });
  });
}

CallbackOperation<LookupAddress> lookup(const std::string& hostname) {
  return lookup(hostname, LookupOptions{});
}

CallbackOperation<LookupAddress> lookup(const std::string& hostname, int family) {
  LookupOptions o;
  o.family = family;
  return lookup(hostname, o);
}

CallbackOperation<std::vector<LookupAddress>> lookupAll(const std::string& hostname) {
  return lookupAll(hostname, LookupOptions{});
}

CallbackOperation<std::vector<LookupAddress>> lookupAll(const std::string& hostname,
                                                        const LookupOptions& options) {
  if (options.family != 0 && options.family != 4 && options.family != 6) {
    throwInvalidArg("options.family", "must be one of: 0, 4, 6");
  }
  LookupOptions o = options;
  o.all = true;
  return records<LookupAddress>([hostname, o](auto cb) { dns::lookup(hostname, o, cb); });
}

CallbackOperation<LookupServiceResult> lookupService(const std::string& address, int port) {
  using Op = CallbackOperation<LookupServiceResult>;
  return Op([address, port](Op::Settle settle) {
    dns::lookupService(address, port,
                       [settle](const Error& e, const std::string& host, const std::string& svc) {
                         settle(e ? Result<LookupServiceResult>(e)
                                  : Result<LookupServiceResult>(LookupServiceResult{host, svc}));
                       });
  });
}

// ---- Resolver (a copy of the callback resolver shares its channel, so `r` is captured) ----

#define EVNODE_RESOLVER_QUERY(Type, name)                                                \
  CallbackOperation<std::vector<Type>> Resolver::name(const std::string& hostname) {     \
    return records<Type>([r = r_, hostname](auto cb) mutable { r.name(hostname, cb); }); \
  }                                                                                      \
  CallbackOperation<std::vector<Type>> name(const std::string& hostname) {               \
    return records<Type>([hostname](auto cb) { dns::name(hostname, cb); });              \
  }

EVNODE_RESOLVER_QUERY(std::string, resolve4)
EVNODE_RESOLVER_QUERY(std::string, resolve6)
EVNODE_RESOLVER_QUERY(AnyRecord, resolveAny)
EVNODE_RESOLVER_QUERY(CaaRecord, resolveCaa)
EVNODE_RESOLVER_QUERY(std::string, resolveCname)
EVNODE_RESOLVER_QUERY(MxRecord, resolveMx)
EVNODE_RESOLVER_QUERY(NaptrRecord, resolveNaptr)
EVNODE_RESOLVER_QUERY(std::string, resolveNs)
EVNODE_RESOLVER_QUERY(std::string, resolvePtr)
EVNODE_RESOLVER_QUERY(SrvRecord, resolveSrv)
EVNODE_RESOLVER_QUERY(TxtRecord, resolveTxt)
#undef EVNODE_RESOLVER_QUERY

CallbackOperation<std::vector<std::string>> Resolver::reverse(const std::string& ip) {
  return records<std::string>([r = r_, ip](auto cb) mutable { r.reverse(ip, cb); });
}
CallbackOperation<std::vector<std::string>> reverse(const std::string& ip) {
  return records<std::string>([ip](auto cb) { dns::reverse(ip, cb); });
}

CallbackOperation<std::vector<AnyRecord>> Resolver::resolve(const std::string& hostname,
                                                            const std::string& rrtype) {
  return records<AnyRecord>(
      [r = r_, hostname, rrtype](auto cb) mutable { r.resolve(hostname, rrtype, cb); });
}
CallbackOperation<std::vector<AnyRecord>> resolve(const std::string& hostname,
                                                  const std::string& rrtype) {
  return records<AnyRecord>([hostname, rrtype](auto cb) { dns::resolve(hostname, rrtype, cb); });
}

CallbackOperation<std::vector<RecordWithTtl>> Resolver::resolve4(const std::string& hostname,
                                                                 const ResolveOptions& options) {
  return records<RecordWithTtl>(
      [r = r_, hostname, options](auto cb) mutable { r.resolve4(hostname, options, cb); });
}
CallbackOperation<std::vector<RecordWithTtl>> resolve4(const std::string& hostname,
                                                       const ResolveOptions& options) {
  return records<RecordWithTtl>(
      [hostname, options](auto cb) { dns::resolve4(hostname, options, cb); });
}
CallbackOperation<std::vector<RecordWithTtl>> Resolver::resolve6(const std::string& hostname,
                                                                 const ResolveOptions& options) {
  return records<RecordWithTtl>(
      [r = r_, hostname, options](auto cb) mutable { r.resolve6(hostname, options, cb); });
}
CallbackOperation<std::vector<RecordWithTtl>> resolve6(const std::string& hostname,
                                                       const ResolveOptions& options) {
  return records<RecordWithTtl>(
      [hostname, options](auto cb) { dns::resolve6(hostname, options, cb); });
}

CallbackOperation<SoaRecord> Resolver::resolveSoa(const std::string& hostname) {
  return query<SoaRecord>([r = r_, hostname](auto cb) mutable { r.resolveSoa(hostname, cb); });
}
CallbackOperation<SoaRecord> resolveSoa(const std::string& hostname) {
  return query<SoaRecord>([hostname](auto cb) { dns::resolveSoa(hostname, cb); });
}

}  // namespace evnode::dns::promises
