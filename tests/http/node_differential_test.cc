// evnode's HTTP server against Node's, request by request: a deterministic corpus (a fixed seed)
// of valid requests and of mutations of them goes to Node's http.createServer
// (node_parser_peer.js) and to an evnode server that logs the same way, each request on a fresh
// connection to each, and what the two servers made of the bytes must agree: which requests they
// accepted (method, target, version, fields, body, trailers, a hand-over), and whether they
// rejected the connection. An input where they differ fails the test unless its tag is in
// kKnown below, each entry with the reason the difference is right (or being changed).
//
// The rejection's error code is not compared (the servers name some errors differently); the
// code pairs are printed.
#include <gtest/gtest.h>

#include <cctype>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "evnode/http.h"
#include "evnode/http_methods.h"
#include "evnode/loop.h"
#include "evnode/net.h"
#include "http/e2e_support.h"
#include "http/parser.h"
#include "http/parser_stream.h"
#include "http/split_support.h"

namespace evnode::http::e2e {
namespace {

using namespace std::literals;

// ---------------------------------------------------------------------------------------------
// The corpus

struct Case {
  std::string tag;  // what kind of input: known differences are listed by tag
  std::string bytes;
};

std::string hex(std::string_view s) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

// A byte's class, for the tags of mutations.
std::string byteClass(unsigned char c) {
  if (c >= 0x80) return "obs";
  if (c == '\t') return "ht";
  if (c == ' ') return "sp";
  if (c == '\r') return "cr";
  if (c == '\n') return "lf";
  if (c == 0x7f) return "del";
  if (c < 0x20) return "ctl";
  if (std::isalnum(c)) return "alnum";
  if (std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos)
    return "tsym";  // token symbols
  return "sep";     // other visible characters
}

// A message as labelled pieces: each byte's label says which part of the message it is.
using Pieces = std::vector<std::pair<std::string, std::string>>;

std::string joined(const Pieces& ps) {
  std::string s;
  for (const auto& p : ps) s += p.second;
  return s;
}

// Every byte of `base` replaced with each of `bytes` (skipping no-ops), then every byte deleted,
// then each of `inserts` put before every byte. Tags: sub:<label>:<class>, del:<label>,
// ins:<label>:<class of the first inserted byte>.
void mutations(const Pieces& base, std::string_view bytes, const std::vector<std::string>& inserts,
               std::vector<Case>& out) {
  const std::string s = joined(base);
  std::vector<std::string> label;
  for (const auto& [l, text] : base) label.insert(label.end(), text.size(), l);
  for (std::size_t i = 0; i < s.size(); ++i) {
    for (char b : bytes) {
      if (b == s[i]) continue;
      std::string m = s;
      m[i] = b;
      out.push_back({"sub:" + label[i] + ":" + byteClass(static_cast<unsigned char>(b)), m});
    }
    std::string d = s;
    d.erase(i, 1);
    out.push_back({"del:" + label[i], d});
    for (const std::string& ins : inserts) {
      std::string m = s;
      m.insert(i, ins);
      out.push_back({"ins:" + label[i] + ":" + byteClass(static_cast<unsigned char>(ins[0])), m});
    }
  }
}

// Random well-formed requests: methods from Node's list, targets of every form a method may
// use, field names from every token character, values with obs-text and inner whitespace,
// Content-Length and chunked bodies (extensions, trailers), HTTP/1.0 and 1.1, pipelined.
std::string randomRequest(SplitRng& rng, bool keepAlive = false) {
  static const char* tchars =
      "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
  auto token = [&](std::size_t n) {
    std::string t;
    for (std::size_t i = 0; i < n; ++i) t += tchars[rng.below(std::strlen(tchars))];
    return t;
  };
  auto value = [&](std::size_t n) {
    std::string v;
    for (std::size_t i = 0; i < n; ++i) {
      std::size_t k = rng.below(20);
      if (k == 0 && i > 0 && i + 1 < n) {
        v += rng.below(2) ? ' ' : '\t';
      } else if (k == 1) {
        v += static_cast<char>(0x80 + rng.below(0x80));
      } else {
        v += static_cast<char>(0x21 + rng.below(0x5e));
      }
    }
    return v;
  };
  std::string method;
  do {
    method = std::string(METHODS[rng.below(METHODS.size())]);
  } while (method == "CONNECT");
  static const std::vector<std::string> targets = {
      "/",          "/a/b/c",       "/p?q=1&r=%20x",  "/~user/x.y",
      "/a;b=c,d",   "/%E2%82%AC",   "/x?y=z#frag",    "/@:!$&'()*+,;=",
      "/a//b/../c", "http://h/x?y", "http://h:8080/", "https://user@h.example/p",
      "/-._~"};
  std::string target = targets[rng.below(targets.size())];
  if (method == "OPTIONS" && rng.below(3) == 0) target = "*";
  if (rng.below(4) == 0) target += "/" + token(1 + rng.below(12));
  const bool http10 = rng.below(8) == 0;
  std::string r = method + " " + target + (http10 ? " HTTP/1.0\r\n" : " HTTP/1.1\r\n");
  if (!http10 || rng.below(2))
    r += "Host: " + std::string(rng.below(2) ? "h" : "h.example:80") + "\r\n";
  // Pipelined: an HTTP/1.0 request that does not ask to keep the connection is its last.
  if (http10 && keepAlive) r += "Connection: keep-alive\r\n";
  const std::size_t nFields = rng.below(7);
  for (std::size_t i = 0; i < nFields; ++i) {
    std::string name = rng.below(2) ? "X-" + token(1 + rng.below(10)) : token(1 + rng.below(16));
    // Names the framing depends on are added below, on purpose.
    std::string lower;
    for (char c : name) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower == "host" || lower == "content-length" || lower == "transfer-encoding" ||
        lower == "connection" || lower == "upgrade" || lower == "expect")
      name = "X-" + name;
    std::string ows1 = rng.below(4) ? " " : rng.below(2) ? "" : " \t ";
    std::string ows2 = rng.below(4) ? "" : " \t";
    r += name + ":" + ows1 + value(rng.below(30)) + ows2 + "\r\n";
  }
  const std::size_t body = http10 ? rng.below(2) : rng.below(3);
  if (body == 1) {
    std::string data;
    for (std::size_t i = 0, n = rng.below(64); i < n; ++i)
      data += static_cast<char>(rng.below(256));
    r += "Content-Length: " + std::to_string(data.size()) + "\r\n\r\n" + data;
  } else if (body == 2) {
    r += "Transfer-Encoding: chunked\r\n\r\n";
    for (std::size_t c = 0, n = rng.below(4); c < n; ++c) {
      std::string data;
      for (std::size_t i = 0, len = 1 + rng.below(20); i < len; ++i)
        data += static_cast<char>(rng.below(256));
      char size[20];
      std::snprintf(size, sizeof size, rng.below(2) ? "%zx" : "%zX", data.size());
      std::string ext;
      if (rng.below(3) == 0) ext = ";" + token(3) + (rng.below(2) ? "=" + token(3) : "");
      if (rng.below(5) == 0) ext += ";q=\"a \\\"b\\\" c\"";
      r += std::string(size) + ext + "\r\n" + data + "\r\n";
    }
    r += "0\r\n";
    for (std::size_t t = 0, n = rng.below(3); t < n; ++t)
      r += "X-T" + token(3) + ": " + value(rng.below(12)) + "\r\n";
    r += "\r\n";
  } else {
    r += "\r\n";
  }
  return r;
}

std::vector<Case> corpus() {
  std::vector<Case> out;
  SplitRng rng{0xd1ff5eed};
  for (int i = 0; i < 300; ++i) out.push_back({"valid", randomRequest(rng)});
  for (int i = 0; i < 60; ++i) {
    std::string s;
    for (std::size_t n = 2 + rng.below(3); n > 0; --n) s += randomRequest(rng, true);
    out.push_back({"pipelined", s});
  }

  // Mutations of three requests, one per framing.
  const std::string subs = "Az5!~\"(,/:;@\\ \t\r\n\x01\x7f\x80\xff"s + '\0';
  const std::vector<std::string> inserts = {" ", "\t", "\r", "\n", "\r\n"};
  mutations({{"method", "GET"},
             {"sp1", " "},
             {"target", "/p?q=v"},
             {"sp2", " "},
             {"version", "HTTP/1.1"},
             {"eol", "\r\n"},
             {"name", "Host"},
             {"colon", ":"},
             {"ows", " "},
             {"host", "ex.com"},
             {"eol", "\r\n"},
             {"name", "X-Na"},
             {"colon", ":"},
             {"ows", " "},
             {"value", "v a"},
             {"eol", "\r\n"},
             {"end", "\r\n"}},
            subs, inserts, out);
  mutations({{"method", "PUT"},
             {"sp1", " "},
             {"target", "/"},
             {"sp2", " "},
             {"version", "HTTP/1.1"},
             {"eol", "\r\n"},
             {"name", "Host"},
             {"colon", ":"},
             {"ows", " "},
             {"host", "h"},
             {"eol", "\r\n"},
             {"cl-name", "Content-Length"},
             {"colon", ":"},
             {"ows", " "},
             {"cl", "5"},
             {"eol", "\r\n"},
             {"end", "\r\n"},
             {"body", "hello"}},
            "0A \t\r\n,;+-x\x80"s + '\0', {" ", "\r\n"}, out);
  mutations({{"method", "POST"},
             {"sp1", " "},
             {"target", "/"},
             {"sp2", " "},
             {"version", "HTTP/1.1"},
             {"eol", "\r\n"},
             {"name", "Host"},
             {"colon", ":"},
             {"ows", " "},
             {"host", "h"},
             {"eol", "\r\n"},
             {"te-name", "Transfer-Encoding"},
             {"colon", ":"},
             {"ows", " "},
             {"te", "chunked"},
             {"eol", "\r\n"},
             {"end", "\r\n"},
             {"chunk-size", "5"},
             {"chunk-ext", ";e=\"q\""},
             {"chunk-eol", "\r\n"},
             {"chunk-data", "hello"},
             {"chunk-eol", "\r\n"},
             {"chunk-size", "0"},
             {"chunk-eol", "\r\n"},
             {"trailer", "T: v"},
             {"chunk-eol", "\r\n"},
             {"end-chunks", "\r\n"}},
            "Az5;=\" \t\r\n\x01\x80"s + '\0', {" ", "\r\n"}, out);

  // Hand-picked: framing, smuggling, limits and the forms of the request line.
  auto add = [&](const std::string& tag, const std::string& bytes) { out.push_back({tag, bytes}); };
  const std::string h = "Host: h\r\n";
  auto withTe = [&](const std::string& te, const std::string& body = "5\r\nhello\r\n0\r\n\r\n") {
    return "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding:" + te + "\r\n\r\n" + body;
  };
  for (const char* te : {" chunked", " Chunked", " CHUNKED", "chunked", " chunked ",
                         " gzip, chunked", " deflate,chunked", " gzip , chunked"}) {
    add("te:ok", withTe(te));
  }
  add("te:tab-ows", withTe("\tchunked\t"));
  add("te:chunked-comma", withTe(" chunked,"));
  add("te:chunked-comma", withTe(" chunked, "));
  add("te:comma-chunked", withTe(" , chunked"));
  add("te:comma-chunked", withTe(" ,chunked"));
  add("te:double-chunked", withTe(" chunked, chunked"));
  add("te:double-chunked", "POST / HTTP/1.1\r\n" + h +
                               "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n"
                               "5\r\nhello\r\n0\r\n\r\n");
  add("te:unknown-coding", withTe(" x-custom, chunked"));
  add("te:unknown-coding", withTe(" identity, chunked"));
  add("te:unknown-coding", withTe(" chunked;q=1"));
  for (const char* te :
       {" chunked, gzip", " gzip", " identity", " xchunked", " chunkedx", " chunked chunked"}) {
    add("te:bad", withTe(te));
  }
  add("te:empty", withTe(""));
  add("te:empty", withTe(" "));
  add("te:bad", "POST / HTTP/1.1\r\n" + h +
                    "Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n0\r\n\r\n");
  add("te:two-lines", "POST / HTTP/1.1\r\n" + h +
                          "Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
  add("te:empty-line", "POST / HTTP/1.1\r\n" + h +
                           "Transfer-Encoding: chunked\r\nTransfer-Encoding:\r\n\r\n0\r\n\r\n");
  add("te:http10", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
  add("te:space-before-colon",
      "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n");
  add("cl+te", "POST / HTTP/1.1\r\n" + h +
                   "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
  add("cl+te", "POST / HTTP/1.1\r\n" + h +
                   "Transfer-Encoding: chunked\r\nContent-Length: 0\r\n\r\n0\r\n\r\n");
  add("cl+te", "POST / HTTP/1.1\r\n" + h + "Content-Length: 0\r\nTransfer-Encoding: gzip\r\n\r\n");

  auto withCl = [&](const std::string& cl, const std::string& body = "hello") {
    return "POST / HTTP/1.1\r\n" + h + "Content-Length:" + cl + "\r\n\r\n" + body;
  };
  for (const char* cl : {" 5", "5", " 5 ", " 00005"}) add("cl:ok", withCl(cl));
  add("cl:tab-ows", withCl("\t5\t"));
  for (const char* cl : {" +5", " -5", " 5 5", " 5,5", " 5, 5", " 0x5", " 5a", "", " ", " 5.0"}) {
    add("cl:bad", withCl(cl));
  }
  add("cl:overflow", withCl(" 18446744073709551616"));
  add("cl:overflow", withCl(" 99999999999999999999999"));
  add("cl:huge", withCl(" 18446744073709551615"));
  add("cl:duplicate",
      "POST / HTTP/1.1\r\n" + h + "Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello");
  add("cl:duplicate",
      "POST / HTTP/1.1\r\n" + h + "Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!");
  add("cl:get-body",
      "GET / HTTP/1.1\r\n" + h + "Content-Length: 3\r\n\r\nabcGET /2 HTTP/1.1\r\n" + h + "\r\n");
  add("cl:head-body", "HEAD / HTTP/1.1\r\n" + h + "Content-Length: 3\r\n\r\nabc");

  auto chunked = [&](const std::string& body) { return withTe(" chunked", body); };
  for (const char* b :
       {"5\r\nhello\r\n0\r\n\r\n", "000005\r\nhello\r\n0\r\n\r\n", "5;a\r\nhello\r\n0\r\n\r\n",
        "5;a=b;c=\"d\"\r\nhello\r\n0\r\n\r\n", "5;a=\"\\\"\"\r\nhello\r\n0\r\n\r\n",
        "a\r\n0123456789\r\n0\r\n\r\n", "A\r\n0123456789\r\n0\r\n\r\n", "0\r\nT: v\r\nU: w\r\n\r\n",
        "0\r\n\r\n", "0;last\r\n\r\n"}) {
    add("chunk:ok", chunked(b));
  }
  for (const char* b : {"5 \r\nhello\r\n0\r\n\r\n", "5\t\r\nhello\r\n0\r\n\r\n"}) {
    add("chunk:trailing-ws", chunked(b));
  }
  for (const char* b : {"5 ;a=b\r\nhello\r\n0\r\n\r\n", "5;a = b\r\nhello\r\n0\r\n\r\n",
                        "5\t; a\t=\t\"b\"\r\nhello\r\n0\r\n\r\n"}) {
    add("chunk-ext:bws", chunked(b));
  }
  for (const char* b : {"5;\r\nhello\r\n0\r\n\r\n", "5;=b\r\nhello\r\n0\r\n\r\n",
                        "5;a=\r\nhello\r\n0\r\n\r\n", "5;a=\"b\r\nhello\r\n0\r\n\r\n",
                        "5;a b\r\nhello\r\n0\r\n\r\n", "5;a=b c\r\nhello\r\n0\r\n\r\n",
                        "5;a=\"\x01\"\r\nhello\r\n0\r\n\r\n", "5;;a\r\nhello\r\n0\r\n\r\n",
                        "5;a=b=c\r\nhello\r\n0\r\n\r\n", "5;a@=b\r\nhello\r\n0\r\n\r\n"}) {
    add("chunk-ext:bad", chunked(b));
  }
  for (const char* b :
       {"\r\nhello\r\n0\r\n\r\n", " 5\r\nhello\r\n0\r\n\r\n", "0x5\r\nhello\r\n0\r\n\r\n",
        "5\r\nhell\r\n0\r\n\r\n", "5\r\nhelloo\r\n0\r\n\r\n", "5\nhello\n0\n\n",
        "5\r\nhello\n0\r\n\r\n", "5\rhello\r\n0\r\n\r\n", "10000000000000000\r\n",
        "FFFFFFFFFFFFFFFFF\r\n", "0\r\nT: v\r\n folded\r\n\r\n", "0\r\nBad Trailer: v\r\n\r\n",
        "0\r\nT: v\n\r\n", "0\r\n\n", "-1\r\nx\r\n0\r\n\r\n"}) {
    add("chunk:bad", chunked(b));
  }
  add("chunk:huge-size", chunked("FFFFFFFFFFFFFFFF\r\nabc"));

  // Heads.
  auto get = [&](const std::string& line, const std::string& fields = "Host: h\r\n") {
    return line + "\r\n" + fields + "\r\n";
  };
  add("host:missing-1.1", get("GET / HTTP/1.1", "X: y\r\n"));
  add("host:missing-1.0", get("GET / HTTP/1.0", "X: y\r\n"));
  add("host:duplicate", get("GET / HTTP/1.1", "Host: a\r\nHost: b\r\n"));
  add("host:duplicate", get("GET / HTTP/1.1", "Host: a\r\nhost: a\r\n"));
  add("host:empty", get("GET / HTTP/1.1", "Host:\r\n"));
  add("host:odd", get("GET / HTTP/1.1", "Host: a b\r\n"));
  add("host:odd", get("GET / HTTP/1.1", "Host: @@@\r\n"));
  for (const char* line :
       {"GET / HTTP/1.1", "GET /a%00b HTTP/1.1", "GET /a?b#c HTTP/1.1", "OPTIONS * HTTP/1.1",
        "GET http://h/ HTTP/1.1", "GET http://h HTTP/1.1", "GET HTTP://H/ HTTP/1.1",
        "GET https://u:p@h:1/x?y#z HTTP/1.1", "DELETE /x HTTP/1.0"}) {
    add("line:ok", get(line));
  }
  add("target:asterisk-not-options", get("GET * HTTP/1.1"));
  add("target:authority-not-connect", get("GET h:80 HTTP/1.1"));
  add("target:authority-not-connect", get("OPTIONS h:80 HTTP/1.1"));
  add("target:scheme-digits", get("GET h2c://h/ HTTP/1.1"));
  add("target:scheme-digits", get("GET a+b.c-d://h/ HTTP/1.1"));
  add("target:network-path", get("GET //h/p HTTP/1.1"));
  add("target:no-slash", get("GET ?q HTTP/1.1"));
  add("target:no-slash", get("GET p HTTP/1.1"));
  add("target:bad-absolute", get("GET http:/x HTTP/1.1"));
  add("target:bad-absolute", get("GET http:// HTTP/1.1"));
  add("target:bad-absolute", get("GET 1http://h/ HTTP/1.1"));
  for (const char* t : {"/\"", "/<>", "/\\", "/^", "/`", "/{}", "/|", "/[]", "/a b"}) {
    add("target:unsafe-" + byteClass(static_cast<unsigned char>(t[1])),
        get("GET "s + t + " HTTP/1.1"));
  }
  add("target:obs", get("GET /caf\xc3\xa9 HTTP/1.1"));
  add("target:obs", get("GET /\x80\xff HTTP/1.1"));
  add("target:obs", get("GET http://h/\xe9 HTTP/1.1"));
  add("target:ctl", get("GET /a\x01 HTTP/1.1"));
  add("target:ctl", get("GET /a\x7f HTTP/1.1"));
  add("target:ctl", get("GET /a\tb HTTP/1.1"));
  add("target:empty", get("GET  HTTP/1.1"));
  add("target:long-8192", get("GET /" + std::string(8191, 'a') + " HTTP/1.1"));
  add("target:long-8193", get("GET /" + std::string(8192, 'a') + " HTTP/1.1"));
  add("connect:authority", "CONNECT h:443 HTTP/1.1\r\nHost: h:443\r\n\r\n\x16\x03\x01tls bytes");
  add("connect:authority", "CONNECT [::1]:443 HTTP/1.1\r\nHost: h\r\n\r\n");
  add("connect:no-port", "CONNECT h HTTP/1.1\r\nHost: h\r\n\r\n");
  add("connect:origin-form", "CONNECT / HTTP/1.1\r\nHost: h\r\n\r\n");
  add("connect:absolute-form", "CONNECT http://h:443/ HTTP/1.1\r\nHost: h\r\n\r\n");
  add("connect:asterisk", "CONNECT * HTTP/1.1\r\nHost: h\r\n\r\n");
  add("connect:body", "CONNECT h:443 HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc");
  add("upgrade",
      "GET /ws HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n"
      "\x81\x05hello");
  add("upgrade",
      "GET /ws HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, upgrade\r\nUpgrade: "
      "h2c\r\n\r\nmore");
  add("upgrade:no-connection", "GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n\r\n");
  add("upgrade:no-header", "GET / HTTP/1.1\r\nHost: h\r\nConnection: upgrade\r\n\r\n");
  add("upgrade:with-body",
      "POST /ws HTTP/1.1\r\nHost: h\r\nConnection: upgrade\r\nUpgrade: "
      "x\r\nContent-Length: 3\r\n\r\nabcrest");
  add("pri", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");

  for (const char* v : {"HTTP/1.2", "HTTP/2.0", "HTTP/3.0", "HTTP/0.9", "HTTP/9.9"}) {
    add("version:other", get("GET / "s + v));
  }
  for (const char* v : {"http/1.1", "HTTP/1", "HTTP/1.10", "HTTP/01.1", "HTTP/1.1 ", "HTTP/1.a",
                        "HTTP 1.1", "HTTPS/1.1", ""}) {
    add("version:bad", get("GET / "s + v));
  }
  for (const char* line : {"GET  / HTTP/1.1", "GET /  HTTP/1.1", "GET\t/ HTTP/1.1",
                           " GET / HTTP/1.1", "GET /\tHTTP/1.1", "GET / HTTP/1.1\t"}) {
    add("line:whitespace", get(line));
  }
  add("line:leading-crlf", "\r\n\r\n" + get("GET / HTTP/1.1"));
  add("line:leading-lf", "\n" + get("GET / HTTP/1.1"));
  add("line:leading-cr", "\r" + get("GET / HTTP/1.1"));
  add("method:lower", get("get / HTTP/1.1"));
  add("method:unknown", get("BREW / HTTP/1.1"));
  add("method:unknown", get("GETS / HTTP/1.1"));
  add("method:unknown", get("X-CUSTOM / HTTP/1.1"));
  add("method:obs", get("G\xc9T / HTTP/1.1"));

  for (const char* f : {"X: a\r\n b\r\n", "X: a\r\n\tb\r\n", " X: a\r\n", "X : a\r\n", "X\t: a\r\n",
                        ": a\r\n", "X a: b\r\n", "X\r\n", "X:a\rb\r\n", "X: a\nY: b\r\n",
                        "X: a\x7f\r\n", "X\x80: a\r\n", "X(: a\r\n"}) {
    add("field:bad", get("GET / HTTP/1.1", "Host: h\r\n"s + f));
  }
  add("field:bad", get("GET / HTTP/1.1", "Host: h\r\n" + "X: a\0b\r\n"s));
  for (const char* f :
       {"X:\r\n", "X: \r\n", "X:\t\r\n", "X: a\tb\r\n", "X: \xff\xfe\r\n",
        "X: \"quoted\" (comment)\r\n", "!#$%&'*+-.^_`|~: tok\r\n", "X: a  \t  \r\n"}) {
    add("field:ok", get("GET / HTTP/1.1", "Host: h\r\n"s + f));
  }
  add("expect", get("PUT / HTTP/1.1", "Host: h\r\nExpect: 100-continue\r\nContent-Length: 0\r\n"));
  add("expect", get("PUT / HTTP/1.1", "Host: h\r\nExpect: 100-Continue\r\nContent-Length: 0\r\n"));
  add("expect:other", get("PUT / HTTP/1.1", "Host: h\r\nExpect: teapot\r\n"));
  add("expect:http10", get("PUT / HTTP/1.0", "Expect: 100-continue\r\nContent-Length: 0\r\n"));
  add("expect:http10-other", get("PUT / HTTP/1.0", "Expect: teapot\r\n"));
  add("connection:close-then-more",
      get("GET /1 HTTP/1.1", "Host: h\r\nConnection: close\r\n") + get("GET /2 HTTP/1.1"));
  add("connection:close-then-junk",
      get("GET /1 HTTP/1.1", "Host: h\r\nConnection: close\r\n") + "junk\r\n\r\n");
  add("http10:then-more", get("GET /1 HTTP/1.0", "") + get("GET /2 HTTP/1.1"));

  // Limits: field counts around 2000, heads around 16 KiB (counted the two ways).
  for (int n : {1999, 2000, 2001, 2100}) {
    std::string fields = "Host: h\r\n";
    for (int i = 1; i < n; ++i) fields += "a:\r\n";
    add("limit:count-" + std::to_string(n), get("GET / HTTP/1.1", fields));
  }
  for (int total : {16300, 16360, 16370, 16380, 16384, 16385, 16390, 16400, 16420, 16500}) {
    // One big field; `total` is the head's size in bytes.
    std::string head = "GET / HTTP/1.1\r\nHost: h\r\nX: \r\n\r\n";
    std::string v(static_cast<std::size_t>(total) - head.size(), 'v');
    add("limit:size-" + std::to_string(total),
        get("GET / HTTP/1.1", "Host: h\r\nX: " + v + "\r\n"));
  }
  for (int total : {16380, 16384, 16390, 16420}) {
    // Many small fields: more separators per byte of names and values.
    std::string fields = "Host: h\r\n";
    const std::size_t size = static_cast<std::size_t>(total);
    const std::size_t base = std::string("GET / HTTP/1.1\r\n\r\n").size();
    while (base + fields.size() + 10 + 4 <= size) fields += "Xy: abcd\r\n";
    fields += std::string(size - base - fields.size() - 3, 'z') + ":\r\n";
    add("limit:fields-size-" + std::to_string(total), get("GET / HTTP/1.1", fields));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// What each server made of a connection

// One line per event, as node_parser_peer.js prints them (without the peer).
using Log = std::vector<std::string>;

std::string fieldsHex(const std::vector<std::pair<std::string, std::string>>& raw) {
  std::string s;
  for (const auto& [n, v] : raw) s += (s.empty() ? "" : ",") + hex(n) + ":" + hex(v);
  return s;
}

std::string describe(const IncomingMessage& req) {
  return "M=" + hex(req.method) + " U=" + hex(req.url) + " V=" + req.httpVersion +
         " H=" + fieldsHex(req.headers.raw());
}

std::string peerOf(const net::Socket& s) {
  return s.remoteAddress() + ":" + std::to_string(s.remotePort());
}

// The evnode server of the comparison, doing what node_parser_peer.js does.
struct EvnodePeer {
  std::shared_ptr<Server> server;
  std::map<std::string, Log> logs;  // by peer
  std::map<std::string, int> requests;

  EvnodePeer() {
    server = createServer();
    auto answer = [this](const char* event) {
      return [this, event](const RequestPtr& req, const ResponsePtr& res) {
        const std::string peer = peerOf(*req->socket);
        const std::string n = std::to_string(++requests[peer]);
        logs[peer].push_back("R " + n + " " + event + " " + describe(*req));
        req->on(Readable::Events::data, [this, peer, n](const Buffer& b) {
          logs[peer].push_back("B " + n + " " + hex(b.view()));
        });
        req->on(Readable::Events::end, [this, peer, n, req, res] {
          logs[peer].push_back("E " + n + " T=" + fieldsHex(req->trailers.raw()));
          res->end();
        });
      };
    };
    server->on(Server::Events::request, answer("request"));
    server->on(Server::Events::checkExpectation, answer("checkExpectation"));
    auto takeOver = [this](const char* event) {
      return [this, event](const RequestPtr& req, const SocketPtr& socket, const Buffer& head) {
        logs[peerOf(*socket)].push_back("C "s + event + " " + describe(*req) +
                                        " head=" + hex(head.view()));
        socket->destroy();
      };
    };
    server->on(Server::Events::connect, takeOver("connect"));
    server->on(Server::Events::upgrade, takeOver("upgrade"));
    server->on(Server::Events::clientError, [this](const Error& err, const SocketPtr& socket) {
      Log& log = logs[peerOf(*socket)];
      if (log.empty() || log.back().rfind("X ", 0) != 0) log.push_back("X " + err.code);
      if (socket->writable())
        socket->write("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
      socket->destroy();
    });
    server->listen(0, "127.0.0.1");
  }
};

// A log reduced to what is compared: each request's head, and for each request that ended its
// whole body and trailers; hand-overs; whether the connection was rejected. A request that did
// not end before a rejection is left out (one server may hand a head to its handler before it
// finds the body's framing bad, the other reject the head), and so is an error that only says
// the client closed in the middle of a message.
struct Outcome {
  std::vector<std::string> items;
  std::string errorCode;  // "" if not rejected
  bool rejected() const { return !errorCode.empty(); }
};

Outcome reduce(const Log& log) {
  struct Request {
    std::string head, body, end;
  };
  std::map<int, Request> requests;  // by number: Node logs pipelined heads before bodies
  std::vector<std::string> handOvers;
  Outcome o;
  for (const std::string& line : log) {
    const char kind = line[0];
    std::string rest = line.size() > 2 ? line.substr(2) : "";
    if (kind == 'R' || kind == 'B' || kind == 'E') {
      const std::size_t sp = rest.find(' ');
      Request& r = requests[std::atoi(rest.substr(0, sp).c_str())];
      rest = sp == std::string::npos ? "" : rest.substr(sp + 1);
      if (kind == 'R') r.head = rest;
      if (kind == 'B') r.body += rest;
      if (kind == 'E') r.end = rest;
    } else if (kind == 'C') {
      handOvers.push_back(line);
    } else if (kind == 'X') {
      if (rest == "HPE_INVALID_EOF_STATE" || rest == "ECONNRESET") continue;
      if (o.errorCode.empty()) o.errorCode = rest;
    }
  }
  for (const auto& [n, r] : requests) {
    if (!r.end.empty()) {
      o.items.push_back("R " + r.head);
      o.items.push_back("B " + r.body);
      o.items.push_back("E " + r.end);
    } else if (!o.rejected()) {
      o.items.push_back("R " + r.head + " (body unfinished)");
    }
  }
  for (const std::string& c : handOvers) o.items.push_back(c);
  if (o.rejected()) o.items.push_back("rejected");
  return o;
}

// "R request M=474554 U=2f ..." with the method and target readable, for a failure message.
std::string showItem(const std::string& item) {
  auto unhex = [](const std::string& h) {
    std::string s;
    for (std::size_t i = 0; i + 1 < h.size(); i += 2)
      s += static_cast<char>(std::stoi(h.substr(i, 2), nullptr, 16));
    return s;
  };
  std::string out = item.substr(0, 400);
  for (const char* key : {" M=", " U="}) {
    std::size_t at = item.find(key);
    if (at == std::string::npos) continue;
    std::size_t end = item.find(' ', at + 3);
    out +=
        std::string(key) + "\"" +
        escapeBytes(unhex(item.substr(at + 3, end == std::string::npos ? end : end - at - 3)), 80) +
        "\"";
  }
  return out;
}

std::string showOutcome(const Outcome& o) {
  std::string s;
  for (const std::string& i : o.items) s += "    " + showItem(i) + "\n";
  if (o.rejected()) s += "    (" + o.errorCode + ")\n";
  return s.empty() ? "    (nothing)\n" : s;
}

// ---------------------------------------------------------------------------------------------
// Known differences

enum class Side { kEvnodeRejects, kNodeRejects, kEither };
struct Known {
  std::string tag;  // a case's tag, or its prefix when it ends in '*'
  Side side;        // which server rejects what the other takes (kEither: any difference)
  std::string reason;
};

// Each with the reason evnode's answer is right, or the change that will settle it.
const std::string kAnyMethod =
    "evnode takes any token as a method (RFC 9110 9.1), llhttp only the methods it knows";
const std::string kOneSpace =
    "one SP between the parts of a request line (RFC 9112 3); llhttp skips more (RFC 9112 3 lets "
    "a recipient split on whitespace, evnode does not)";
const std::string kHttp09 =
    "a request line without a version is HTTP/0.9 to llhttp, which takes it; RFC 9112 knows no "
    "HTTP/0.9 (evnode: 400)";
const std::string kBareCrLf =
    "before a request line evnode skips empty lines (CRLF, RFC 9112 2.2) but no bare CR or LF, "
    "as nowhere else; llhttp skips those too";
const std::string kChunkBws =
    "RFC 9112 7.1.1 has BWS around ';' and '=' of a chunk extension; llhttp's strict mode "
    "rejects it";
const std::string kChunkExtSyntax =
    "a chunk extension without a name, or with '=' and no value, is outside RFC 9112 7.1.1; "
    "llhttp takes it";
const std::string kTabOws =
    "HTAB is optional whitespace around any field value (RFC 9110 5.5); llhttp rejects it "
    "around Content-Length and Transfer-Encoding";
const std::string kSizeLimit =
    "evnode counts the whole head against maxHeaderSize (16 KiB), Node only the target, names "
    "and values: a head a little over 16 KiB passes Node";
const std::string kFieldCount =
    "Node keeps only about the first 1000 fields (1023: its 2000-entry name/value limit is "
    "checked per batch of 32) and drops the rest unseen; evnode keeps up to 2000 "
    "(maxHeadersCount) and answers 431 beyond";
const std::string kClosed =
    "bytes after a request that ends the connection: llhttp reports HPE_CLOSED_CONNECTION and "
    "Node answers 400 instead of that request's response; evnode answers it and reads no "
    "further (RFC 9112 9.6)";

const std::vector<Known> kKnown = {
    {"method:*", Side::kNodeRejects, kAnyMethod},
    {"sub:method:*", Side::kNodeRejects, kAnyMethod},
    {"del:method", Side::kNodeRejects, kAnyMethod},
    {"tail:HPE_INVALID_METHOD", Side::kNodeRejects,
     "the input ends in bytes that start a request with a method llhttp does not know; evnode "
     "waits for the head to end (" +
         kAnyMethod + ")"},
    {"line:whitespace", Side::kEvnodeRejects, kOneSpace},
    {"ins:sp1:sp", Side::kEvnodeRejects, kOneSpace},
    {"ins:target:sp", Side::kEvnodeRejects, kOneSpace},
    {"ins:sp2:sp", Side::kEvnodeRejects, kOneSpace},
    {"ins:version:sp", Side::kEvnodeRejects, kOneSpace},
    {"sub:target:sp", Side::kEvnodeRejects, kOneSpace},
    {"del:sp2", Side::kEvnodeRejects, kHttp09},
    {"sub:sp2:*", Side::kEvnodeRejects, kHttp09},
    {"version:other", Side::kEvnodeRejects,
     "HTTP/0.9 and HTTP/2.0 request lines: llhttp takes them; evnode answers 505 to any version "
     "but 1.0 and 1.1 (RFC 9112 2.3)"},
    {"line:leading-cr", Side::kEvnodeRejects, kBareCrLf},
    {"line:leading-lf", Side::kEvnodeRejects, kBareCrLf},
    {"ins:method:cr", Side::kEvnodeRejects, kBareCrLf},
    {"ins:method:lf", Side::kEvnodeRejects, kBareCrLf},
    {"ins:end:lf", Side::kEvnodeRejects, kBareCrLf},
    {"target:scheme-digits", Side::kNodeRejects,
     "a scheme may hold digits, '+', '-' and '.' (RFC 3986 3.1: h2c://); llhttp takes letters "
     "only"},
    {"target:bad-absolute", Side::kEvnodeRejects,
     "http:// with an empty host: RFC 9110 4.2.1, a recipient MUST reject it; llhttp takes it"},
    {"target:asterisk-not-options", Side::kEvnodeRejects,
     "the asterisk form is for OPTIONS only (RFC 9112 3.2.4); llhttp takes it for any method"},
    {"target:long-8193", Side::kEvnodeRejects,
     "evnode's target limit is 8 KiB (Limits::maxTargetLength, 414); Node's only bound is the "
     "16 KiB header limit"},
    {"connect:*", Side::kEvnodeRejects,
     "a CONNECT target is host:port (RFC 9112 3.2.3, RFC 9110 9.3.6); llhttp takes any target"},
    {"host:duplicate", Side::kEvnodeRejects,
     "RFC 9112 3.2: a request with more than one Host MUST get a 400; Node does not check"},
    {"limit:count-*", Side::kEither, kFieldCount},
    {"limit:size-*", Side::kEvnodeRejects, kSizeLimit},
    {"limit:fields-size-*", Side::kEither, kSizeLimit + "; " + kFieldCount},
    {"expect:http10-other", Side::kEither,
     "an Expect other than 100-continue on HTTP/1.0: evnode emits checkExpectation (417 by "
     "default, which RFC 9110 10.1.1 allows), Node ignores Expect on HTTP/1.0"},
    {"te:empty-line", Side::kEvnodeRejects,
     "an empty Transfer-Encoding line next to chunked: evnode rejects a list that does not say "
     "what the body is; llhttp ignores the empty line"},
    {"te:empty", Side::kEither,
     "an empty Transfer-Encoding alone: llhttp frames the request as having no body and parses "
     "the chunked body as the next request (a smuggling vector); evnode answers 400"},
    {"te:unknown-coding", Side::kEvnodeRejects,
     "a transfer coding the server does not know gets 501 (RFC 9112 6.1 SHOULD); llhttp takes "
     "any coding before chunked"},
    {"te:http10", Side::kEvnodeRejects,
     "Transfer-Encoding in an HTTP/1.0 request means faulty framing (RFC 9112 6.1): evnode "
     "answers 400, llhttp decodes it"},
    {"te:tab-ows", Side::kNodeRejects, kTabOws},
    {"cl:tab-ows", Side::kNodeRejects, kTabOws},
    {"chunk-ext:bws", Side::kNodeRejects, kChunkBws},
    {"ins:chunk-ext:sp", Side::kNodeRejects, kChunkBws},
    {"chunk-ext:bad", Side::kEvnodeRejects, kChunkExtSyntax},
    {"del:chunk-ext", Side::kEvnodeRejects, kChunkExtSyntax},
    {"sub:chunk-ext:*", Side::kEvnodeRejects, kChunkExtSyntax},
    {"connection:close-then-*", Side::kNodeRejects, kClosed},
    {"http10:then-more", Side::kNodeRejects, kClosed},
};

bool tagMatches(const std::string& pattern, const std::string& tag) {
  if (!pattern.empty() && pattern.back() == '*')
    return tag.rfind(pattern.substr(0, pattern.size() - 1), 0) == 0;
  return pattern == tag;
}

// ---------------------------------------------------------------------------------------------
// The run

// One connection of a case, from its own loopback address (so that no two connections of a run
// share an address and port, even when a server closing first frees the port at once): writes
// the input, collects the answer, and ends when the server closes or nothing came for quietMs.
struct Probe {
  std::shared_ptr<net::Socket> socket;
  std::string peer;  // the client's address and port
  std::string got;
  bool closed = false;
  TimeoutPtr quiet;

  static std::shared_ptr<Probe> start(int serverPort, const std::string& from,
                                      const std::string& bytes, std::uint64_t quietMs) {
    auto p = std::make_shared<Probe>();
    Probe* raw = p.get();
    net::ConnectOptions o;
    o.port = serverPort;
    o.host = "127.0.0.1";
    o.localAddress = from;
    p->socket = net::Socket::create();
    p->socket->connect(o, [raw, bytes, quietMs] {
      raw->peer = raw->socket->localAddress() + ":" + std::to_string(raw->socket->localPort());
      raw->socket->write(bytes);
      raw->quiet = setTimeout([raw] { raw->socket->destroy(); }, quietMs);
    });
    p->socket->on(net::Socket::Events::data, [raw](const Buffer& b) {
      raw->got.append(b.view());
      if (raw->quiet) raw->quiet->refresh();
    });
    p->socket->on(net::Socket::Events::error, [](const Error&) {});
    p->socket->on(net::Socket::Events::close, [p](bool) {
      p->closed = true;
      if (p->quiet) p->quiet->close();
    });
    return p;
  }
};

struct Result {
  Outcome evnode, node;
  std::size_t continues[2] = {0, 0};  // 100 Continue answers: evnode, node
};

// Runs the cases `which` against both servers, `parallel` at a time; `pass` picks the loopback
// addresses the connections come from (127.<pass>.x.y).
std::vector<Result> runCases(const std::vector<Case>& cases, const std::vector<std::size_t>& which,
                             int pass, EvnodePeer& ev, et::Process& node, int nodePort,
                             std::uint64_t quietMs, std::size_t parallel) {
  std::vector<Result> results(cases.size());
  std::map<std::string, Log> nodeLogs;  // by peer
  std::set<std::string> nodeClosed;
  std::size_t nodeParsed = 0;
  auto readNode = [&] {
    const std::string out = node.stdoutSoFar();
    while (true) {
      const std::size_t nl = out.find('\n', nodeParsed);
      if (nl == std::string::npos) break;
      const std::string line = out.substr(nodeParsed, nl - nodeParsed);
      nodeParsed = nl + 1;
      if (line.size() < 3 || line[1] != ' ') continue;
      const std::size_t sp = line.find(' ', 2);
      const std::string peer = line.substr(2, sp == std::string::npos ? sp : sp - 2);
      const std::string rest = sp == std::string::npos ? "" : line.substr(sp + 1);
      if (line[0] == 'Z') {
        nodeClosed.insert(peer);
      } else if (line[0] != 'O') {
        nodeLogs[peer].push_back(line.substr(0, 1) + " " + rest);
      }
    }
  };
  struct Running {
    std::size_t index;
    std::shared_ptr<Probe> toEvnode, toNode;
  };
  std::vector<Running> running;
  std::size_t next = 0, done = 0;
  auto startMore = [&] {
    while (next < which.size() && running.size() < parallel) {
      const std::size_t i = which[next++];
      const std::string from = "127." + std::to_string(pass) + "." + std::to_string(i >> 8) + "." +
                               std::to_string(i & 255);
      running.push_back({i, Probe::start(ev.server->address().port, from, cases[i].bytes, quietMs),
                         Probe::start(nodePort, from, cases[i].bytes, quietMs)});
    }
  };
  TimeoutPtr poll = setInterval(
      [&] {
        readNode();
        for (std::size_t k = 0; k < running.size();) {
          Running& r = running[k];
          if (!r.toEvnode->closed || !r.toNode->closed || !nodeClosed.count(r.toNode->peer)) {
            ++k;
            continue;
          }
          Result& res = results[r.index];
          res.evnode = reduce(ev.logs[r.toEvnode->peer]);
          res.node = reduce(nodeLogs[r.toNode->peer]);
          res.continues[0] = count(r.toEvnode->got, "HTTP/1.1 100 Continue\r\n");
          res.continues[1] = count(r.toNode->got, "HTTP/1.1 100 Continue\r\n");
          ev.logs.erase(r.toEvnode->peer);
          nodeLogs.erase(r.toNode->peer);
          nodeClosed.erase(r.toNode->peer);
          running.erase(running.begin() + static_cast<std::ptrdiff_t>(k));
          ++done;
        }
        startMore();
        if (done == which.size()) poll->close();
      },
      5);
  startMore();
  // The loop runs until every case is done: the listening server does not hold it meanwhile.
  ev.server->unref();
  run();
  ev.server->ref();
  return results;
}

bool same(const Result& r) {
  return r.evnode.items == r.node.items && r.continues[0] == r.continues[1];
}

// A difference only in the last bytes: evnode took them for the start of a request still
// incomplete (its parser's model of the input ends with unparsed bytes), Node rejected them.
bool onlyTheTailDiffers(const Case& c, const Result& r) {
  if (r.evnode.rejected() || !r.node.rejected()) return false;
  std::vector<std::string> nodeItems = r.node.items;
  nodeItems.pop_back();  // "rejected"
  if (nodeItems != r.evnode.items) return false;
  const stream_model::Transcript t = stream_model::feed(c.bytes, {}, false, kDefaultLimits);
  return t.error == ParseError::HPE_OK && t.unparsed > 0;
}

TEST(NodeDifferential, EvnodeAndNodeParseTheCorpusAlike) {
  EVNODE_WATCHDOG(180);
  if (!et::haveCommand("node")) GTEST_SKIP() << "node is not installed";
  et::Process node({"node", et::sourceDir() + "/tests/http/node_parser_peer.js"});
  const int nodePort = et::parsePortFromListeningLine(node.waitForLine("listening on"));
  ASSERT_GT(nodePort, 0);
  EvnodePeer ev;
  const std::vector<Case> cases = corpus();
  ASSERT_LT(cases.size(), 65536u);  // one loopback address each
  std::vector<std::size_t> all(cases.size());
  for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
  std::vector<Result> results = runCases(cases, all, 1, ev, node, nodePort, 150, 64);
  // A difference may come from an answer slower than the wait: those cases run again, waiting
  // longer.
  std::vector<std::size_t> again;
  for (std::size_t i = 0; i < cases.size(); ++i) {
    if (!same(results[i])) again.push_back(i);
  }
  if (!again.empty()) {
    std::vector<Result> second = runCases(cases, again, 2, ev, node, nodePort, 1000, 64);
    for (std::size_t i : again) results[i] = second[i];
  }
  node.closeStdin();
  ev.server->close();
  run();

  // Report: differences by tag, known or not; the error codes of inputs both rejected.
  std::map<std::string, std::vector<std::size_t>> unknown, known;
  std::map<std::string, std::size_t> codePairs;
  std::size_t accepted = 0, rejected = 0, knownCount = 0, unknownCount = 0;
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const Result& r = results[i];
    if (same(r)) {
      (r.evnode.rejected() ? rejected : accepted)++;
      if (r.evnode.rejected()) codePairs[r.evnode.errorCode + " / " + r.node.errorCode]++;
      continue;
    }
    const std::string tag =
        onlyTheTailDiffers(cases[i], r) ? "tail:" + r.node.errorCode : cases[i].tag;
    const bool evRejects = r.evnode.rejected() && !r.node.rejected();
    const bool nodeRejects = r.node.rejected() && !r.evnode.rejected();
    bool isKnown = false;
    for (const Known& k : kKnown) {
      if (tagMatches(k.tag, tag) &&
          (k.side == Side::kEither || (k.side == Side::kEvnodeRejects && evRejects) ||
           (k.side == Side::kNodeRejects && nodeRejects))) {
        isKnown = true;
        break;
      }
    }
    (isKnown ? known : unknown)[tag].push_back(i);
    (isKnown ? knownCount : unknownCount)++;
  }
  std::printf(
      "[ differential ] %zu inputs: %zu accepted alike, %zu rejected alike, %zu known "
      "differences, %zu unexplained\n",
      cases.size(), accepted, rejected, knownCount, unknownCount);
  for (const auto& [pair, n] : codePairs)
    std::printf("[ error codes  ] %5zu  %s\n", n, pair.c_str());
  for (const auto& [tag, v] : known)
    std::printf("[ known        ] %5zu  %s\n", v.size(), tag.c_str());
  for (const auto& [tag, v] : unknown) {
    std::string examples;
    for (std::size_t j = 0; j < v.size() && j < 3; ++j) {
      const std::size_t i = v[j];
      examples += "  input \"" + escapeBytes(cases[i].bytes, 300) + "\"\n   evnode" +
                  (results[i].continues[0] ? " (100 Continue)" : "") + ":\n" +
                  showOutcome(results[i].evnode) + "   node" +
                  (results[i].continues[1] ? " (100 Continue)" : "") + ":\n" +
                  showOutcome(results[i].node);
    }
    ADD_FAILURE() << v.size() << " input(s) tagged " << tag
                  << " parsed differently by evnode and Node:\n"
                  << examples;
  }
  EXPECT_GT(accepted, 300u);
  EXPECT_GT(rejected, 300u);
}

}  // namespace
}  // namespace evnode::http::e2e
