// RFC 6455 conformance in the spirit of the Autobahn TestSuite (cases 1-7, 9, 12-13): each case
// is a raw byte sequence sent over a real TCP connection and the expected reaction (the frames
// that come back, the close code). Our server is driven by a raw client, and our client by a raw
// server. Every input is delivered whole, byte by byte and in random pieces.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "evnode/loop.h"
#include "evnode/net.h"
#include "evnode/ws.h"
#include "support/testing.h"
#include "ws/deflate.h"
#include "ws/frame.h"
#include "ws/ws_support.h"

namespace evnode::ws::test {
namespace {

using namespace std::literals;

const std::string kKey = "dGhlIHNhbXBsZSBub25jZQ==";
const std::string kAccept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";
std::string CL() { return frame(8, closePayload(1000)); }
const std::string kClosed = "8:1000:";

struct ServerCase {
  std::string name;
  std::string bytes;                // after the handshake
  std::vector<std::string> expect;  // the frames the server sends back
  bool deflate = false;
  std::size_t maxPayload = kDefaultMaxPayload;
};

std::string deflated(const std::string& s) {
  detail::DeflateParams p;
  detail::PerMessageDeflate d(p, false, 6, 0);
  std::vector<std::uint8_t> out;
  EXPECT_TRUE(d.compress(reinterpret_cast<const std::uint8_t*>(s.data()), s.size(), true, out));
  return std::string(out.begin(), out.end());
}

std::vector<ServerCase> serverCases() {
  std::vector<ServerCase> v;
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  auto add = [&](std::string name, std::string bytes, std::vector<std::string> expect) {
    v.push_back({std::move(name), std::move(bytes), std::move(expect)});
  };
  add("1.1.1 text", frame(1, "Hello") + CL(), {"1:Hello", kClosed});
  add("1.2.1 binary", frame(2, all) + CL(), {"2:" + all, kClosed});
  add("1.1.empty", frame(1, "") + frame(2, "") + CL(), {"1:", "2:", kClosed});
  for (std::size_t n : {125, 126, 127, 65535, 65536}) {
    std::string s(n, 'a');
    add("1.1.len" + std::to_string(n), frame(1, s) + CL(), {"1:" + s, kClosed});
  }
  add("2.2 ping", frame(9, "abc") + CL(), {"10:abc", kClosed});
  add("2.4 ping125", frame(9, std::string(125, 'p')) + CL(),
      {"10:" + std::string(125, 'p'), kClosed});
  add("2.5 ping126", frame(9, std::string(126, 'p')) + CL(), {"8:1002:"});
  add("2.7 unsolicited pong", frame(10, "x") + CL(), {kClosed});
  add("5.1 fragmented ping", frame(9, "ab", false) + frame(0, "c") + CL(), {"8:1002:"});
  add("3.1 rsv1", frame(1, "x", true, "\x01\x02\x03\x04", 4) + CL(), {"8:1002:"});
  add("3.2 rsv2 after text", frame(1, "ok") + frame(1, "x", true, "\x01\x02\x03\x04", 2),
      {"1:ok", "8:1002:"});
  add("3.3 rsv3 on ping", frame(9, "x", true, "\x01\x02\x03\x04", 1), {"8:1002:"});
  add("4.1 opcode 3", frame(3, "x") + CL(), {"8:1002:"});
  add("4.2 opcode 11", frame(1, "a") + frame(11, "") + CL(), {"1:a", "8:1002:"});
  add("5.3 fragmented text", frame(1, "Hel", false) + frame(0, "l", false) + frame(0, "o") + CL(),
      {"1:Hello", kClosed});
  add("5.6 ping between fragments", frame(1, "Hel", false) + frame(9, "p") + frame(0, "lo") + CL(),
      {"10:p", "1:Hello", kClosed});
  add("5.9 continuation first", frame(0, "x") + CL(), {"8:1002:"});
  add("5.18 text in text", frame(1, "a", false) + frame(1, "b") + CL(), {"8:1002:"});
  add("unmasked", frame(1, "Hello") + sframe(1, "x"), {"1:Hello", "8:1002:"});
  const std::string kosme = "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5";
  add("6.2 utf8 split mid-character",
      frame(1, kosme.substr(0, 3), false) + frame(0, kosme.substr(3, 5), false) +
          frame(0, kosme.substr(8)) + CL(),
      {"1:" + kosme, kClosed});
  add("6.3 surrogate", frame(1, kosme + "\xed\xa0\x80") + CL(), {"8:1007:"});
  add("6.4 fail fast", frame(1, "ok\xff", false), {"8:1007:"});
  add("6.x truncated", frame(1, "\xce") + CL(), {"8:1007:"});
  add("6.x overlong", frame(1, "\xc0\xaf") + CL(), {"8:1007:"});
  add("6.x past U+10FFFF", frame(1, "\xf4\x90\x80\x80") + CL(), {"8:1007:"});
  add("7.1 close reason", frame(8, closePayload(1000, "bye")), {"8:1000:bye"});
  add("7.3 empty close", frame(8, ""), {"8:"});
  add("7.3 close length 1", frame(8, "\x03"), {"8:1002:"});
  for (int code : {0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535}) {
    add("7.9 close " + std::to_string(code), frame(8, closePayload(code)), {"8:1002:"});
  }
  for (int code : {1001, 1002, 1003, 1007, 1011, 1014, 3000, 4999}) {
    add("7.7 close " + std::to_string(code), frame(8, closePayload(code, "r")),
        {"8:" + std::to_string(code) + ":r"});
  }
  add("7.5 close bad utf8", frame(8, closePayload(1000, "\xff")), {"8:1007:"});
  add("7.x data after close", CL() + frame(1, "x"), {kClosed});
  {
    ServerCase c{"9.x over maxPayload", frame(2, std::string(1001, 'b')), {"8:1009:"}};
    c.maxPayload = 1000;
    v.push_back(c);
    ServerCase d{"9.x fragments over maxPayload",
                 frame(2, std::string(600, 'b'), false) + frame(0, std::string(600, 'b')),
                 {"8:1009:"}};
    d.maxPayload = 1000;
    v.push_back(d);
    ServerCase e{"9.x at maxPayload",
                 frame(2, std::string(1000, 'b')) + CL(),
                 {"2:" + std::string(1000, 'b'), kClosed}};
    e.maxPayload = 1000;
    v.push_back(e);
  }
  auto z = [&](std::string name, std::string bytes, std::vector<std::string> expect,
               std::size_t maxPayload = kDefaultMaxPayload) {
    v.push_back({std::move(name), std::move(bytes), std::move(expect), true, maxPayload});
  };
  // RFC 7692 §7.2.3's examples.
  z("12.rfc one block",
    frame(1, "\xf2\x48\xcd\xc9\xc9\x07\x00"s, true, "\x11\x22\x33\x44", 4) + CL(),
    {"1:Hello", kClosed});
  z("12.rfc fragments",
    frame(1, "\xf2\x48", false, "\x11\x22\x33\x44", 4) + frame(0, "\xcd\xc9\xc9\x07\x00"s) + CL(),
    {"1:Hello", kClosed});
  z("12.rfc stored block",
    frame(1, std::string("\x00\x05\x00\xfa\xff\x48\x65\x6c\x6c\x6f\x00", 11), true,
          "\x11\x22\x33\x44", 4) +
        CL(),
    {"1:Hello", kClosed});
  z("12.rfc bfinal", frame(1, "\xf3\x48\xcd\xc9\xc9\x07\x00"s, true, "\x11\x22\x33\x44", 4) + CL(),
    {"1:Hello", kClosed});
  z("12.rfc context takeover",
    frame(1, "\xf2\x48\xcd\xc9\xc9\x07\x00"s, true, "\x11\x22\x33\x44", 4) +
        frame(1, "\xf2\x00\x11\x00\x00"s, true, "\x11\x22\x33\x44", 4) + CL(),
    {"1:Hello", "1:Hello", kClosed});
  {
    std::string big(5000, 'x');
    z("12.x compressed 5000", frame(2, deflated(big), true, "\x01\x02\x03\x04", 4) + CL(),
      {"2z:" + deflated(big), kClosed});
  }
  z("13.x rsv1 on continuation",
    frame(1, "\xf2\x48", false, "\x11\x22\x33\x44", 4) + frame(0, "\xcd", true, "\x1\x2\x3\x4", 4),
    {"8:1002:"});
  z("13.x rsv1 on ping", frame(9, "x", true, "\x01\x02\x03\x04", 4), {"8:1002:"});
  z("13.x corrupt deflate", frame(1, "\xff\xff\xff\xff", true, "\x01\x02\x03\x04", 4), {"8:1007:"});
  z("13.x compressed bad utf8", frame(1, deflated("ok\xff"), true, "\x01\x02\x03\x04", 4),
    {"8:1007:"});
  z("13.x deflate bomb", frame(2, deflated(std::string(4 << 20, '\0')), true, "\1\2\3\4", 4),
    {"8:1009:"}, 1 << 20);
  return v;
}

// The frames our echo server sends back for `c`, delivered as `split`.
std::vector<std::string> runServerCase(const ServerCase& c, Split split, unsigned seed) {
  ServerOptions o;
  o.port = 0;
  o.host = "127.0.0.1";
  o.maxPayload = c.maxPayload;
  o.perMessageDeflate.enabled = c.deflate;
  // The 5000-byte case checks what we compress: level 6 as the test's own deflated().
  o.perMessageDeflate.level = 6;
  auto wss = WebSocketServer::create(o);
  wss->on(WebSocketServer::Events::connection, [](const WebSocketPtr& ws, const http::RequestPtr&) {
    WebSocket* raw = ws.get();
    ws->on(WebSocket::Events::message,
           [raw](const Buffer& data, bool binary) { raw->send(data, {.binary = binary}); });
  });
  std::string got;
  std::shared_ptr<net::Socket> sock;
  wss->on(WebSocketServer::Events::listening, [&] {
    int port = wss->address().port;
    sock = net::connect(port, "127.0.0.1");
    std::string req =
        "GET /chat HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
        "Connection: Upgrade\r\nSec-WebSocket-Key: " +
        kKey + "\r\nSec-WebSocket-Version: 13\r\n";
    if (c.deflate) req += "Sec-WebSocket-Extensions: permessage-deflate\r\n";
    req += "\r\n";
    sock->on(net::Socket::Events::connect, [s = sock.get(), req, &c, split, seed] {
      writeSplit(std::dynamic_pointer_cast<net::Socket>(s->shared_from_this()), req + c.bytes,
                 split, seed);
    });
    sock->on(net::Socket::Events::data, [&got](const Buffer& b) { got.append(b.view()); });
    sock->on(net::Socket::Events::error, [](const Error&) {});
    sock->on(net::Socket::Events::close, [wss] { wss->close(); });
  });
  auto guard = setTimeout(
      [&] {
        ADD_FAILURE() << c.name << " " << splitName(split) << ": no close; got " << got.size()
                      << " bytes";
        wss->close();
        if (sock) sock->destroy();
        for (const auto& ws : wss->clients()) ws->terminate();
      },
      10000);
  guard->unref();
  run();
  clearTimeout(guard);
  sock.reset();
  auto end = got.find("\r\n\r\n");
  EXPECT_NE(end, std::string::npos) << c.name;
  if (end == std::string::npos) return {};
  std::string head = got.substr(0, end);
  EXPECT_NE(head.find("HTTP/1.1 101 Switching Protocols"), std::string::npos) << head;
  EXPECT_NE(head.find("Sec-WebSocket-Accept: " + kAccept), std::string::npos) << head;
  if (c.deflate) {
    EXPECT_NE(head.find("Sec-WebSocket-Extensions: permessage-deflate"), std::string::npos);
  }
  bool masked = false;
  auto frames = parseFrames(got.substr(end + 4), &masked);
  EXPECT_FALSE(masked) << "a server never masks";
  return frames;
}

std::string show(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& f : v) s += "[" + (f.size() > 60 ? f.substr(0, 60) + "..." : f) + "] ";
  return s;
}

// Masking word by word, from any mask position (a payload split across reads resumes in the
// middle of the mask), against the definition: byte i ^= mask[(offset + i) % 4].
TEST(WsConformance, MaskingFromEveryPositionMatchesTheDefinition) {
  const std::uint8_t mask[4] = {0x12, 0xA7, 0x5C, 0xF0};
  for (std::size_t offset = 0; offset < 4; ++offset) {
    for (std::size_t n = 0; n <= 41; ++n) {
      std::vector<std::uint8_t> src(n), want(n), inPlace, copy(n);
      for (std::size_t i = 0; i < n; ++i) {
        src[i] = static_cast<std::uint8_t>(i * 37 + 11);
        want[i] = src[i] ^ mask[(offset + i) % 4];
      }
      inPlace = src;
      EXPECT_EQ(ws::detail::applyMask(inPlace.data(), n, mask, offset), (offset + n) % 4);
      EXPECT_EQ(ws::detail::applyMaskCopy(copy.data(), src.data(), n, mask, offset),
                (offset + n) % 4);
      EXPECT_EQ(inPlace, want) << "offset " << offset << " n " << n;
      EXPECT_EQ(copy, want) << "offset " << offset << " n " << n;
    }
  }
}

// A whole message's UTF-8 check (an ASCII pass first, then the validator) against the validator
// fed one byte at a time: ASCII text of every length up to 40 with one byte of another kind
// (an invalid 0xFF, a lead byte cut short, a valid two-byte character) at every position.
TEST(WsConformance, WholeMessageUtf8CheckMatchesTheBytewiseValidator) {
  const std::vector<std::string> inserts = {"\xff", "\xc3", "\xc3\xa9", "\x7f", "\x80"};
  for (std::size_t n = 0; n <= 40; ++n) {
    for (const std::string& insert : inserts) {
      for (std::size_t at = 0; at <= n; ++at) {
        std::string text(n, 'a');
        if (at < n || n == 0) text.insert(std::min(at, text.size()), insert);
        const auto* p = reinterpret_cast<const std::uint8_t*>(text.data());
        ws::detail::Utf8Validator v;
        bool bytewise = true;
        for (std::size_t i = 0; i < text.size() && bytewise; ++i) bytewise = v.feed(p + i, 1);
        bytewise = bytewise && v.complete();
        EXPECT_EQ(ws::detail::isValidUtf8(p, text.size()), bytewise)
            << "n " << n << " at " << at << " insert " << int(std::uint8_t(insert[0]));
      }
    }
    std::string ascii(n, 'z');
    EXPECT_TRUE(ws::detail::isValidUtf8(reinterpret_cast<const std::uint8_t*>(ascii.data()), n));
  }
}

TEST(WsConformance, ServerCasesWholeBytewiseAndInPieces) {
  EVNODE_WATCHDOG(200);
  unsigned seed = 1;
  for (const auto& c : serverCases()) {
    for (Split split : {Split::kWhole, Split::kBytes, Split::kRandom}) {
      if (split == Split::kBytes && c.bytes.size() > 70000) continue;
      if (getenv("WS_TRACE")) fprintf(stderr, "case %s %s\n", c.name.c_str(), splitName(split));
      auto got = runServerCase(c, split, seed++);
      EXPECT_EQ(show(got), show(c.expect)) << c.name << " delivered " << splitName(split);
    }
  }
}

// --- our client against a raw server --------------------------------------------------------

struct ClientCase {
  std::string name;
  std::string bytes;                // what the server sends after its 101
  std::vector<std::string> events;  // what our client reports
  std::vector<std::string> sent;    // the frames our client sends back
  std::string extensions{};         // the server's Sec-WebSocket-Extensions answer
};

std::vector<ClientCase> clientCases() {
  std::vector<ClientCase> v;
  auto SC = [] { return sframe(8, closePayload(1000)); };
  v.push_back({"text", sframe(1, "Hello") + SC(), {"text:Hello", "close:1000:"}, {"8:1000:"}});
  v.push_back({"binary+empty",
               sframe(2, "\x00\x01"s, true) + sframe(1, "") + SC(),
               {std::string("binary:\x00\x01", 9), "text:", "close:1000:"},
               {"8:1000:"}});
  v.push_back({"ping", sframe(9, "hi") + SC(), {"ping:hi", "close:1000:"}, {"10:hi", "8:1000:"}});
  v.push_back({"pong", sframe(10, "x") + SC(), {"pong:x", "close:1000:"}, {"8:1000:"}});
  v.push_back({"fragments with ping",
               sframe(1, "He", false) + sframe(9, "p") + sframe(0, "llo") + SC(),
               {"ping:p", "text:Hello", "close:1000:"},
               {"10:p", "8:1000:"}});
  v.push_back({"long",
               sframe(2, std::string(70000, 'z')) + SC(),
               {"binary:" + std::string(70000, 'z'), "close:1000:"},
               {"8:1000:"}});
  v.push_back({"masked from server", frame(1, "x"), {"close:1006:"}, {"8:1002:"}});
  v.push_back({"bad utf8", sframe(1, "\xff"), {"close:1006:"}, {"8:1007:"}});
  v.push_back({"bad close code", sframe(8, closePayload(1005)), {"close:1006:"}, {"8:1002:"}});
  v.push_back({"rsv1 without extension", sframe(1, "x", true, 4), {"close:1006:"}, {"8:1002:"}});
  v.push_back({"close with reason",
               sframe(8, closePayload(4001, "gone")),
               {"close:4001:gone"},
               {"8:4001:gone"}});
  v.push_back({"empty close", sframe(8, ""), {"close:1005:"}, {"8:"}});
  v.push_back({"compressed",
               sframe(1, "\xf2\x48\xcd\xc9\xc9\x07\x00"s, true, 4) + SC(),
               {"text:Hello", "close:1000:"},
               {"8:1000:"},
               "permessage-deflate"});
  return v;
}

void runClientCase(const ClientCase& c, Split split, unsigned seed) {
  auto server = net::Server::create();
  std::string fromClient;
  server->on(net::Server::Events::connection, [&](const std::shared_ptr<net::Socket>& s) {
    auto head = std::make_shared<std::string>();
    auto answered = std::make_shared<bool>(false);
    s->on(net::Socket::Events::error, [](const Error&) {});
    s->on(net::Socket::Events::data, [&, s, head, answered](const Buffer& b) {
      if (*answered) {
        fromClient.append(b.view());
        return;
      }
      head->append(b.view());
      auto end = head->find("\r\n\r\n");
      if (end == std::string::npos) return;
      *answered = true;
      auto k = head->find("Sec-WebSocket-Key: ");
      std::string key = head->substr(k + 19, 24);
      std::string resp =
          "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
          "Connection: Upgrade\r\nSec-WebSocket-Accept: " +
          acceptKey(key) + "\r\n";
      if (!c.extensions.empty()) resp += "Sec-WebSocket-Extensions: " + c.extensions + "\r\n";
      resp += "\r\n";
      writeSplit(s, resp + c.bytes, split, seed);
    });
  });
  std::vector<std::string> events;
  server->listen(0, "127.0.0.1", [&] {
    ClientOptions o;
    o.perMessageDeflate.enabled = !c.extensions.empty();
    auto ws =
        WebSocket::connect("ws://127.0.0.1:" + std::to_string(server->address().port) + "/", o);
    ws->on(WebSocket::Events::message, [&](const Buffer& b, bool binary) {
      events.push_back(std::string(binary ? "binary:" : "text:") + std::string(b.view()));
    });
    ws->on(WebSocket::Events::ping,
           [&](const Buffer& b) { events.push_back("ping:" + std::string(b.view())); });
    ws->on(WebSocket::Events::pong,
           [&](const Buffer& b) { events.push_back("pong:" + std::string(b.view())); });
    ws->on(WebSocket::Events::close, [&](int code, const Buffer& r) {
      events.push_back("close:" + std::to_string(code) + ":" + std::string(r.view()));
      server->close();
    });
  });
  auto guard = setTimeout(
      [&] {
        ADD_FAILURE() << c.name << " " << splitName(split) << ": no close";
        server->close();
      },
      10000);
  guard->unref();
  run();
  clearTimeout(guard);
  bool masked = false;
  auto sent = parseFrames(fromClient, &masked);
  if (!sent.empty()) {
    EXPECT_TRUE(masked) << "a client always masks";
  }
  EXPECT_EQ(show(events), show(c.events)) << c.name << " delivered " << splitName(split);
  EXPECT_EQ(show(sent), show(c.sent)) << c.name << " delivered " << splitName(split);
}

TEST(WsConformance, ClientCasesWholeBytewiseAndInPieces) {
  EVNODE_WATCHDOG(120);
  unsigned seed = 100;
  for (const auto& c : clientCases()) {
    for (Split split : {Split::kWhole, Split::kBytes, Split::kRandom}) {
      runClientCase(c, split, seed++);
    }
  }
}

}  // namespace
}  // namespace evnode::ws::test
