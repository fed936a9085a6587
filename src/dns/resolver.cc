// dns::Resolver: c-ares channels driven by the thread's libuv loop. c-ares tells us which sockets
// it wants watched (one uv_poll_t each) and when its next timeout is due (one uv_timer_t per
// resolver); we call ares_process_fd when either fires. No thread per query, no busy polling.
//
// Retries are ours: c-ares is given tries=1, and a query that times out is sent again until
// `tries` is used up. c-ares 1.18 doubles the timeout on every round, so leaving the retries to
// it would make ETIMEOUT arrive after timeout × (2^tries − 1) instead of timeout × tries.
#include <ares.h>
#include <arpa/inet.h>
#include <uv.h>

#include <cstring>
#include <mutex>
#include <unordered_map>
#include <utility>

#include "core/callback_scope.h"
#include "dns/records.h"
#include "evnode/dns.h"
#include "evnode/loop.h"

namespace evnode::dns {

namespace {

void initLibrary() {
  static std::once_flag once;
  std::call_once(once, [] { ares_library_init(ARES_LIB_INIT_ALL); });
}

Error resolveError(int status, const char* syscall, const std::string& name) {
  Error e;
  e.code = detail::aresCode(status);
  e.syscall = syscall;
  e.message = std::string(syscall) + " " + e.code + " " + name;
  return e;
}

[[noreturn]] void badIp(const std::string& s) {
  throw Exception("ERR_INVALID_IP_ADDRESS", "Invalid IP address: " + s);
}

// "1.2.3.4", "1.2.3.4:53", "::1", "[::1]", "[::1]:53" -> a c-ares server entry.
ares_addr_port_node parseServer(const std::string& s) {
  std::string host = s;
  int port = 0;
  auto parsePort = [&](const std::string& p) {
    if (p.empty() || p.size() > 5 || p.find_first_not_of("0123456789") != std::string::npos)
      badIp(s);
    port = std::stoi(p);
    if (port > 65535) badIp(s);
  };
  if (!s.empty() && s[0] == '[') {
    auto close = s.find(']');
    if (close == std::string::npos) badIp(s);
    host = s.substr(1, close - 1);
    std::string rest = s.substr(close + 1);
    if (!rest.empty()) {
      if (rest[0] != ':') badIp(s);
      parsePort(rest.substr(1));
    }
    if (isIP(host) != 6) badIp(s);
  } else if (std::count(s.begin(), s.end(), ':') == 1) {
    auto colon = s.find(':');
    host = s.substr(0, colon);
    parsePort(s.substr(colon + 1));
    if (isIP(host) != 4) badIp(s);
  } else if (isIP(host) == 0) {
    badIp(s);
  }
  ares_addr_port_node node{};
  if (isIP(host) == 4) {
    node.family = AF_INET;
    uv_inet_pton(AF_INET, host.c_str(), &node.addr.addr4);
  } else {
    node.family = AF_INET6;
    uv_inet_pton(AF_INET6, host.c_str(), &node.addr.addr6);
  }
  node.udp_port = node.tcp_port = port;
  return node;
}

}  // namespace

namespace detail {
// One query as c-ares sees it: the `arg` of its callback, owned by c-ares until it completes.
struct Query {
  std::shared_ptr<Resolver::Impl> impl;
  std::string name;     // what is asked
  std::string errName;  // what error messages name (the IP for reverse())
  int type;
  int triesLeft;
  const char* syscall;
  // Parses the reply (when status is ARES_SUCCESS) and calls the user's callback.
  std::function<void(int status, const unsigned char* buf, int len)> done;
};
}  // namespace detail
using detail::Query;

struct Resolver::Impl : std::enable_shared_from_this<Resolver::Impl> {
  // A uv_poll_t watching one of c-ares's sockets.
  struct Poll final : evnode::detail::HandleWrap {
    Impl* impl;
    ares_socket_t fd;
    uv_poll_t* h = new uv_poll_t;
    Poll(Impl* i, ares_socket_t s) : impl(i), fd(s) {}
    void forceClose() override { impl->closePoll(fd); }
  };
  // The resolver's timeout timer; also what the loop's teardown reaches the resolver through.
  struct Timer final : evnode::detail::HandleWrap {
    Impl* impl;
    uv_timer_t* h = new uv_timer_t;
    explicit Timer(Impl* i) : impl(i) {}
    void forceClose() override { impl->teardown(); }
  };

  ares_channel channel = nullptr;
  int initStatus = ARES_SUCCESS;
  int tries = 4;
  uv_loop_t* loop;
  Timer timer{this};
  bool timerOpen = false;
  std::unordered_map<ares_socket_t, Poll*> polls;
  std::size_t pending = 0;  // queries not yet answered
  bool processing = false;  // inside ares_process_fd: completions may call back directly
  bool issuing = false;     // inside ares_query: completions must wait for a later tick
  bool dead = false;        // the loop was torn down

  explicit Impl(const ResolverOptions& o) : loop(Loop::current().uv()) {
    initLibrary();
    tries = o.tries < 1 ? 1 : o.tries;
    ares_options opts{};
    int mask = ARES_OPT_FLAGS | ARES_OPT_SOCK_STATE_CB | ARES_OPT_TRIES;
    // Like Node: SERVFAIL/REFUSED answers are results (ESERVFAIL), not a reason to try elsewhere.
    opts.flags = ARES_FLAG_NOCHECKRESP;
    opts.sock_state_cb = &Impl::onSockState;
    opts.sock_state_cb_data = this;
    opts.tries = 1;
    if (o.timeout >= 0) {
      opts.timeout = o.timeout;
      mask |= ARES_OPT_TIMEOUTMS;
    }
    initStatus = ares_init_options(&channel, &opts, mask);
    if (initStatus != ARES_SUCCESS) channel = nullptr;
    uv_timer_init(loop, timer.h);
    timer.h->data = static_cast<evnode::detail::HandleWrap*>(&timer);
    timerOpen = true;
  }

  ~Impl() {
    if (channel) ares_destroy(channel);  // closes its sockets through onSockState
    channel = nullptr;
    closeHandles();
  }

  void closeHandles() {
    while (!polls.empty()) closePoll(polls.begin()->first);
    if (timerOpen) {
      timerOpen = false;
      timer.h->data = nullptr;
      uv_close(reinterpret_cast<uv_handle_t*>(timer.h),
               [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
    }
  }

  void closePoll(ares_socket_t fd) {
    auto it = polls.find(fd);
    if (it == polls.end()) return;
    Poll* p = it->second;
    polls.erase(it);
    p->h->data = nullptr;
    uv_close(reinterpret_cast<uv_handle_t*>(p->h),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
    delete p;
  }

  // The loop is going away: end every query silently and let go of the handles.
  void teardown() {
    auto keep = shared_from_this();
    dead = true;
    if (channel) ares_cancel(channel);
    closeHandles();
  }

  static void onSockState(void* data, ares_socket_t fd, int readable, int writable) {
    auto* impl = static_cast<Impl*>(data);
    if (!readable && !writable) {
      impl->closePoll(fd);
      return;
    }
    if (impl->dead) return;
    Poll* p;
    auto it = impl->polls.find(fd);
    if (it == impl->polls.end()) {
      p = new Poll(impl, fd);
      if (uv_poll_init_socket(impl->loop, p->h, fd) != 0) {
        delete p->h;
        delete p;
        return;
      }
      p->h->data = static_cast<evnode::detail::HandleWrap*>(p);
      impl->polls.emplace(fd, p);
    } else {
      p = it->second;
    }
    uv_poll_start(p->h, (readable ? UV_READABLE : 0) | (writable ? UV_WRITABLE : 0), &Impl::onPoll);
  }

  static void onPoll(uv_poll_t* h, int status, int events) {
    evnode::detail::CallbackScope scope;
    auto* p = static_cast<Poll*>(static_cast<evnode::detail::HandleWrap*>(h->data));
    // A completion may drop the last reference to the resolver; it must outlive c-ares's frames.
    auto keep = p->impl->shared_from_this();
    ares_socket_t fd = p->fd;
    // On a poll error c-ares must look at the socket to see the error itself.
    bool all = status < 0;
    keep->process(all || (events & UV_READABLE) ? fd : ARES_SOCKET_BAD,
                  all || (events & UV_WRITABLE) ? fd : ARES_SOCKET_BAD);
  }

  static void onTimer(uv_timer_t* h) {
    evnode::detail::CallbackScope scope;
    auto* t = static_cast<Timer*>(static_cast<evnode::detail::HandleWrap*>(h->data));
    auto keep = t->impl->shared_from_this();
    keep->process(ARES_SOCKET_BAD, ARES_SOCKET_BAD);
  }

  void process(ares_socket_t r, ares_socket_t w) {
    if (!channel || dead) return;
    processing = true;
    ares_process_fd(channel, r, w);
    processing = false;
    updateTimer();
  }

  void updateTimer() {
    if (!channel || dead || !timerOpen) return;
    timeval tv;
    timeval* t = ares_timeout(channel, nullptr, &tv);
    if (!t) {
      uv_timer_stop(timer.h);
      return;
    }
    std::uint64_t ms = static_cast<std::uint64_t>(t->tv_sec) * 1000 + (t->tv_usec + 999) / 1000;
    uv_timer_start(timer.h, &Impl::onTimer, ms, 0);
  }

  void send(Query* q) {
    issuing = true;
    ares_query(channel, q->name.c_str(), 1 /* class IN */, q->type, &Impl::onAnswer, q);
    issuing = false;
    if (!processing) updateTimer();
  }

  static void onAnswer(void* arg, int status, int /*timeouts*/, unsigned char* abuf, int alen) {
    std::shared_ptr<Query> q(static_cast<Query*>(arg));
    Impl* impl = q->impl.get();
    if (impl->dead || status == ARES_EDESTRUCTION) return;  // nobody left to tell
    if (status == ARES_ETIMEOUT && --q->triesLeft > 0) {
      Query* again = new Query(std::move(*q));
      impl->send(again);
      return;
    }
    --impl->pending;
    if (impl->processing && !impl->issuing) {
      q->done(status, abuf, alen);
      return;
    }
    // An immediate failure inside the call that asked, or cancel(): answer on a later tick.
    std::vector<unsigned char> copy;
    if (abuf && alen > 0) copy.assign(abuf, abuf + alen);
    nextTick([q, status, copy = std::move(copy)] {
      q->done(status, copy.data(), static_cast<int>(copy.size()));
    });
  }

  template <class T>
  void query(const std::string& name, int type, const char* syscall,
             int (*parse)(const unsigned char*, int, std::vector<T>&),
             std::function<void(const Error&, std::vector<T>&)> cb,
             const std::string& errName = {}) {
    if (!cb)
      throw Exception("ERR_INVALID_ARG_TYPE", "The \"callback\" argument must be a function");
    auto* q = new Query;
    q->impl = shared_from_this();
    q->name = name;
    q->errName = errName.empty() ? name : errName;
    q->type = type;
    q->triesLeft = tries;
    q->syscall = syscall;
    q->done = [cb = std::move(cb), parse, syscall, who = q->errName](
                  int status, const unsigned char* buf, int len) {
      std::vector<T> out;
      if (status == ARES_SUCCESS) status = parse(buf, len, out);
      if (status != ARES_SUCCESS) {
        out.clear();
        cb(resolveError(status, syscall, who), out);
        return;
      }
      cb(Error(), out);
    };
    ++pending;
    if (!channel || dead) {
      int status = channel ? ARES_ECANCELLED : initStatus;
      std::shared_ptr<Query> failed(q);
      --pending;
      nextTick([failed, status] { failed->done(status, nullptr, 0); });
      return;
    }
    send(q);
  }

  void cancel() {
    if (!channel || dead) return;
    // c-ares must not be re-entered from one of its own callbacks: cancel once it has returned.
    if (processing) {
      nextTick([keep = shared_from_this()] { keep->cancel(); });
      return;
    }
    ares_cancel(channel);
  }
};

// ---- Resolver ----

Resolver::Resolver(ResolverOptions options) : impl_(std::make_shared<Impl>(options)) {}
Resolver::~Resolver() = default;

void Resolver::cancel() { impl_->cancel(); }

void Resolver::setServers(const std::vector<std::string>& servers) {
  std::vector<ares_addr_port_node> nodes;
  nodes.reserve(servers.size());
  for (const auto& s : servers) nodes.push_back(parseServer(s));
  for (std::size_t i = 0; i + 1 < nodes.size(); ++i) nodes[i].next = &nodes[i + 1];
  if (!impl_->channel) return;
  if (impl_->pending > 0) {
    throw Exception("ERR_DNS_SET_SERVERS_FAILED",
                    "c-ares failed to set servers: \"There are pending queries.\"");
  }
  int rc = ares_set_servers_ports(impl_->channel, nodes.empty() ? nullptr : nodes.data());
  if (rc != ARES_SUCCESS) {
    throw Exception("ERR_DNS_SET_SERVERS_FAILED",
                    std::string("c-ares failed to set servers: \"") + ares_strerror(rc) + "\"");
  }
}

std::vector<std::string> Resolver::getServers() const {
  std::vector<std::string> out;
  if (!impl_->channel) return out;
  ares_addr_port_node* list = nullptr;
  if (ares_get_servers_ports(impl_->channel, &list) != ARES_SUCCESS) return out;
  char ip[INET6_ADDRSTRLEN];
  for (auto* n = list; n; n = n->next) {
    bool v6 = n->family == AF_INET6;
    inet_ntop(n->family, &n->addr, ip, sizeof ip);
    int port = n->udp_port;
    if (port == 0 || port == 53) {
      out.emplace_back(ip);
    } else if (v6) {
      out.push_back("[" + std::string(ip) + "]:" + std::to_string(port));
    } else {
      out.push_back(std::string(ip) + ":" + std::to_string(port));
    }
  }
  ares_free_data(list);
  return out;
}

void Resolver::setLocalAddress(const std::string& ipv4, const std::string& ipv6) {
  in_addr a4{};
  unsigned char a6[16] = {};
  if (!ipv4.empty() && uv_inet_pton(AF_INET, ipv4.c_str(), &a4) != 0) badIp(ipv4);
  if (!ipv6.empty() && uv_inet_pton(AF_INET6, ipv6.c_str(), a6) != 0) badIp(ipv6);
  if (!impl_->channel) return;
  if (!ipv4.empty()) ares_set_local_ip4(impl_->channel, ntohl(a4.s_addr));
  if (!ipv6.empty()) ares_set_local_ip6(impl_->channel, a6);
}

namespace {

// resolve(name, rrtype): the typed parser's records wrapped as AnyRecord.
template <class T>
int parseWrapped(int (*parse)(const unsigned char*, int, std::vector<T>&), const char* type,
                 const unsigned char* buf, int len, std::vector<AnyRecord>& out) {
  std::vector<T> recs;
  int status = parse(buf, len, recs);
  for (auto& r : recs) out.push_back(AnyRecord{type, std::move(r)});
  return status;
}

#define EVNODE_WRAP(fn, type)                                    \
  [](const unsigned char* b, int l, std::vector<AnyRecord>& o) { \
    return parseWrapped(&detail::fn, type, b, l, o);             \
  }

struct RrInfo {
  const char* syscall;
  int (*parse)(const unsigned char*, int, std::vector<AnyRecord>&);
};

RrInfo rrInfo(int type) {
  switch (type) {
    case detail::kA:
      return {"queryA", EVNODE_WRAP(parseA, "A")};
    case detail::kAaaa:
      return {"queryAaaa", EVNODE_WRAP(parseAaaa, "AAAA")};
    case detail::kCaa:
      return {"queryCaa", EVNODE_WRAP(parseCaa, "CAA")};
    case detail::kCname:
      return {"queryCname", EVNODE_WRAP(parseCname, "CNAME")};
    case detail::kMx:
      return {"queryMx", EVNODE_WRAP(parseMx, "MX")};
    case detail::kNaptr:
      return {"queryNaptr", EVNODE_WRAP(parseNaptr, "NAPTR")};
    case detail::kNs:
      return {"queryNs", EVNODE_WRAP(parseNs, "NS")};
    case detail::kPtr:
      return {"queryPtr", EVNODE_WRAP(parsePtr, "PTR")};
    case detail::kSoa:
      return {"querySoa", EVNODE_WRAP(parseSoa, "SOA")};
    case detail::kSrv:
      return {"querySrv", EVNODE_WRAP(parseSrv, "SRV")};
    case detail::kTxt:
      return {"queryTxt", EVNODE_WRAP(parseTxt, "TXT")};
    default:
      return {"queryAny", &detail::parseAny};
  }
}
#undef EVNODE_WRAP

template <class T>
std::function<void(const Error&, std::vector<T>&)> pass(ResultCallback<T> cb) {
  if (!cb) throw Exception("ERR_INVALID_ARG_TYPE", "The \"callback\" argument must be a function");
  return [cb = std::move(cb)](const Error& err, std::vector<T>& out) { cb(err, out); };
}

std::function<void(const Error&, std::vector<RecordWithTtl>&)> addressesOnly(
    ResultCallback<std::string> cb) {
  if (!cb) throw Exception("ERR_INVALID_ARG_TYPE", "The \"callback\" argument must be a function");
  return [cb = std::move(cb)](const Error& err, std::vector<RecordWithTtl>& recs) {
    std::vector<std::string> out;
    out.reserve(recs.size());
    for (auto& r : recs) out.push_back(std::move(r.address));
    cb(err, out);
  };
}

}  // namespace

void Resolver::resolve(const std::string& hostname, const std::string& rrtype,
                       ResultCallback<AnyRecord> cb) {
  int type = detail::rrTypeFromName(rrtype);
  if (type == 0) {
    throw Exception("ERR_INVALID_ARG_VALUE",
                    "The argument 'rrtype' is invalid. Received '" + rrtype + "'");
  }
  RrInfo info = rrInfo(type);
  impl_->query<AnyRecord>(hostname, type, info.syscall, info.parse, pass(std::move(cb)));
}

void Resolver::resolve4(const std::string& hostname, ResultCallback<std::string> cb) {
  impl_->query<RecordWithTtl>(hostname, detail::kA, "queryA", &detail::parseA,
                              addressesOnly(std::move(cb)));
}
void Resolver::resolve4(const std::string& hostname, const ResolveOptions&,
                        ResultCallback<RecordWithTtl> cb) {
  impl_->query<RecordWithTtl>(hostname, detail::kA, "queryA", &detail::parseA, pass(std::move(cb)));
}
void Resolver::resolve6(const std::string& hostname, ResultCallback<std::string> cb) {
  impl_->query<RecordWithTtl>(hostname, detail::kAaaa, "queryAaaa", &detail::parseAaaa,
                              addressesOnly(std::move(cb)));
}
void Resolver::resolve6(const std::string& hostname, const ResolveOptions&,
                        ResultCallback<RecordWithTtl> cb) {
  impl_->query<RecordWithTtl>(hostname, detail::kAaaa, "queryAaaa", &detail::parseAaaa,
                              pass(std::move(cb)));
}
void Resolver::resolveAny(const std::string& hostname, ResultCallback<AnyRecord> cb) {
  impl_->query<AnyRecord>(hostname, detail::kAny, "queryAny", &detail::parseAny,
                          pass(std::move(cb)));
}
void Resolver::resolveCaa(const std::string& hostname, ResultCallback<CaaRecord> cb) {
  impl_->query<CaaRecord>(hostname, detail::kCaa, "queryCaa", &detail::parseCaa,
                          pass(std::move(cb)));
}
void Resolver::resolveCname(const std::string& hostname, ResultCallback<std::string> cb) {
  impl_->query<std::string>(hostname, detail::kCname, "queryCname", &detail::parseCname,
                            pass(std::move(cb)));
}
void Resolver::resolveMx(const std::string& hostname, ResultCallback<MxRecord> cb) {
  impl_->query<MxRecord>(hostname, detail::kMx, "queryMx", &detail::parseMx, pass(std::move(cb)));
}
void Resolver::resolveNaptr(const std::string& hostname, ResultCallback<NaptrRecord> cb) {
  impl_->query<NaptrRecord>(hostname, detail::kNaptr, "queryNaptr", &detail::parseNaptr,
                            pass(std::move(cb)));
}
void Resolver::resolveNs(const std::string& hostname, ResultCallback<std::string> cb) {
  impl_->query<std::string>(hostname, detail::kNs, "queryNs", &detail::parseNs,
                            pass(std::move(cb)));
}
void Resolver::resolvePtr(const std::string& hostname, ResultCallback<std::string> cb) {
  impl_->query<std::string>(hostname, detail::kPtr, "queryPtr", &detail::parsePtr,
                            pass(std::move(cb)));
}
void Resolver::resolveSoa(const std::string& hostname,
                          std::function<void(const Error&, const SoaRecord&)> cb) {
  if (!cb) throw Exception("ERR_INVALID_ARG_TYPE", "The \"callback\" argument must be a function");
  impl_->query<SoaRecord>(hostname, detail::kSoa, "querySoa", &detail::parseSoa,
                          [cb = std::move(cb)](const Error& err, std::vector<SoaRecord>& out) {
                            cb(err, out.empty() ? SoaRecord{} : out.front());
                          });
}
void Resolver::resolveSrv(const std::string& hostname, ResultCallback<SrvRecord> cb) {
  impl_->query<SrvRecord>(hostname, detail::kSrv, "querySrv", &detail::parseSrv,
                          pass(std::move(cb)));
}
void Resolver::resolveTxt(const std::string& hostname, ResultCallback<TxtRecord> cb) {
  impl_->query<TxtRecord>(hostname, detail::kTxt, "queryTxt", &detail::parseTxt,
                          pass(std::move(cb)));
}
void Resolver::reverse(const std::string& ip, ResultCallback<std::string> cb) {
  std::string name = reverseName(ip);
  if (name.empty()) {
    throw Exception("ERR_INVALID_ARG_VALUE", "The argument 'ip' is invalid. Received '" + ip + "'");
  }
  impl_->query<std::string>(name, detail::kPtr, "getHostByAddr", &detail::parsePtr,
                            pass(std::move(cb)), ip);
}

std::string reverseName(const std::string& ip) {
  unsigned char b[16];
  static const char kHex[] = "0123456789abcdef";
  if (uv_inet_pton(AF_INET, ip.c_str(), b) == 0) {
    return std::to_string(b[3]) + "." + std::to_string(b[2]) + "." + std::to_string(b[1]) + "." +
           std::to_string(b[0]) + ".in-addr.arpa";
  }
  if (ip.find('%') == std::string::npos && uv_inet_pton(AF_INET6, ip.c_str(), b) == 0) {
    std::string out;
    for (int i = 15; i >= 0; --i) {
      out += kHex[b[i] & 0xf];
      out += '.';
      out += kHex[b[i] >> 4];
      out += '.';
    }
    return out + "ip6.arpa";
  }
  return "";
}

// ---- the thread's default resolver ----

namespace {
Resolver& defaultResolver() {
  // Constructed after the thread's Loop (its constructor asks for it), so destroyed before it.
  thread_local Resolver r;
  return r;
}
}  // namespace

void setServers(const std::vector<std::string>& servers) { defaultResolver().setServers(servers); }
std::vector<std::string> getServers() { return defaultResolver().getServers(); }
void resolve(const std::string& h, const std::string& rrtype, ResultCallback<AnyRecord> cb) {
  defaultResolver().resolve(h, rrtype, std::move(cb));
}
void resolve4(const std::string& h, ResultCallback<std::string> cb) {
  defaultResolver().resolve4(h, std::move(cb));
}
void resolve4(const std::string& h, const ResolveOptions& o, ResultCallback<RecordWithTtl> cb) {
  defaultResolver().resolve4(h, o, std::move(cb));
}
void resolve6(const std::string& h, ResultCallback<std::string> cb) {
  defaultResolver().resolve6(h, std::move(cb));
}
void resolve6(const std::string& h, const ResolveOptions& o, ResultCallback<RecordWithTtl> cb) {
  defaultResolver().resolve6(h, o, std::move(cb));
}
void resolveAny(const std::string& h, ResultCallback<AnyRecord> cb) {
  defaultResolver().resolveAny(h, std::move(cb));
}
void resolveCaa(const std::string& h, ResultCallback<CaaRecord> cb) {
  defaultResolver().resolveCaa(h, std::move(cb));
}
void resolveCname(const std::string& h, ResultCallback<std::string> cb) {
  defaultResolver().resolveCname(h, std::move(cb));
}
void resolveMx(const std::string& h, ResultCallback<MxRecord> cb) {
  defaultResolver().resolveMx(h, std::move(cb));
}
void resolveNaptr(const std::string& h, ResultCallback<NaptrRecord> cb) {
  defaultResolver().resolveNaptr(h, std::move(cb));
}
void resolveNs(const std::string& h, ResultCallback<std::string> cb) {
  defaultResolver().resolveNs(h, std::move(cb));
}
void resolvePtr(const std::string& h, ResultCallback<std::string> cb) {
  defaultResolver().resolvePtr(h, std::move(cb));
}
void resolveSoa(const std::string& h, std::function<void(const Error&, const SoaRecord&)> cb) {
  defaultResolver().resolveSoa(h, std::move(cb));
}
void resolveSrv(const std::string& h, ResultCallback<SrvRecord> cb) {
  defaultResolver().resolveSrv(h, std::move(cb));
}
void resolveTxt(const std::string& h, ResultCallback<TxtRecord> cb) {
  defaultResolver().resolveTxt(h, std::move(cb));
}
void reverse(const std::string& ip, ResultCallback<std::string> cb) {
  defaultResolver().reverse(ip, std::move(cb));
}

}  // namespace evnode::dns
