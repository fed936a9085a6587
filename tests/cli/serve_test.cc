// `evnode serve` as a user runs it, driven by curl (and raw sockets for what curl will not
// send): content types and lengths, HEAD, keep-alive reuse, HTTP/1.0, ETag/Last-Modified and
// 304, byte ranges (206/416), directory redirects, index.html and listings, 404, traversal
// attempts, 405, PUT uploads (Content-Length, chunked, 100-continue), a 64 MiB download with
// the server's memory staying flat, graceful shutdown while a download runs, the access log,
// and the one-line errors.
//
// EVNODE_BIN overrides the binary under test (default: the build's bin/evnode).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "support/testing.h"

namespace {

namespace et = evnode::testing;

std::string evnodeBin() {
  const char* e = std::getenv("EVNODE_BIN");
  return e && *e ? e : et::evnodeBinary();
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// A small pattern match (std::regex trips GCC 12's -Wmaybe-uninitialized under the
// sanitizers): '#' is one or more digits, '~' one or more hex digits, '@' one letter; the rest
// is literal.
bool like(const std::string& text, const std::string& pattern) {
  std::size_t t = 0;
  for (char p : pattern) {
    auto run = [&](auto pred) {
      std::size_t start = t;
      while (t < text.size() && pred(static_cast<unsigned char>(text[t]))) ++t;
      return t > start;
    };
    bool ok = true;
    if (p == '#') {
      ok = run([](unsigned char c) { return std::isdigit(c) != 0; });
    } else if (p == '~') {
      ok = run([](unsigned char c) { return std::isxdigit(c) != 0; });
    } else if (p == '@') {
      ok = t < text.size() && std::isalpha(static_cast<unsigned char>(text[t++])) != 0;
    } else {
      ok = t < text.size() && text[t++] == p;
    }
    if (!ok) return false;
  }
  return t == text.size();
}

// A response as curl -i printed it (interim 1xx heads skipped, kept in `interim`).
struct Reply {
  int exit = -1;
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body, err, interim;

  std::string header(const std::string& name) const {
    for (const auto& [n, v] : headers) {
      if (n == name) return v;
    }
    return "";
  }
  bool has(const std::string& name) const {
    return std::any_of(headers.begin(), headers.end(),
                       [&](const auto& h) { return h.first == name; });
  }
};

// Splits "HTTP/1.1 200 OK\r\nName: v\r\n\r\nbody" (possibly after 1xx heads).
Reply parseResponse(const std::string& raw) {
  Reply r;
  std::size_t pos = 0;
  while (true) {
    std::size_t end = raw.find("\r\n\r\n", pos);
    if (end == std::string::npos) return r;
    std::string head = raw.substr(pos, end - pos);
    pos = end + 4;
    std::istringstream in(head);
    std::string line;
    std::getline(in, line);
    int status = 0;
    std::sscanf(line.c_str(), "HTTP/%*s %d", &status);
    if (status >= 100 && status < 200) {
      r.interim += head + "\r\n\r\n";
      continue;
    }
    r.status = status;
    while (std::getline(in, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      auto colon = line.find(':');
      if (colon == std::string::npos) continue;
      std::string value = line.substr(colon + 1);
      value.erase(0, value.find_first_not_of(" \t"));
      r.headers.emplace_back(lower(line.substr(0, colon)), value);
    }
    r.body = raw.substr(pos);
    // curl -L prints each redirect's head before the next response's.
    if (status >= 300 && status < 400 && r.body.rfind("HTTP/", 0) == 0) {
      r.headers.clear();
      continue;
    }
    return r;
  }
}

Reply curl(std::vector<std::string> args, const std::string& stdinData = "", int timeout = 60) {
  std::vector<std::string> argv{"curl", "-sS", "-i", "--max-time", std::to_string(timeout - 5)};
  argv.insert(argv.end(), args.begin(), args.end());
  et::ProcResult p = et::runProcess(argv, stdinData, timeout);
  Reply r = parseResponse(p.out);
  r.exit = p.status;
  r.err = p.err;
  return r;
}

// A running `evnode serve` and its base URL.
struct Server {
  et::Process proc;
  std::string line, base;
  int port = -1;
  // `prefix` runs the server through another command (`env VAR=value`).
  explicit Server(const std::string& dir, std::vector<std::string> extra = {},
                  std::vector<std::string> prefix = {})
      : proc([&] {
          std::vector<std::string> argv = prefix;
          for (std::string a :
               {evnodeBin(), std::string("serve"), dir, std::string("--port"), std::string("0")}) {
            argv.push_back(a);
          }
          argv.insert(argv.end(), extra.begin(), extra.end());
          return argv;
        }()) {
    line = proc.waitForLine("listening on ", 20);
    port = et::parsePortFromListeningLine(line);
    base = "http://127.0.0.1:" + std::to_string(port);
  }
  // SIGINT, then the exit status.
  int stop() {
    proc.kill(SIGINT);
    return proc.wait(15);
  }
};

// The demo tree most tests serve.
struct Site {
  et::TempDir tmp;
  std::string root;  // tmp/www
  Site() : root(tmp.file("www")) {
    ::mkdir(root.c_str(), 0755);
    et::writeFile(root + "/hello.txt", "hello, world");
    et::writeFile(root + "/style.css", "body{}");
    et::writeFile(root + "/data.json", "{\"a\":1}");
    et::writeFile(root + "/blob.bin", et::randomBytes(100, 1));
    et::writeFile(root + "/noext", "x");
    et::writeFile(root + "/empty.txt", "");
    ::mkdir((root + "/docs").c_str(), 0755);
    et::writeFile(root + "/docs/index.html", "<h1>docs</h1>");
    ::mkdir((root + "/list").c_str(), 0755);
    ::mkdir((root + "/list/sub dir").c_str(), 0755);
    et::writeFile(root + "/list/a b.txt", "ab");
    et::writeFile(root + "/list/<b>&.txt", "tag");
    et::writeFile(tmp.file("secret.txt"), "TOPSECRET outside the root");
  }
};

bool skipWithoutCurl() { return !et::haveCommand("curl"); }
#define REQUIRE_CURL() \
  if (skipWithoutCurl()) GTEST_SKIP() << "curl is not installed"

TEST(CliServe, ReadyLineAndFileWithTypeAndLength) {
  EVNODE_WATCHDOG(60);
  REQUIRE_CURL();
  Site site;
  Server s(site.root);
  EXPECT_TRUE(like(s.line, "listening on http://127.0.0.1:#")) << s.line;
  ASSERT_GT(s.port, 0);

  Reply r = curl({s.base + "/hello.txt"});
  EXPECT_EQ(r.exit, 0) << r.err;
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "hello, world");
  EXPECT_EQ(r.header("content-type"), "text/plain; charset=utf-8");
  EXPECT_EQ(r.header("content-length"), "12");
  EXPECT_EQ(r.header("accept-ranges"), "bytes");
  EXPECT_TRUE(like(r.header("etag"), "\"~-c\"")) << r.header("etag");
  EXPECT_TRUE(like(r.header("last-modified"), "@@@, # @@@ # #:#:# GMT"))
      << r.header("last-modified");
  EXPECT_FALSE(r.has("transfer-encoding"));

  EXPECT_EQ(curl({s.base + "/style.css"}).header("content-type"), "text/css; charset=utf-8");
  EXPECT_EQ(curl({s.base + "/data.json"}).header("content-type"),
            "application/json; charset=utf-8");
  EXPECT_EQ(curl({s.base + "/noext"}).header("content-type"), "application/octet-stream");
  Reply bin = curl({s.base + "/blob.bin"});
  EXPECT_EQ(bin.header("content-type"), "application/octet-stream");
  EXPECT_EQ(bin.body, et::randomBytes(100, 1));
  Reply empty = curl({s.base + "/empty.txt"});
  EXPECT_EQ(empty.status, 200);
  EXPECT_EQ(empty.header("content-length"), "0");
  EXPECT_EQ(empty.body, "");
  Reply enc = curl({s.base + "/list/a%20b.txt"});
  EXPECT_EQ(enc.status, 200);
  EXPECT_EQ(enc.body, "ab");

  EXPECT_EQ(s.stop(), 0);
  EXPECT_EQ(s.proc.stdoutSoFar(), s.line + "\n");  // exactly one line on stdout
}

TEST(CliServe, HeadHasTheHeadersOfGetAndNoBody) {
  EVNODE_WATCHDOG(60);
  REQUIRE_CURL();
  Site site;
  Server s(site.root);
  Reply get = curl({s.base + "/hello.txt"});
  Reply head = curl({"-I", s.base + "/hello.txt"});
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.body, "");
  for (const char* h :
       {"content-type", "content-length", "etag", "last-modified", "accept-ranges"}) {
    EXPECT_EQ(head.header(h), get.header(h)) << h;
  }
  Reply missing = curl({"-I", s.base + "/nope.txt"});
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.body, "");
  EXPECT_EQ(s.stop(), 0);
}

TEST(CliServe, KeepAliveConnectionIsReused) {
  EVNODE_WATCHDOG(60);
  REQUIRE_CURL();
  Site site;
  Server s(site.root);
  et::ProcResult p = et::runProcess(
      {"curl", "-sS", "-v", s.base + "/hello.txt", s.base + "/style.css", s.base + "/nope"}, "",
      30);
  EXPECT_EQ(p.status, 0) << p.err;
  EXPECT_EQ(p.out, "hello, worldbody{}404 Not Found\n");
  EXPECT_NE(p.err.find("Re-using existing connection"), std::string::npos) << p.err;
  EXPECT_EQ(p.err.find("Connected to", p.err.find("Connected to") + 1), std::string::npos)
      << "a second connection was opened:\n"
      << p.err;
  EXPECT_EQ(s.stop(), 0);
}

TEST(CliServe, Http10Client) {
  EVNODE_WATCHDOG(60);
  REQUIRE_CURL();
  Site site;
  Server s(site.root);
  Reply r = curl({"--http1.0", s.base + "/hello.txt"});
  EXPECT_EQ(r.exit, 0) << r.err;
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "hello, world");
  EXPECT_EQ(r.header("content-length"), "12");
  Reply listing = curl({"--http1.0", s.base + "/list/"});
  EXPECT_EQ(listing.status, 200);
  EXPECT_NE(listing.body.find("</html>"), std::string::npos);
  EXPECT_EQ(s.stop(), 0);
}

TEST(CliServe, ConditionalRequestsGet304) {
  EVNODE_WATCHDOG(60);
  REQUIRE_CURL();
  Site site;
  Server s(site.root);
  Reply first = curl({s.base + "/hello.txt"});
  const std::string etag = first.header("etag"), lastModified = first.header("last-modified");
  ASSERT_FALSE(etag.empty());

  Reply hit = curl({"-H", "If-None-Match: " + etag, s.base + "/hello.txt"});
  EXPECT_EQ(hit.status, 304);
  EXPECT_EQ(hit.body, "");
  EXPECT_EQ(hit.header("etag"), etag);
  EXPECT_FALSE(hit.has("content-length") && hit.header("content-length") != "0");
  // Weak comparison, lists and "*".
  EXPECT_EQ(curl({"-H", "If-None-Match: \"x\", W/" + etag, s.base + "/hello.txt"}).status, 304);
  EXPECT_EQ(curl({"-H", "If-None-Match: *", s.base + "/hello.txt"}).status, 304);
  EXPECT_EQ(curl({"-H", "If-None-Match: \"other\"", s.base + "/hello.txt"}).status, 200);

  EXPECT_EQ(curl({"-H", "If-Modified-Since: " + lastModified, s.base + "/hello.txt"}).status, 304);
  Reply old =
      curl({"-H", "If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT", s.base + "/hello.txt"});
  EXPECT_EQ(old.status, 200);
  EXPECT_EQ(old.body, "hello, world");
  // If-None-Match decides alone when both are present.
  EXPECT_EQ(curl({"-H", "If-None-Match: \"other\"", "-H", "If-Modified-Since: " + lastModified,
                  s.base + "/hello.txt"})
                .status,
            200);
  EXPECT_EQ(curl({"-I", "-H", "If-None-Match: " + etag, s.base + "/hello.txt"}).status, 304);
  // A changed file gets a new validator.
  et::writeFile(site.root + "/hello.txt", "hello, world!");
  Reply changed = curl({"-H", "If-None-Match: " + etag, s.base + "/hello.txt"});
  EXPECT_EQ(changed.status, 200);
  EXPECT_EQ(changed.body, "hello, world!");
  EXPECT_NE(changed.header("etag"), etag);
  EXPECT_EQ(s.stop(), 0);
}

TEST(CliServe, ByteRanges) {
  EVNODE_WATCHDOG(60);
  REQUIRE_CURL();
  Site site;
  Server s(site.root);
  const std::string data = et::randomBytes(100, 1);
  const std::string url = s.base + "/blob.bin";
  struct Case {
    std::string range;
    int status;
    std::string contentRange;
    std::size_t first, length;
  };
  for (const Case& c : std::vector<Case>{{"bytes=0-9", 206, "bytes 0-9/100", 0, 10},
                                         {"bytes=90-", 206, "bytes 90-99/100", 90, 10},
                                         {"bytes=-5", 206, "bytes 95-99/100", 95, 5},
                                         {"bytes=95-200", 206, "bytes 95-99/100", 95, 5},
                                         {"bytes=-500", 206, "bytes 0-99/100", 0, 100},
                                         {"bytes=42-42", 206, "bytes 42-42/100", 42, 1},
                                         {"bytes=100-", 416, "bytes */100", 0, 0},
                                         {"bytes=-0", 416, "bytes */100", 0, 0},
                                         {"bytes=0-1,5-6", 200, "", 0, 100},
                                         {"bytes=9-2", 200, "", 0, 100},
                                         {"bytes=x-y", 200, "", 0, 100},
                                         {"items=0-9", 200, "", 0, 100}}) {
    Reply r = curl({"-H", "Range: " + c.range, url});
    EXPECT_EQ(r.status, c.status) << c.range;
    EXPECT_EQ(r.header("content-range"), c.contentRange) << c.range;
    if (c.status == 416) continue;
    EXPECT_EQ(r.header("content-length"), std::to_string(c.length)) << c.range;
    EXPECT_TRUE(r.body == data.substr(c.first, c.length)) << c.range;
  }
  // curl's own -r, and HEAD with a range.
  Reply r = curl({"-r", "10-19", url});
  EXPECT_EQ(r.status, 206);
  EXPECT_TRUE(r.body == data.substr(10, 10));
  Reply head = curl({"-I", "-r", "10-19", url});
  EXPECT_EQ(head.status, 206);
  EXPECT_EQ(head.header("content-length"), "10");
  EXPECT_EQ(head.body, "");
  // If-Range: the range only while the validator still matches.
  const std::string etag = curl({url}).header("etag");
  EXPECT_EQ(curl({"-H", "Range: bytes=0-9", "-H", "If-Range: " + etag, url}).status, 206);
  Reply stale = curl({"-H", "Range: bytes=0-9", "-H", "If-Range: \"stale\"", url});
  EXPECT_EQ(stale.status, 200);
  EXPECT_TRUE(stale.body == data);
  // An empty file has no satisfiable range.
  EXPECT_EQ(curl({"-H", "Range: bytes=0-", s.base + "/empty.txt"}).header("content-range"),
            "bytes */0");
  EXPECT_EQ(s.stop(), 0);
}

TEST(CliServe, DirectoriesRedirectServeIndexOrList) {
  EVNODE_WATCHDOG(60);
  REQUIRE_CURL();
  Site site;
  Server s(site.root);
  Reply redirect = curl({s.base + "/docs"});
  EXPECT_EQ(redirect.status, 301);
  EXPECT_EQ(redirect.header("location"), "/docs/");
  Reply withQuery = curl({s.base + "/docs?x=1&y=%20"});
  EXPECT_EQ(withQuery.status, 301);
  EXPECT_EQ(withQuery.header("location"), "/docs/?x=1&y=%20");
  EXPECT_EQ(curl({s.base + "/list/sub%20dir"}).header("location"), "/list/sub%20dir/");
  // "//host"-looking paths never turn into a redirect to another host.
  Reply slashes = curl({"--path-as-is", s.base + "//docs"});
  EXPECT_EQ(slashes.header("location"), "/docs/");

  Reply index = curl({s.base + "/docs/"});
  EXPECT_EQ(index.status, 200);
  EXPECT_EQ(index.body, "<h1>docs</h1>");
  EXPECT_EQ(index.header("content-type"), "text/html; charset=utf-8");
  EXPECT_EQ(curl({"-L", s.base + "/docs"}).body, "<h1>docs</h1>");

  Reply list = curl({s.base + "/list/"});
  EXPECT_EQ(list.status, 200);
  EXPECT_EQ(list.header("content-type"), "text/html; charset=utf-8");
  EXPECT_NE(list.body.find("href=\"a%20b.txt\""), std::string::npos) << list.body;
  EXPECT_NE(list.body.find(">a b.txt<"), std::string::npos) << list.body;
  EXPECT_NE(list.body.find("href=\"sub%20dir/\""), std::string::npos) << list.body;
  EXPECT_NE(list.body.find("href=\"%3Cb%3E%26.txt\""), std::string::npos) << list.body;
  EXPECT_NE(list.body.find(">&lt;b&gt;&amp;.txt<"), std::string::npos) << list.body;
  EXPECT_EQ(list.body.find("<b>&"), std::string::npos) << "a name went out unescaped";
  EXPECT_NE(list.body.find("href=\"../\""), std::string::npos);
  // The listed link works.
  EXPECT_EQ(curl({s.base + "/list/%3Cb%3E%26.txt"}).body, "tag");

  Reply root = curl({s.base + "/"});
  EXPECT_EQ(root.status, 200);
  EXPECT_NE(root.body.find("href=\"hello.txt\""), std::string::npos);
  EXPECT_NE(root.body.find("href=\"docs/\""), std::string::npos);
  EXPECT_EQ(root.body.find("href=\"../\""), std::string::npos);
  EXPECT_EQ(s.stop(), 0);
}

TEST(CliServe, MissingIs404) {
  EVNODE_WATCHDOG(60);
  REQUIRE_CURL();
  Site site;
  Server s(site.root);
  // A file named as a directory ("/hello.txt/") is not that file, cached or not.
  EXPECT_EQ(curl({s.base + "/hello.txt"}).status, 200);
  for (const char* path :
       {"/nope.txt", "/docs/nope", "/hello.txt/below", "/nope/deeper/", "/hello.txt/"}) {
    Reply r = curl({s.base + path});
    EXPECT_EQ(r.status, 404) << path;
    EXPECT_EQ(r.body, "404 Not Found\n") << path;
  }
  EXPECT_EQ(s.stop(), 0);
}

// Plain blocking socket I/O for targets curl will not send.
std::string rawExchange(int port, const std::string& request) {
  int fd = et::rawConnect(port);
  if (fd < 0) return "";
  ::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  std::string out;
  char buf[65536];
  while (true) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 5000) <= 0) break;
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return out;
}

TEST(CliServe, TraversalIsRefused) {
  EVNODE_WATCHDOG(90);
  REQUIRE_CURL();
  Site site;
  // Links inside the root that lead out of it, and one that stays inside.
  ASSERT_EQ(::symlink(site.tmp.file("secret.txt").c_str(), (site.root + "/leak.txt").c_str()), 0);
  ASSERT_EQ(::symlink(site.tmp.path().c_str(), (site.root + "/up").c_str()), 0);
  ASSERT_EQ(::symlink("/etc", (site.root + "/etc").c_str()), 0);
  ASSERT_EQ(::symlink("hello.txt", (site.root + "/alias.txt").c_str()), 0);
  Server s(site.root);
  auto refused = [&](const Reply& r, const std::string& what) {
    EXPECT_TRUE(r.status == 400 || r.status == 403 || r.status == 404)
        << what << " got " << r.status;
    EXPECT_EQ(r.body.find("TOPSECRET"), std::string::npos) << what;
    EXPECT_EQ(r.body.find("root:"), std::string::npos) << what;
  };
  for (const std::string path :
       {"/../secret.txt", "/../../../../etc/passwd", "/docs/../../secret.txt", "/%2e%2e/secret.txt",
        "/%2e%2e/%2e%2e/%2e%2e/etc/passwd", "/%2E%2E/secret.txt", "/..%2fsecret.txt",
        "/..%2f..%2f..%2fetc/passwd", "/docs%2f..%2f..%2fsecret.txt", "/..%5csecret.txt",
        "/..\\secret.txt", "/%252e%252e/secret.txt", "/leak.txt", "/up/secret.txt", "/up/", "/up",
        "/etc/passwd", "/etc/", "/.%2e/secret.txt"}) {
    refused(curl({"--path-as-is", s.base + path}), path);
  }
  EXPECT_EQ(curl({"--path-as-is", s.base + "/%2e%2e/secret.txt"}).status, 403);
  EXPECT_EQ(curl({s.base + "/leak.txt"}).status, 403);
  EXPECT_EQ(curl({s.base + "/a%00b"}).status, 400);
  EXPECT_EQ(curl({s.base + "/%zz"}).status, 400);
  EXPECT_EQ(curl({s.base + "/%4"}).status, 400);
  EXPECT_EQ(curl({s.base + "/alias.txt"}).body, "hello, world");  // a link inside is fine

  // Targets that are not an origin-form path.
  auto get = [&](const std::string& target) {
    return rawExchange(s.port,
                       "GET " + target + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  };
  for (const std::string target : {"../secret.txt", "*", "etc", "ftp://x/hello.txt"}) {
    std::string raw = get(target);
    EXPECT_EQ(raw.rfind("HTTP/1.1 400 ", 0), 0u) << target << ": " << raw;
    EXPECT_EQ(raw.find("TOPSECRET"), std::string::npos);
  }
  // Absolute-form (RFC 9112 3.2.2: a server must accept it) names the same files, with the same
  // containment.
  for (const std::string target : {"http://127.0.0.1/hello.txt", "HTTP://X:80/hello.txt"}) {
    std::string raw = get(target);
    EXPECT_EQ(raw.rfind("HTTP/1.1 200 ", 0), 0u) << target << ": " << raw;
    EXPECT_NE(raw.find("hello, world"), std::string::npos) << raw;
  }
  EXPECT_EQ(get("http://x/nope.txt").rfind("HTTP/1.1 404 ", 0), 0u);
  EXPECT_EQ(get("http://x/../secret.txt").rfind("HTTP/1.1 403 ", 0), 0u);
  EXPECT_EQ(get("http://x/%2e%2e/secret.txt").find("TOPSECRET"), std::string::npos);
  EXPECT_EQ(get("http://x").rfind("HTTP/1.1 200 ", 0), 0u);
  EXPECT_EQ(s.stop(), 0);
}

// Dot segments that stay inside the root are resolved as the WHATWG URL parser (and curl,
// and `evnode get`) would before sending: "/docs/../hello.txt" is "/hello.txt".
TEST(CliServe, DotSegmentsInsideTheRootAreResolved) {
  EVNODE_WATCHDOG(60);
  REQUIRE_CURL();
  Site site;
  Server s(site.root);
  for (const std::string path : {"/docs/../hello.txt", "/docs/%2e%2e/hello.txt",
                                 "/docs/.%2E/./hello.txt", "/list/sub%20dir/../../hello.txt"}) {
    auto r = curl({"--path-as-is", s.base + path});
    EXPECT_EQ(r.status, 200) << path;
    EXPECT_EQ(r.body, "hello, world") << path;
  }
  // A path ending in a dot segment names a directory: "/docs/x/.." is "/docs/".
  auto r = curl({"--path-as-is", s.base + "/docs/x/.."});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "<h1>docs</h1>");
  // Climbing above the root is still refused, however it is spelled.
  for (const std::string path : {"/docs/../../secret.txt", "/docs/%2e%2e/%2E%2e/secret.txt",
                                 "/docs/./../list/../../secret.txt"}) {
    EXPECT_EQ(curl({"--path-as-is", s.base + path}).status, 403) << path;
  }
  EXPECT_EQ(s.stop(), 0);
}

TEST(CliServe, PipelinedRequestsAnswerInOrder) {
  EVNODE_WATCHDOG(60);
  Site site;
  Server s(site.root);
  std::string raw = rawExchange(s.port,
                                "GET /hello.txt HTTP/1.1\r\nHost: x\r\n\r\n"
                                "HEAD /style.css HTTP/1.1\r\nHost: x\r\n\r\n"
                                "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n"
                                "GET /data.json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  std::size_t a = raw.find("hello, world"), b = raw.find("Content-Length: 6"),
              c = raw.find("404 Not Found\n"), d = raw.find("{\"a\":1}");
  ASSERT_NE(a, std::string::npos) << raw;
  ASSERT_NE(b, std::string::npos) << raw;
  ASSERT_NE(c, std::string::npos) << raw;
  ASSERT_NE(d, std::string::npos) << raw;
  EXPECT_TRUE(a < b && b < c && c < d) << raw;
  EXPECT_EQ(raw.find("body{}"), std::string::npos) << "HEAD sent a body";
  EXPECT_EQ(s.stop(), 0);
}

TEST(CliServe, OtherMethodsGet405) {
  EVNODE_WATCHDOG(60);
  REQUIRE_CURL();
  Site site;
  {
    Server s(site.root);
    Reply post = curl({"-d", "x=1", s.base + "/hello.txt"});
    EXPECT_EQ(post.status, 405);
    EXPECT_EQ(post.header("allow"), "GET, HEAD");
    EXPECT_EQ(curl({"-X", "DELETE", s.base + "/hello.txt"}).status, 405);
    EXPECT_EQ(curl({"-T", "-", s.base + "/new.txt"}, "data").status, 405);  // not --writable
    EXPECT_FALSE(et::readFile(site.root + "/hello.txt").empty());
    EXPECT_EQ(::access((site.root + "/new.txt").c_str(), F_OK), -1);
    // The connection stays usable after a refused body.
    et::ProcResult p = et::runProcess(
        {"curl", "-sS", "-v", "-d", "ignored", s.base + "/hello.txt", s.base + "/style.css"}, "",
        30);
    EXPECT_EQ(p.status, 0);
    EXPECT_EQ(p.out, "405 Method Not Allowed\n405 Method Not Allowed\n");
    EXPECT_NE(p.err.find("Re-using existing connection"), std::string::npos) << p.err;
    EXPECT_EQ(s.stop(), 0);
  }
  Server w(site.root, {"--writable"});
  Reply post = curl({"-d", "x=1", w.base + "/hello.txt"});
  EXPECT_EQ(post.status, 405);
  EXPECT_EQ(post.header("allow"), "GET, HEAD, PUT");
  EXPECT_EQ(w.stop(), 0);
}

std::vector<std::string> listDir(const std::string& dir) {
  std::vector<std::string> out;
  et::ProcResult p = et::runProcess({"ls", "-A", dir}, "", 10);
  std::istringstream in(p.out);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

TEST(CliServe, WritablePutCreatesThenReplaces) {
  EVNODE_WATCHDOG(120);
  REQUIRE_CURL();
  Site site;
  Server s(site.root, {"--writable"});
  const std::string up = site.tmp.file("upload.bin");

  // Content-Length body.
  const std::string small = et::randomBytes(5000, 7);
  et::writeFile(up, small);
  Reply created = curl({"-H", "Expect:", "-T", up, s.base + "/docs/put.bin"});
  EXPECT_EQ(created.status, 201) << created.err;
  EXPECT_TRUE(et::readFile(site.root + "/docs/put.bin") == small);
  const std::string other = et::randomBytes(3000, 8);
  et::writeFile(up, other);
  Reply replaced = curl({"-H", "Expect:", "-T", up, s.base + "/docs/put.bin"});
  EXPECT_EQ(replaced.status, 204);
  EXPECT_EQ(replaced.body, "");
  EXPECT_TRUE(et::readFile(site.root + "/docs/put.bin") == other);
  EXPECT_TRUE(curl({s.base + "/docs/put.bin"}).body == other);

  // Chunked: curl -T - reads stdin and sends Transfer-Encoding: chunked.
  const std::string streamed = et::randomBytes(300000, 9);
  Reply chunked = curl({"-v", "-T", "-", s.base + "/streamed.bin"}, streamed);
  EXPECT_EQ(chunked.status, 201) << chunked.err;
  EXPECT_NE(chunked.err.find("Transfer-Encoding: chunked"), std::string::npos);
  EXPECT_TRUE(et::readFile(site.root + "/streamed.bin") == streamed);

  // Expect: 100-continue (curl sends it for large uploads): 100 first, then the body.
  const std::string big = et::randomBytes(3 << 20, 10);
  et::writeFile(up, big);
  auto t0 = std::chrono::steady_clock::now();
  Reply expect = curl({"-H", "Expect: 100-continue", "-T", up, s.base + "/big.bin"});
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(expect.status, 201) << expect.err;
  EXPECT_NE(expect.interim.find("HTTP/1.1 100 Continue"), std::string::npos) << expect.interim;
  EXPECT_TRUE(et::readFile(site.root + "/big.bin") == big);
  EXPECT_LT(secs, 20.0);

  // A name needing escapes, then fetched back.
  Reply spaced = curl({"-T", "-", s.base + "/a%20%26%20b.txt"}, "spaced");
  EXPECT_EQ(spaced.status, 201);
  EXPECT_EQ(et::readFile(site.root + "/a & b.txt"), "spaced");

  // Refusals: a directory, a missing parent, outside the root, a bad target.
  EXPECT_EQ(curl({"-T", "-", s.base + "/docs"}, "x").status, 409);
  EXPECT_EQ(curl({"-T", "-", s.base + "/docs/"}, "x").status, 409);
  EXPECT_EQ(curl({"-T", "-", s.base + "/no/such/dir.txt"}, "x").status, 409);
  EXPECT_EQ(curl({"-T", "-", s.base + "/hello.txt/x"}, "x").status, 409);
  EXPECT_EQ(curl({"--path-as-is", "-T", "-", s.base + "/../escape.txt"}, "x").status, 403);
  EXPECT_EQ(curl({"-T", "-", s.base + "/%2e%2e/escape.txt"}, "x").status, 403);
  EXPECT_EQ(::access(site.tmp.file("escape.txt").c_str(), F_OK), -1);
  // A refused 100-continue upload gets its answer without 100.
  Reply refusedBig = curl({"-H", "Expect: 100-continue", "-T", up, s.base + "/no/dir/big.bin"});
  EXPECT_EQ(refusedBig.status, 409);
  EXPECT_EQ(refusedBig.interim, "");

  // No temporary file is left behind.
  for (const auto& name : listDir(site.root)) {
    EXPECT_EQ(name.find(".evnode-upload-"), std::string::npos) << name;
  }
  for (const auto& name : listDir(site.root + "/docs")) {
    EXPECT_EQ(name.find(".evnode-upload-"), std::string::npos) << name;
  }
  EXPECT_EQ(s.stop(), 0);
}

TEST(CliServe, AbortedUploadLeavesNothing) {
  EVNODE_WATCHDOG(60);
  Site site;
  Server s(site.root, {"--writable"});
  // Promise 1 MiB, send a little, hang up.
  std::string req = "PUT /partial.bin HTTP/1.1\r\nHost: x\r\nContent-Length: 1048576\r\n\r\n" +
                    std::string(1000, 'x');
  std::string raw = rawExchange(s.port, req);  // waits 5 s for a reply that does not come
  EXPECT_EQ(raw, "");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(::access((site.root + "/partial.bin").c_str(), F_OK), -1);
  for (const auto& name : listDir(site.root)) {
    EXPECT_EQ(name.find(".evnode-upload-"), std::string::npos) << name;
  }
  // The server is still fine.
  std::string ok =
      rawExchange(s.port, "GET /hello.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_NE(ok.find("hello, world"), std::string::npos);
  EXPECT_EQ(s.stop(), 0);
}

long rssKiB(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(f, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

TEST(CliServe, LargeFileStreamsWithFlatMemory) {
  EVNODE_WATCHDOG(180);
  REQUIRE_CURL();
  Site site;
  const std::string big = site.root + "/big.bin";
  std::string data;
  {
    std::ofstream f(big, std::ios::binary);
    for (int i = 0; i < 64; ++i) {
      std::string mib = et::randomBytes(1 << 20, 500 + i);
      f.write(mib.data(), static_cast<std::streamsize>(mib.size()));
      data += mib;
    }
  }
  // Under AddressSanitizer freed chunks wait in a quarantine (256 MiB by default) before their
  // memory is reused, which would look like growth; keep it small so the test measures ours.
  const char* asan = std::getenv("ASAN_OPTIONS");
  Server s(site.root, {},
           {"env", std::string("ASAN_OPTIONS=") + (asan ? asan : "") + ":quarantine_size_mb=4"});
  ASSERT_GT(s.port, 0);
  curl({s.base + "/hello.txt"});  // warm up: the steady state, not start-up, is measured
  const long before = rssKiB(s.proc.pid());
  ASSERT_GT(before, 0);
  std::atomic<long> peak{before};
  std::atomic<bool> done{false};
  std::thread sampler([&] {
    while (!done) {
      long r = rssKiB(s.proc.pid());
      if (r > peak) peak = r;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  });
  const std::string out = site.tmp.file("out.bin");
  // A slow reader makes the server hold data if backpressure did not work.
  et::ProcResult p = et::runProcess(
      {"curl", "-sS", "--limit-rate", "100M", "-o", out, s.base + "/big.bin"}, "", 150);
  done = true;
  sampler.join();
  EXPECT_EQ(p.status, 0) << p.err;
  EXPECT_TRUE(et::readFile(out) == data) << "the download differs";
  const long growthMiB = (peak - before) / 1024;
  EXPECT_LT(growthMiB, 64) << "RSS grew from " << before << " KiB to " << peak.load() << " KiB";
  std::printf("[ info ] 64 MiB download: server RSS %ld KiB before, %ld KiB peak\n", before,
              peak.load());
  EXPECT_EQ(s.stop(), 0);
}

TEST(CliServe, AccessLogOnStderr) {
  EVNODE_WATCHDOG(60);
  REQUIRE_CURL();
  Site site;
  Server s(site.root);
  curl({s.base + "/hello.txt"});
  curl({"-I", s.base + "/hello.txt"});
  curl({s.base + "/nope?q=1"});
  curl({"-r", "0-4", s.base + "/hello.txt"});
  EXPECT_EQ(s.stop(), 0);
  const std::string err = s.proc.stderrSoFar();
  std::istringstream in(err);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  ASSERT_EQ(lines.size(), 4u) << err;
  EXPECT_TRUE(like(lines[0], "GET /hello.txt 200 12 #.#ms")) << lines[0];
  EXPECT_TRUE(like(lines[1], "HEAD /hello.txt 200 0 #.#ms")) << lines[1];
  EXPECT_TRUE(like(lines[2], "GET /nope?q=1 404 14 #.#ms")) << lines[2];
  EXPECT_TRUE(like(lines[3], "GET /hello.txt 206 5 #.#ms")) << lines[3];
  EXPECT_EQ(s.proc.stdoutSoFar(), s.line + "\n");  // logs never go to stdout
}

TEST(CliServe, SigintFinishesTheDownloadInFlightThenExitsZero) {
  EVNODE_WATCHDOG(90);
  REQUIRE_CURL();
  Site site;
  const std::string data = et::randomBytes(6 << 20, 77);
  et::writeFile(site.root + "/six.bin", data);
  Server s(site.root);
  const std::string out = site.tmp.file("six.out");
  // About 3 s at 2 MB/s; SIGINT arrives in the middle.
  et::Process download({"curl", "-sS", "--limit-rate", "2M", "-o", out, s.base + "/six.bin"});
  std::this_thread::sleep_for(std::chrono::milliseconds(800));
  s.proc.kill(SIGINT);
  EXPECT_EQ(download.wait(60), 0);
  auto downloaded = std::chrono::steady_clock::now();
  EXPECT_TRUE(et::readFile(out) == data) << "the download was cut";
  EXPECT_EQ(s.proc.wait(15), 0);
  // The connection is closed once its response is done, not after the keep-alive timeout.
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - downloaded).count(),
            3.0);
}

TEST(CliServe, SigtermWithIdleKeepAliveConnectionExitsZero) {
  EVNODE_WATCHDOG(60);
  Site site;
  Server s(site.root);
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(s.port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  std::string req = "GET /hello.txt HTTP/1.1\r\nHost: x\r\n\r\n";
  ::send(fd, req.data(), req.size(), MSG_NOSIGNAL);
  char buf[4096];
  pollfd p{fd, POLLIN, 0};
  ASSERT_EQ(::poll(&p, 1, 5000), 1);
  ASSERT_GT(::recv(fd, buf, sizeof buf, 0), 0);
  // The connection is idle now; SIGTERM closes it and the server exits at once.
  auto t0 = std::chrono::steady_clock::now();
  s.proc.kill(SIGTERM);
  EXPECT_EQ(s.proc.wait(10), 0);
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 3.0);
  ::close(fd);
}

TEST(CliServe, DefaultDirectoryIsTheCurrentOne) {
  EVNODE_WATCHDOG(60);
  REQUIRE_CURL();
  Site site;
  et::Process proc({"sh", "-c", "cd \"$1\" && exec \"$0\" serve --port 0", evnodeBin(), site.root});
  std::string line = proc.waitForLine("listening on ", 20);
  int port = et::parsePortFromListeningLine(line);
  ASSERT_GT(port, 0);
  EXPECT_EQ(curl({"http://127.0.0.1:" + std::to_string(port) + "/hello.txt"}).body, "hello, world");
  proc.kill(SIGINT);
  EXPECT_EQ(proc.wait(15), 0);
}

TEST(CliServe, IPv6Loopback) {
  EVNODE_WATCHDOG(60);
  REQUIRE_CURL();
  int probe = ::socket(AF_INET6, SOCK_STREAM, 0);
  sockaddr_in6 a{};
  a.sin6_family = AF_INET6;
  a.sin6_addr = in6addr_loopback;
  bool v6 = probe >= 0 && ::bind(probe, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  if (probe >= 0) ::close(probe);
  if (!v6) GTEST_SKIP() << "no IPv6 loopback";
  Site site;
  Server s(site.root, {"--host", "::1"});
  EXPECT_TRUE(like(s.line, "listening on http://[::1]:#")) << s.line;
  Reply r = curl({"-g", "http://[::1]:" + std::to_string(s.port) + "/hello.txt"});
  EXPECT_EQ(r.body, "hello, world");
  EXPECT_EQ(s.stop(), 0);
}

TEST(CliServe, ErrorsAreOneLine) {
  EVNODE_WATCHDOG(60);
  et::TempDir tmp;
  const std::string missing = tmp.file("missing");
  et::ProcResult r = et::runProcess({evnodeBin(), "serve", missing, "--port", "0"}, "", 15);
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "evnode: " + missing + ": no such directory\n");

  et::writeFile(tmp.file("file"), "x");
  r = et::runProcess({evnodeBin(), "serve", tmp.file("file"), "--port", "0"}, "", 15);
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err, "evnode: " + tmp.file("file") + ": not a directory\n");

  r = et::runProcess({evnodeBin(), "serve", tmp.path(), "--port", "0", "--tls-cert", "c.pem",
                      "--tls-key", "k.pem"},
                     "", 15);
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err, "evnode: --tls-cert: cannot read c.pem\n");

  r = et::runProcess({evnodeBin(), "serve", tmp.path(), "--port", "99999"}, "", 15);
  EXPECT_NE(r.status, 0);
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_EQ(r.err.rfind("evnode: ", 0), 0u) << r.err;

  r = et::runProcess({evnodeBin(), "serve", tmp.path(), "--bogus"}, "", 15);
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err, "evnode: unknown option '--bogus'\n");

  Server first(tmp.path());
  r = et::runProcess({evnodeBin(), "serve", tmp.path(), "--port", std::to_string(first.port)}, "",
                     15);
  EXPECT_NE(r.status, 0);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "evnode: listen EADDRINUSE 127.0.0.1:" + std::to_string(first.port) + "\n");
  EXPECT_EQ(first.stop(), 0);

  et::ProcResult h = et::runProcess({evnodeBin(), "serve", "--help"}, "", 15);
  EXPECT_EQ(h.status, 0);
  EXPECT_NE(h.out.find("usage: evnode serve"), std::string::npos);
}

}  // namespace
