// http::Agent: connections per origin, the request queue beyond maxSockets, and the free list
// of idle keep-alive connections (unref'd, dropped when the server closes them or they time out).
#include <algorithm>
#include <deque>

#include "core/thread_instance.h"
#include "evnode/http.h"
#include "http/client_internal.h"

namespace evnode::http {

namespace {
struct MakeAgent : Agent {
  explicit MakeAgent(AgentOptions o) : Agent(std::move(o)) {}
};
}  // namespace

struct Agent::Origin {
  std::string name;
  std::vector<SocketPtr> busy;
  struct Free {
    SocketPtr socket;
    ListenerId onEnd = 0, onError = 0, onTimeout = 0, onData = 0;
  };
  std::vector<Free> free;
  std::deque<ClientRequestPtr> queue;
  // The agent's own `close` listener on each of its sockets.
  std::vector<std::pair<net::Socket*, ListenerId>> closeIds;
};

Agent::Agent(AgentOptions opts) : opts_(std::move(opts)) {
  if (opts_.scheduling != "lifo" && opts_.scheduling != "fifo") {
    throw Exception("ERR_INVALID_ARG_VALUE",
                    "The argument 'scheduling' must be one of: 'fifo', 'lifo'. Received '" +
                        opts_.scheduling + "'");
  }
  if (opts_.maxSockets == 0) throwOutOfRange("maxSockets", ">= 1", 0);
  if (opts_.maxTotalSockets == 0) throwOutOfRange("maxTotalSockets", ">= 1", 0);
}

Agent::~Agent() = default;

AgentPtr Agent::create(AgentOptions opts) { return std::make_shared<MakeAgent>(std::move(opts)); }

AgentPtr& globalAgent() {
  // Per thread, and kept until the thread's loop has closed the agent's sockets.
  struct Global {
    AgentPtr agent = Agent::create({.keepAlive = true, .timeout = 5000});
  };
  if (Global* g = evnode::detail::threadInstance<Global>()) return g->agent;
  static thread_local AgentPtr gone;  // the thread is exiting
  return gone;
}

std::string Agent::getName(const RequestOptions& o) const {
  std::string name =
      o.connectHost() + ":" + std::to_string(o.effectivePort()) + ":" + o.localAddress;
  if (o.family == 4 || o.family == 6) name += ":" + std::to_string(o.family);
  if (!o.socketPath.empty()) name += ":" + o.socketPath;
  return name;
}

SocketPtr Agent::createConnection(const RequestOptions& opts) { return openConnection(opts); }

Agent::Origin& Agent::origin(const std::string& name) {
  for (auto& o : origins_) {
    if (o->name == name) return *o;
  }
  origins_.push_back(std::make_unique<Origin>());
  origins_.back()->name = name;
  return *origins_.back();
}

void Agent::addRequest(const ClientRequestPtr& req, bool fresh) {
  Origin& o = origin(req->agentName_);
  if (!fresh) {
    while (!o.free.empty()) {
      auto it = opts_.scheduling == "lifo" ? o.free.end() - 1 : o.free.begin();
      Origin::Free f = std::move(*it);
      o.free.erase(it);
      SocketPtr& s = f.socket;
      s->off(net::Socket::Events::end, f.onEnd);
      s->off(net::Socket::Events::error, f.onError);
      s->off(net::Socket::Events::timeout, f.onTimeout);
      s->off(net::Socket::Events::data, f.onData);
      if (s->destroyed()) continue;  // its close is on the way
      s->ref();
      o.busy.push_back(s);
      req->onSocket(s, true);
      return;
    }
  }
  if (o.busy.size() < opts_.maxSockets && total_ < opts_.maxTotalSockets) {
    connectFor(req, o);
    return;
  }
  o.queue.push_back(req);
}

void Agent::connectFor(const ClientRequestPtr& req, Origin& o) {
  SocketPtr s = createConnection(req->options());
  ++total_;
  o.busy.push_back(s);
  std::weak_ptr<Agent> weak = weak_from_this();
  net::Socket* raw = s.get();
  std::string name = o.name;
  ListenerId id = s->on(net::Socket::Events::close, [weak, raw, name](bool) {
    if (auto agent = weak.lock()) agent->removeSocket(raw, name);
  });
  o.closeIds.emplace_back(raw, id);
  if (opts_.keepAlive) s->setKeepAlive(true, opts_.keepAliveMsecs);
  if (opts_.timeout) s->setTimeout(opts_.timeout);
  req->onSocket(s, false);
}

void Agent::release(const SocketPtr& s, const std::string& name, bool reusable) {
  Origin& o = origin(name);
  if (reusable && !s->destroyed()) {
    while (!o.queue.empty()) {
      ClientRequestPtr next = std::move(o.queue.front());
      o.queue.pop_front();
      if (next->destroyed()) continue;
      next->onSocket(s, true);
      return;
    }
    if (opts_.keepAlive && o.free.size() < opts_.maxFreeSockets) {
      std::erase(o.busy, s);
      Origin::Free f;
      f.socket = s;
      // An idle connection that ends, fails, times out or receives anything unasked is closed;
      // its `close` takes it out of the pool. No error reaches any request.
      net::Socket* raw = s.get();
      auto drop = [raw] { raw->destroy(); };
      f.onEnd = s->on(net::Socket::Events::end, drop);
      f.onError = s->on(net::Socket::Events::error, [raw](const Error&) { raw->destroy(); });
      f.onTimeout = s->on(net::Socket::Events::timeout, drop);
      f.onData = s->on(net::Socket::Events::data, [raw](const Buffer&) { raw->destroy(); });
      if (opts_.timeout) s->setTimeout(opts_.timeout);
      s->unref();  // an idle pool never keeps the process alive
      o.free.push_back(std::move(f));
      emit(Events::free, s);
      return;
    }
  }
  s->destroy();  // its close takes it out of the pool and starts what waits
}

void Agent::removeSocket(net::Socket* s, const std::string& name) {
  Origin& o = origin(name);
  auto same = [s](const SocketPtr& p) { return p.get() == s; };
  std::erase_if(o.busy, same);
  std::erase_if(o.free, [s](const Origin::Free& f) { return f.socket.get() == s; });
  auto it = std::find_if(o.closeIds.begin(), o.closeIds.end(),
                         [s](const auto& e) { return e.first == s; });
  if (it == o.closeIds.end()) return;  // already handed over
  o.closeIds.erase(it);
  --total_;
  startNext(name);
  if (opts_.maxTotalSockets != SIZE_MAX) {
    for (auto& other : origins_) {
      if (other->name != name && !other->queue.empty()) startNext(other->name);
    }
  }
}

void Agent::handOver(const SocketPtr& s, const std::string& name) {
  Origin& o = origin(name);
  auto it = std::find_if(o.closeIds.begin(), o.closeIds.end(),
                         [&](const auto& e) { return e.first == s.get(); });
  if (it != o.closeIds.end()) {
    s->off(net::Socket::Events::close, it->second);
    o.closeIds.erase(it);
    --total_;
  }
  std::erase(o.busy, s);
  startNext(name);
}

void Agent::startNext(const std::string& name) {
  Origin& o = origin(name);
  while (!o.queue.empty()) {
    bool canStart =
        !o.free.empty() || (o.busy.size() < opts_.maxSockets && total_ < opts_.maxTotalSockets);
    if (!canStart) break;
    ClientRequestPtr next = std::move(o.queue.front());
    o.queue.pop_front();
    if (next->destroyed()) continue;
    addRequest(next);
  }
}

void Agent::forget(ClientRequest* req) {
  for (auto& o : origins_) {
    std::erase_if(o->queue, [req](const ClientRequestPtr& r) { return r.get() == req; });
  }
}

void Agent::destroy() {
  std::vector<SocketPtr> all;
  for (auto& o : origins_) {
    for (auto& s : o->busy) all.push_back(s);
    for (auto& f : o->free) all.push_back(f.socket);
  }
  for (auto& s : all) s->destroy();
}

namespace {
template <class F>
std::vector<std::pair<std::string, std::size_t>> counts(
    const std::vector<std::unique_ptr<Agent::Origin>>& origins, F size) {
  std::vector<std::pair<std::string, std::size_t>> out;
  for (const auto& o : origins) {
    if (std::size_t n = size(*o)) out.emplace_back(o->name, n);
  }
  return out;
}
}  // namespace

std::vector<std::pair<std::string, std::size_t>> Agent::sockets() const {
  return counts(origins_, [](const Origin& o) { return o.busy.size(); });
}
std::vector<std::pair<std::string, std::size_t>> Agent::freeSockets() const {
  return counts(origins_, [](const Origin& o) { return o.free.size(); });
}
std::vector<std::pair<std::string, std::size_t>> Agent::requests() const {
  return counts(origins_, [](const Origin& o) { return o.queue.size(); });
}

}  // namespace evnode::http
