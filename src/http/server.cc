// http::Server: options, the connection list, the timeout checker, close() and friends. Each
// connection's HTTP work is in connection.cc.
#include <algorithm>

#include "evnode/loop.h"
#include "http/connection.h"

namespace evnode::http {

namespace {
struct MakeServer : Server {
  explicit MakeServer(ServerOptions o) : Server(std::move(o)) {}
};

net::ServerOptions netOptions(const ServerOptions& o) {
  net::ServerOptions n;
  n.noDelay = o.noDelay;
  return n;
}
}  // namespace

Server::Server(ServerOptions opts)
    : net::Server(netOptions(opts)), opts_(std::move(opts)), state_(std::make_unique<State>()) {}

Server::Server(ServerOptions opts, const net::ServerOptions& listenOpts)
    : net::Server(listenOpts), opts_(std::move(opts)), state_(std::make_unique<State>()) {}

Server::~Server() = default;  // State's destructor closes the checker

std::shared_ptr<Server> Server::create(ServerOptions opts) {
  auto s = std::make_shared<MakeServer>(std::move(opts));
  Server* raw = s.get();
  s->on(net::Server::Events::connection,
        [raw](const SocketPtr& sock) { Connection::start(raw, sock, /*plainTcp=*/true); });
  return s;
}

std::shared_ptr<Server> createServer(
    std::function<void(const RequestPtr&, const ResponsePtr&)> listener) {
  return createServer(ServerOptions{}, std::move(listener));
}

std::shared_ptr<Server> createServer(
    ServerOptions opts, std::function<void(const RequestPtr&, const ResponsePtr&)> listener) {
  auto s = Server::create(std::move(opts));
  if (listener) s->on(Server::Events::request, std::move(listener));
  return s;
}

void Server::closeIdleConnections() {
  auto conns = state_->connections;  // closing edits the list
  for (Connection* c : conns) c->closeIfIdle();
}

void Server::closeAllConnections() {
  auto conns = state_->connections;
  for (Connection* c : conns) c->destroy();
}

Server& Server::close(std::function<void(const Error&)> cb) {
  net::Server::close(std::move(cb));
  state_->closing = true;
  // Idle connections go at once. On a shared port (reusePort: another server, a new process
  // or another thread, takes over) one accepted a moment ago that has sent nothing yet is
  // spared: its client connected just before the close, or its connection was just taken from
  // the accept queue, and is likely sending its request right now. It gets a quarter of a
  // second to do so, is answered, and closes after the response like every other.
  const std::uint64_t now = Loop::current().now();
  bool waiting = false;
  auto conns = state_->connections;  // closing edits the list
  for (Connection* c : conns) {
    c->closeAfterResponse = true;
    if (sharesPort_ && c->awaitingFirstRequest(now)) {
      waiting = true;
    } else {
      c->closeIfIdle();
    }
  }
  if (waiting && !state_->closeGrace) {
    state_->closeGrace = evnode::setTimeout(
        [this] {
          state_->closeGrace.reset();
          closeIdleConnections();
        },
        250);
  }
  return *this;
}

Server& Server::setTimeout(std::uint64_t ms, std::function<void(const SocketPtr&)> cb) {
  opts_.timeout = ms;
  if (cb) on(Events::timeout, std::move(cb));
  return *this;
}

void Server::serveConnection(const SocketPtr& socket) {
  if (!socket || socket->destroyed()) return;
  Connection* c = Connection::start(this, socket);
  // A connection handed over after close() (its TLS handshake was still running) answers
  // what it was sent, then closes.
  if (state_->closing) c->closeAfterResponse = true;
}

void Server::State::add(Server* server, Connection* c) {
  c->index = static_cast<std::uint32_t>(connections.size());
  connections.push_back(c);
  if (!checker) {
    // One timer per server walks every connection (Node's connectionsCheckingInterval), so an
    // idle connection costs no timer of its own.
    checker = setInterval(
        [server] {
          State& st = *server->state_;
          if (st.connections.empty()) {
            // Stopped a round after the last connection went, not at once: a server whose
            // connections come and go one at a time would make a timer per connection.
            st.checker->close();
            st.checker.reset();
            return;
          }
          std::uint64_t t = Loop::current().now();
          auto conns = st.connections;
          for (Connection* conn : conns) conn->checkTimeouts(t);
        },
        std::max<std::uint64_t>(1, server->opts_.connectionsCheckingInterval));
    checker->unref();
  }
}

void Server::State::remove(Connection* c) {
  std::uint32_t i = c->index;
  if (i >= connections.size() || connections[i] != c) return;
  connections[i] = connections.back();
  connections[i]->index = i;
  connections.pop_back();
}

}  // namespace evnode::http
