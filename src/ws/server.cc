// WebSocketServer: the opening handshake on the server side (RFC 6455 §4.2), on its own HTTP
// server, on one it is given, or on upgrades handed to it (noServer).
#include <cctype>
#include <string>

#include "ws/impl.h"

namespace evnode::ws {

namespace {
std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// A Sec-WebSocket-Key is the base64 of 16 bytes: 22 characters, the last of which carries only
// two bits, and "==".
bool isValidKey(const std::string& k) {
  if (k.size() != 24 || k[22] != '=' || k[23] != '=') return false;
  for (int i = 0; i < 22; ++i) {
    char c = k[i];
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '/') return false;
  }
  char last = k[21];
  return last == 'A' || last == 'Q' || last == 'g' || last == 'w';
}

void abortHandshake(const http::SocketPtr& socket, int status, const std::string& message) {
  std::string body = message.empty() ? std::string(http::STATUS_CODES(status)) : message;
  std::string out = "HTTP/1.1 " + std::to_string(status) + " " +
                    std::string(http::STATUS_CODES(status)) +
                    "\r\nConnection: close\r\nContent-Type: text/html\r\nContent-Length: " +
                    std::to_string(body.size()) + "\r\n\r\n" + body;
  socket->on(net::Socket::Events::error, [](const Error&) {});
  if (!socket->destroyed() && socket->writable()) socket->write(out);
  socket->destroySoon();
}

int checkBits(int bits, const char* name) {
  if (bits != 0 && (bits < 9 || bits > 15)) {
    throw Exception("ERR_INVALID_ARG_VALUE",
                    std::string(name) + " must be 0 (not set) or from 9 to 15");
  }
  return bits;
}
}  // namespace

WebSocketServer::WebSocketServer(ServerOptions options) : opts_(std::move(options)) {}
WebSocketServer::~WebSocketServer() {
  for (WebSocket* ws = clients_.head_; ws;) {
    WebSocket::Impl& im = *ws->impl();
    ws = im.nextClient;
    im.server = nullptr;
    im.prevClient = im.nextClient = nullptr;
  }
}

void WebSocketServer::track(WebSocket::Impl& ws) {
  ws.server = this;
  ws.prevClient = clients_.tail_;
  ws.nextClient = nullptr;
  if (clients_.tail_) {
    clients_.tail_->impl()->nextClient = &ws;
  } else {
    clients_.head_ = &ws;
  }
  clients_.tail_ = &ws;
  ++clients_.size_;
}

void WebSocketServer::forget(WebSocket::Impl& ws) {
  WebSocket* prev = ws.prevClient;
  WebSocket* next = ws.nextClient;
  (prev ? prev->impl()->nextClient : clients_.head_) = next;
  (next ? next->impl()->prevClient : clients_.tail_) = prev;
  --clients_.size_;
  ws.server = nullptr;
  // nextClient stays: an iteration visiting `ws` goes on from it (a Set's rule). Only the
  // links back are cut.
  ws.prevClient = nullptr;
}

WebSocketPtr Clients::iterator::operator*() const { return at_->shared_from_this(); }
Clients::iterator& Clients::iterator::operator++() {
  at_ = at_->impl()->nextClient;
  return *this;
}
Clients::iterator Clients::iterator::operator++(int) {
  iterator was = *this;
  ++*this;
  return was;
}
bool Clients::contains(const WebSocketPtr& ws) const {
  const WebSocket::Impl* im = ws ? ws->impl() : nullptr;
  return im && im->server && &im->server->clients() == this;
}

std::shared_ptr<WebSocketServer> WebSocketServer::create(ServerOptions options) {
  int given =
      (options.port.has_value() ? 1 : 0) + (options.server ? 1 : 0) + (options.noServer ? 1 : 0);
  if (given != 1) {
    throw Exception("ERR_INVALID_ARG_VALUE",
                    "One and only one of the \"port\", \"server\", or \"noServer\" options must "
                    "be specified");
  }
  if (options.port && (*options.port < 0 || *options.port > 65535)) {
    throw Exception("ERR_SOCKET_BAD_PORT",
                    "Port should be >= 0 and < 65536. Received " + std::to_string(*options.port));
  }
  checkBits(options.perMessageDeflate.serverMaxWindowBits, "serverMaxWindowBits");
  checkBits(options.perMessageDeflate.clientMaxWindowBits, "clientMaxWindowBits");
  auto s = std::make_shared<WebSocketServer>(std::move(options));
  s->attach();
  return s;
}

void WebSocketServer::attach() {
  std::weak_ptr<WebSocketServer> weak = weak_from_this();
  if (opts_.port) {
    server_ = http::Server::create();
    ownServer_ = true;
    // A plain HTTP request to a WebSocket-only server: 426, as `ws`.
    server_->on(http::Server::Events::request,
                [](const http::RequestPtr&, const http::ResponsePtr& res) {
                  std::string body(http::STATUS_CODES(426));
                  res->writeHead(426, {{"Content-Length", std::to_string(body.size())},
                                       {"Content-Type", "text/plain"}});
                  res->end(body);
                });
    server_->on(net::Server::Events::listening, [weak] {
      if (auto self = weak.lock()) self->emit(Events::listening);
    });
    server_->on(EventEmitter::Events::error, [weak](const Error& err) {
      if (auto self = weak.lock()) self->emit(EventEmitter::Events::error, err);
    });
    server_->listen(*opts_.port, opts_.host);
  } else if (opts_.server) {
    server_ = opts_.server;
  }
  if (server_) {
    upgradeListener_ = server_->on(
        http::Server::Events::upgrade,
        [weak](const http::RequestPtr& req, const http::SocketPtr& socket, const Buffer& head) {
          auto self = weak.lock();
          if (!self) return abortHandshake(socket, 503, "");
          self->handleUpgrade(
              req, socket, head,
              [raw = self.get()](const WebSocketPtr& ws, const http::RequestPtr& r) {
                raw->emit(Events::connection, ws, r);
              });
        });
  }
}

bool WebSocketServer::shouldHandle(const http::RequestPtr& req) const {
  if (opts_.path.empty()) return true;
  std::string_view url = req->url;
  auto q = url.find('?');
  return url.substr(0, q) == opts_.path;
}

void WebSocketServer::handleUpgrade(
    const http::RequestPtr& req, const http::SocketPtr& socket, const Buffer& head,
    std::function<void(const WebSocketPtr&, const http::RequestPtr&)> cb) {
  auto refuse = [&](int status, const std::string& message) {
    if (listenerCount(Events::wsClientError) > 0) {
      emit(Events::wsClientError, Error("WS_ERR_HANDSHAKE", message), socket, req);
    } else {
      abortHandshake(socket, status, message);
    }
  };
  if (req->method != "GET") return refuse(405, "Invalid HTTP method");
  if (lower(req->headers.value("upgrade")) != "websocket") {
    return refuse(400, "Invalid Upgrade header");
  }
  std::string key = req->headers.value("sec-websocket-key");
  if (!isValidKey(key)) return refuse(400, "Missing or invalid Sec-WebSocket-Key header");
  std::string version = req->headers.value("sec-websocket-version");
  if (version != "13" && version != "8") {
    return refuse(400, "Missing or invalid Sec-WebSocket-Version header");
  }
  if (!shouldHandle(req)) return abortHandshake(socket, 400, "");

  std::vector<std::string> protocols;
  if (auto p = req->headers.get("sec-websocket-protocol")) {
    if (!detail::parseTokenList(*p, protocols)) {
      return refuse(400, "Invalid Sec-WebSocket-Protocol header");
    }
  }
  std::optional<detail::DeflateParams> deflate;
  if (auto e = req->headers.get("sec-websocket-extensions")) {
    if (opts_.perMessageDeflate.enabled) {
      auto offers = detail::parseExtensions(*e);
      std::string error;
      if (offers) deflate = detail::acceptOffer(*offers, opts_.perMessageDeflate, error);
      if (!offers || !error.empty()) {
        return refuse(400, "Invalid or unacceptable Sec-WebSocket-Extensions header");
      }
    }
  }
  if (opts_.verifyClient) {
    VerifyInfo info;
    info.origin = req->headers.value(version == "8" ? "sec-websocket-origin" : "origin");
    info.secure = dynamic_cast<tls::TLSSocket*>(socket.get()) != nullptr;
    info.req = req;
    if (!opts_.verifyClient(info)) return abortHandshake(socket, 401, "");
  }
  if (socket->destroyed() || !socket->writable()) return;
  if (closed_) return abortHandshake(socket, 503, "");

  WebSocketPtr ws = std::make_shared<WebSocket::Impl>();
  WebSocket::Impl& im = *ws->impl();
  std::string chosen;
  if (!protocols.empty()) {
    chosen = opts_.handleProtocols ? opts_.handleProtocols(protocols, req) : protocols.front();
    if (!chosen.empty()) im.rareState().protocol = chosen;
  }
  if (deflate) {
    im.rareState().extensions = detail::formatResponse(*deflate);
    im.rareState().pmd = std::make_unique<detail::PerMessageDeflate>(
        *deflate, true, opts_.perMessageDeflate.level, opts_.perMessageDeflate.threshold);
  }
  char accept[29];
  const std::string_view acceptValue(accept, detail::acceptKeyInto(key, accept));
  // The response is built in the thread's scratch string: a handshake leaves no freed
  // temporaries of its own between the connections' long-lived objects (heap fragmentation
  // showed in the idle cost per connection).
  thread_local std::string out;
  if (listenerCount(Events::headers) > 0) {
    std::vector<std::string> lines = {"HTTP/1.1 101 Switching Protocols", "Upgrade: websocket",
                                      "Connection: Upgrade",
                                      "Sec-WebSocket-Accept: " + std::string(acceptValue)};
    if (!chosen.empty()) lines.push_back("Sec-WebSocket-Protocol: " + chosen);
    if (deflate) lines.push_back("Sec-WebSocket-Extensions: " + im.rare->extensions);
    emit(Events::headers, lines, req);
    out.clear();
    for (const auto& l : lines) {
      out += l;
      out += "\r\n";
    }
  } else {
    out.clear();
    out +=
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Accept: ";
    out += acceptValue;
    out += "\r\n";
    if (!chosen.empty()) {
      out += "Sec-WebSocket-Protocol: ";
      out += chosen;
      out += "\r\n";
    }
    if (deflate) {
      out += "Sec-WebSocket-Extensions: ";
      out += im.rare->extensions;
      out += "\r\n";
    }
  }
  out += "\r\n";
  // Straight to the kernel when it takes it (it does, on a fresh connection): the socket's write
  // queue is never set up for it, so an idle WebSocket does not carry one.
  net::internal::writeNow(*socket, out);

  // Connections to the same path share its url and the server's settings.
  if (!lastSettings_ || lastSettings_->url != req->url) {
    lastSettings_ = std::make_shared<const WebSocket::Settings>(req->url, opts_.maxPayload,
                                                                opts_.closeTimeout, opts_.autoPong);
  }
  ws->settings_ = lastSettings_;
  im.start(socket, head);
  if (opts_.clientTracking) track(im);
  if (cb) cb(ws, req);
  if (!head.empty()) im.onData(head);
}

void WebSocketServer::close(std::function<void(const Error&)> cb) {
  auto self = shared_from_this();
  if (closed_) {
    if (cb) {
      nextTick([cb = std::move(cb)] {
        cb(Error("ERR_SERVER_NOT_RUNNING", "The server is not running"));
      });
    }
    return;
  }
  closed_ = true;
  if (server_ && upgradeListener_) server_->off(http::Server::Events::upgrade, upgradeListener_);
  upgradeListener_ = 0;
  auto done = [self, cb = std::move(cb)](const Error& err) {
    self->emit(Events::close);
    if (cb) cb(err);
  };
  if (ownServer_) {
    // As `ws` 8: open connections are not closed by this; the HTTP server's close waits for them.
    server_->close(done);
  } else {
    nextTick([done] { done(Error()); });
  }
}

net::AddressInfo WebSocketServer::address() const {
  if (!server_) {
    throw Exception("ERR_INVALID_STATE", "The server is operating in \"noServer\" mode");
  }
  return server_->address();
}

}  // namespace evnode::ws
