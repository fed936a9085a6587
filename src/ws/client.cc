// WebSocket::connect: the client's opening handshake (RFC 6455 §4.1) over http::request or
// https::request, so ws:// and wss:// get the HTTP client's connection handling and https's
// certificate verification unchanged.
#include <cctype>

#include "ws/impl.h"

namespace evnode::ws {

namespace {
std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}
}  // namespace

WebSocketPtr WebSocket::connect(std::string_view url, ClientOptions options) {
  URL u(url);
  std::string scheme = u.protocol();
  bool secure;
  if (scheme == "ws:" || scheme == "http:") {
    secure = false;
  } else if (scheme == "wss:" || scheme == "https:") {
    secure = true;
  } else {
    throw Exception("ERR_INVALID_PROTOCOL",
                    "The URL's protocol must be one of \"ws:\", "
                    "\"wss:\", \"http:\", or \"https:\"");
  }
  if (!u.hash().empty()) {
    throw Exception("ERR_INVALID_URL", "The URL contains a fragment identifier");
  }
  {
    std::vector<std::string> seen;
    for (const auto& p : options.protocols) {
      std::vector<std::string> one;
      if (!detail::parseTokenList(p, one) || one.size() != 1 ||
          std::find(seen.begin(), seen.end(), p) != seen.end()) {
        throw Exception("ERR_INVALID_ARG_VALUE",
                        "An invalid or duplicated subprotocol was specified: " + p);
      }
      seen.push_back(p);
    }
  }
  const auto& pmdOpts = options.perMessageDeflate;
  for (int bits : {pmdOpts.serverMaxWindowBits, pmdOpts.clientMaxWindowBits}) {
    if (bits != 0 && (bits < 9 || bits > 15)) {
      throw Exception("ERR_INVALID_ARG_VALUE", "max window bits must be 0 (not set) or 9..15");
    }
  }

  WebSocketPtr ws = std::make_shared<Impl>();
  ws->isClient_ = true;
  ws->settings_ = std::make_shared<const Settings>(std::string(url), options.maxPayload,
                                                   options.closeTimeout, options.autoPong);
  Impl& im = *ws->impl();
  im.self = ws;

  https::RequestOptions ro;
  static_cast<http::RequestOptions&>(ro) = http::urlToHttpOptions(u);
  static_cast<https::TlsOptions&>(ro) = options.tls;
  ro.protocol = secure ? "https:" : "http:";
  ro.noAgent = true;  // the connection becomes the WebSocket's: no pool
  const std::string key = detail::newKey();
  ro.headers = {{"Connection", "Upgrade"},
                {"Upgrade", "websocket"},
                {"Sec-WebSocket-Version", "13"},
                {"Sec-WebSocket-Key", key}};
  if (!options.protocols.empty()) {
    std::string v;
    for (const auto& p : options.protocols) v += (v.empty() ? "" : ",") + p;
    ro.headers.emplace_back("Sec-WebSocket-Protocol", v);
  }
  if (pmdOpts.enabled) {
    ro.headers.emplace_back("Sec-WebSocket-Extensions", detail::formatOffer(pmdOpts));
  }
  if (!options.origin.empty()) ro.headers.emplace_back("Origin", options.origin);
  for (auto& h : options.headers) ro.headers.push_back(h);

  http::ClientRequestPtr req =
      secure ? https::request(ro) : http::request(static_cast<http::RequestOptions>(ro));
  im.rareState().request = req;
  WebSocket* raw = ws.get();
  auto failHandshake = [raw](const Error& err) {
    Impl& im = *raw->impl();
    if (raw->state_ != CONNECTING) return;
    auto keep = im.self;
    if (im.rare && im.rare->request) im.rare->request->destroy();
    im.endConnecting();
    im.emitError(err);
    im.emitClose();
  };
  req->on(http::ClientRequest::Events::error,
          [failHandshake](const Error& err) { failHandshake(err); });
  req->on(http::ClientRequest::Events::response,
          [raw, failHandshake](const http::IncomingMessagePtr& res) {
            Impl& im = *raw->impl();
            if (raw->state_ != CONNECTING) return;
            if (raw->listenerCount(Events::unexpectedResponse) > 0) {
              auto keep = im.self;
              http::ClientRequestPtr req = im.rare ? im.rare->request : nullptr;
              raw->emit(Events::unexpectedResponse, req, res);
              return;
            }
            failHandshake(Error("WS_ERR_UNEXPECTED_RESPONSE",
                                "Unexpected server response: " + std::to_string(res->statusCode)));
          });
  req->on(
      http::ClientRequest::Events::upgrade,
      [raw, key, pmdOpts, offered = options.protocols, failHandshake](
          const http::IncomingMessagePtr& res, const http::SocketPtr& socket, const Buffer& head) {
        Impl& im = *raw->impl();
        if (raw->state_ != CONNECTING) {
          socket->destroy();
          return;
        }
        auto keep = im.self;
        auto bad = [&](const std::string& why) {
          socket->on(net::Socket::Events::error, [](const Error&) {});
          socket->destroy();
          failHandshake(Error("WS_ERR_HANDSHAKE", why));
        };
        if (lower(res->headers.value("upgrade")) != "websocket") {
          return bad("Invalid Upgrade header");
        }
        if (res->headers.value("sec-websocket-accept") != acceptKey(key)) {
          return bad("Invalid Sec-WebSocket-Accept header");
        }
        auto prot = res->headers.get("sec-websocket-protocol");
        if (prot) {
          if (offered.empty()) return bad("Server sent a subprotocol but none was requested");
          if (std::find(offered.begin(), offered.end(), *prot) == offered.end()) {
            return bad("Server sent an invalid subprotocol");
          }
          im.rareState().protocol = *prot;
        } else if (!offered.empty()) {
          return bad("Server sent no subprotocol");
        }
        if (auto ext = res->headers.get("sec-websocket-extensions")) {
          if (!pmdOpts.enabled) {
            return bad(
                "Server sent a Sec-WebSocket-Extensions header but no extension was "
                "requested");
          }
          auto answer = detail::parseExtensions(*ext);
          std::string error;
          std::optional<detail::DeflateParams> params;
          if (answer) params = detail::acceptResponse(*answer, pmdOpts, error);
          if (!params) {
            return bad(error.empty() ? "Invalid Sec-WebSocket-Extensions header" : error);
          }
          im.rareState().pmd = std::make_unique<detail::PerMessageDeflate>(
              *params, false, pmdOpts.level, pmdOpts.threshold);
          im.rareState().extensions = *ext;
        }
        im.endConnecting();
        raw->emit(Events::upgrade, res);
        if (raw->state_ != CONNECTING) return;
        im.start(socket, head);
        raw->emit(Events::open);
        if (!head.empty() && raw->state_ == OPEN) im.onData(head);
      });
  req->end();
  if (options.handshakeTimeout && im.rare && im.rare->request) {
    im.rare->handshakeTimer = setTimeout(
        [raw, failHandshake] {
          raw->impl()->rare->handshakeTimer.reset();
          failHandshake(Error("WS_ERR_HANDSHAKE_TIMEOUT", "Opening handshake has timed out"));
        },
        options.handshakeTimeout);
  }
  return ws;
}

}  // namespace evnode::ws
