// https::Agent: http::Agent's pooling with TLS connections. Pools are keyed by the TLS options
// too; each pool's last TLS session is cached and offered on its next new connection; one
// SecureContext is kept per set of context options, so the system CA store is parsed once per
// agent, not once per connection.
#include <deque>
#include <unordered_map>

#include "core/thread_instance.h"
#include "evnode/https.h"
#include "http/client_internal.h"

namespace evnode::https {

namespace {

struct MakeAgent : Agent {
  explicit MakeAgent(AgentOptions o) : Agent(std::move(o)) {}
};

// The options that make a SecureContext: connections that agree on these share one.
std::string contextKey(const TlsOptions& t) {
  std::string k;
  for (const auto& ca : t.ca) k += ca + "\n";
  for (const std::string* s :
       {&t.cert, &t.key, &t.passphrase, &t.ciphers, &t.ecdhCurve, &t.minVersion, &t.maxVersion})
    k += ":" + *s;
  return k;
}

constexpr std::size_t kMaxContexts = 32;

}  // namespace

struct Agent::Cache {
  // Node's agent._sessionCache: a session per name, the oldest evicted beyond the limit.
  std::unordered_map<std::string, Buffer> sessions;
  std::deque<std::string> order;
  std::deque<std::pair<std::string, std::shared_ptr<tls::SecureContext>>> contexts;

  void cacheSession(const std::string& name, const Buffer& session, std::size_t max) {
    if (max == 0) return;
    auto it = sessions.find(name);
    if (it != sessions.end()) {
      it->second = session;
      return;
    }
    while (order.size() >= max) {
      sessions.erase(order.front());
      order.pop_front();
    }
    order.push_back(name);
    sessions.emplace(name, session);
  }
  void evictSession(const std::string& name) {
    if (sessions.erase(name)) std::erase(order, name);
  }
  std::shared_ptr<tls::SecureContext> context(const tls::SecureContextOptions& o,
                                              const std::string& key) {
    for (auto& [k, ctx] : contexts) {
      if (k == key) return ctx;
    }
    auto ctx = tls::SecureContext::create(o);  // throws for bad options, before any I/O
    if (contexts.size() >= kMaxContexts) contexts.pop_front();
    contexts.emplace_back(key, ctx);
    return ctx;
  }
};

Agent::Agent(AgentOptions opts)
    : http::Agent(opts),
      tls_(static_cast<const TlsOptions&>(opts)),
      maxCachedSessions_(opts.maxCachedSessions),
      cache_(std::make_unique<Cache>()) {
  protocol = "https:";
  defaultPort = 443;
}

Agent::~Agent() = default;

std::shared_ptr<Agent> Agent::create(AgentOptions opts) {
  return std::make_shared<MakeAgent>(std::move(opts));
}

std::shared_ptr<Agent>& globalAgent() {
  // Per thread, and kept until the thread's loop has closed the agent's sockets.
  struct Global {
    std::shared_ptr<Agent> agent = [] {
      AgentOptions o;
      o.keepAlive = true;
      o.timeout = 5000;
      return Agent::create(o);
    }();
  };
  if (Global* g = evnode::detail::threadInstance<Global>()) return g->agent;
  static thread_local std::shared_ptr<Agent> gone;  // the thread is exiting
  return gone;
}

TlsOptions Agent::effectiveTlsOptions(const http::RequestOptions& opts) const {
  TlsOptions t;
  if (opts.tls) t = *opts.tls;
  // As Node's agent.addRequest ({...options, ...agent.options}): what the agent sets wins.
  const TlsOptions& a = tls_;
  if (!a.ca.empty()) t.ca = a.ca;
  for (auto [dst, src] : {std::pair{&t.cert, &a.cert},
                          {&t.key, &a.key},
                          {&t.passphrase, &a.passphrase},
                          {&t.ciphers, &a.ciphers},
                          {&t.ecdhCurve, &a.ecdhCurve},
                          {&t.minVersion, &a.minVersion},
                          {&t.maxVersion, &a.maxVersion},
                          {&t.servername, &a.servername}}) {
    if (!src->empty()) *dst = *src;
  }
  if (a.rejectUnauthorized) t.rejectUnauthorized = a.rejectUnauthorized;
  if (!a.ALPNProtocols.empty()) t.ALPNProtocols = a.ALPNProtocols;
  if (a.checkServerIdentity) t.checkServerIdentity = a.checkServerIdentity;
  if (a.secureContext) t.secureContext = a.secureContext;
  if (a.session) t.session = a.session;
  return t;
}

std::string Agent::getName(const http::RequestOptions& opts) const {
  TlsOptions t = effectiveTlsOptions(opts);
  // Node's layout: name:ca:cert:ciphers:key:rejectUnauthorized:servername:minVersion:...
  std::string name = http::Agent::getName(opts) + ":";
  for (const auto& ca : t.ca) name += ca;
  name += ":" + t.cert + ":" + t.ciphers + ":" + t.key + ":";
  if (t.rejectUnauthorized) name += *t.rejectUnauthorized ? "true" : "false";
  name += ":";
  if (!t.servername.empty() && t.servername != opts.connectHost()) name += t.servername;
  name += ":" + t.minVersion + ":" + t.maxVersion + ":" + t.ecdhCurve + ":";
  for (const auto& p : t.ALPNProtocols) name += p + ",";
  name += ":";
  if (t.secureContext)
    name += std::to_string(reinterpret_cast<std::uintptr_t>(t.secureContext.get()));
  return name;
}

http::SocketPtr Agent::createConnection(const http::RequestOptions& opts) {
  TlsOptions t = effectiveTlsOptions(opts);
  const std::string name = getName(opts);
  tls::ConnectionOptions c;
  c.ca = t.ca;
  c.cert = t.cert;
  c.key = t.key;
  c.passphrase = t.passphrase;
  c.ciphers = t.ciphers;
  c.ecdhCurve = t.ecdhCurve;
  if (!t.minVersion.empty()) c.minVersion = t.minVersion;
  if (!t.maxVersion.empty()) c.maxVersion = t.maxVersion;
  c.secureContext = t.secureContext ? t.secureContext : cache_->context(c, contextKey(t));
  c.host = opts.connectHost();
  c.servername = t.servername;
  c.rejectUnauthorized = t.rejectUnauthorized.value_or(true);
  c.checkServerIdentity = t.checkServerIdentity;
  c.ALPNProtocols = t.ALPNProtocols;
  if (t.session) {
    c.session = t.session;
  } else if (auto it = cache_->sessions.find(name); it != cache_->sessions.end()) {
    c.session = it->second;
  }
  // The TCP (or Unix) connection as http makes it (lookup, family, localAddress, noDelay),
  // half-open capable because TLS ends it after close_notify.
  c.socket = http::openConnection(opts, /*allowHalfOpen=*/true);
  auto sock = tls::connect(c);
  std::weak_ptr<http::Agent> weak = weak_from_this();
  Cache* cache = cache_.get();
  const std::size_t max = maxCachedSessions_;
  sock->on(tls::TLSSocket::Events::session, [weak, cache, name, max](const Buffer& s) {
    if (weak.lock()) cache->cacheSession(name, s, max);
  });
  // As Node: a connection that failed may have failed because of its session.
  sock->on(net::Socket::Events::close, [weak, cache, name](bool hadError) {
    if (hadError && weak.lock()) cache->evictSession(name);
  });
  return sock;
}

std::size_t Agent::cachedSessions() const { return cache_->sessions.size(); }

}  // namespace evnode::https
