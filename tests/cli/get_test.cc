// `evnode get` as a user runs it (CLI.md): the body byte-exact on stdout (binary, 64 MiB by
// SHA-256) or in a file with -o, -i heads as received, -X, -d and --data-file (a file or stdin),
// -H, --unix-socket, --timeout (28, bounding the whole request), --fail (22), redirects not
// followed, chunked and close-delimited bodies, and the one-line failures (connection refused,
// DNS, truncated bodies, a server that hangs up, invalid URLs and options). Peers: Node.js's
// http server, Python's http.server, `evnode serve`, and raw servers that misbehave on purpose.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cerrno>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "cli/http_peers.h"
#include "support/testing.h"

namespace {

namespace et = evnode::testing;
using namespace evnode::clitest;

using Clock = std::chrono::steady_clock;

// CLI.md: a failure is one line `evnode: ...` naming the code, with a non-zero status.
void expectFailure(const et::ProcResult& r, int status, const std::string& code) {
  EXPECT_EQ(r.status, status) << r.err;
  EXPECT_TRUE(isOneErrorLine(r.err)) << r.err;
  if (!code.empty()) {
    EXPECT_NE(r.err.find(code), std::string::npos) << r.err;
  }
}

// ---------------------------------------------------------------------------------------------
// Command line

TEST(CliGet, HelpPrintsUsage) {
  EVNODE_WATCHDOG(30);
  auto r = evnodeGet({"--help"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out.rfind("usage: evnode get URL", 0), 0u) << r.out;
  EXPECT_NE(r.out.find("--timeout"), std::string::npos);
}

TEST(CliGet, UsageErrorsAreOneLineAndNonZero) {
  EVNODE_WATCHDOG(60);
  const std::vector<std::vector<std::string>> cases = {
      {},                                                      // no URL
      {"http://127.0.0.1:1/", "http://127.0.0.1:2/"},          // two URLs
      {"http://127.0.0.1:1/", "--bogus"},                      // unknown option
      {"http://127.0.0.1:1/", "--timeout", "soon"},            // not a number
      {"http://127.0.0.1:1/", "--timeout", "-1"},              // not positive
      {"http://127.0.0.1:1/", "-H", "no colon here"},          // bad header
      {"http://127.0.0.1:1/", "-d", "a", "--data-file", "f"},  // two bodies
      {"http://127.0.0.1:1/", "-X"},                           // missing value
  };
  for (const auto& args : cases) {
    auto r = evnodeGet(args);
    std::string what;
    for (const auto& a : args) what += "'" + a + "' ";
    EXPECT_NE(r.status, 0) << what;
    EXPECT_NE(r.status, 22) << what;
    EXPECT_NE(r.status, 28) << what;
    EXPECT_TRUE(isOneErrorLine(r.err)) << what << r.err;
    EXPECT_EQ(r.out, "") << what;
  }
}

// A malformed URL exits 3 (curl's status), a protocol get does not speak 1.
TEST(CliGet, InvalidUrlIsOneLineFailure) {
  EVNODE_WATCHDOG(60);
  for (std::string url : {"not a url", "http://", "http://127.0.0.1:99999/", "://nohost",
                          "http://exa mple.com/", "http://[::1/"}) {
    auto r = evnodeGet({url});
    EXPECT_EQ(r.status, 3) << url;
    EXPECT_TRUE(isOneErrorLine(r.err)) << url << ": " << r.err;
    EXPECT_NE(r.err.find("ERR_INVALID_URL"), std::string::npos) << url << ": " << r.err;
    EXPECT_EQ(r.out, "") << url;
  }
  auto r = evnodeGet({"ftp://127.0.0.1/file"});
  expectFailure(r, 1, "ftp:");
}

// ---------------------------------------------------------------------------------------------
// Failures before a response

TEST(CliGet, ConnectionRefusedExitsSevenNamingTheCode) {
  EVNODE_WATCHDOG(30);
  int port = et::freePort();
  ASSERT_GT(port, 0);
  auto r = evnodeGet({"http://127.0.0.1:" + std::to_string(port) + "/"});
  expectFailure(r, 7, "ECONNREFUSED");
  EXPECT_EQ(r.out, "");
}

TEST(CliGet, UnknownHostExitsSixNamingTheCode) {
  EVNODE_WATCHDOG(60);
  // .invalid never resolves (RFC 2606); without a reachable resolver getaddrinfo says EAI_AGAIN.
  auto r = evnodeGet({"http://evnode-no-such-host.invalid/"});
  EXPECT_EQ(r.status, 6) << r.err;
  EXPECT_TRUE(isOneErrorLine(r.err)) << r.err;
  EXPECT_TRUE(r.err.find("ENOTFOUND") != std::string::npos ||
              r.err.find("EAI_AGAIN") != std::string::npos)
      << r.err;
}

TEST(CliGet, ServerHangingUpWithoutResponseExitsOne) {
  EVNODE_WATCHDOG(30);
  RawServer server([](int fd, RawServer& self) {
    std::string head, rest;
    if (self.readHead(fd, head, rest)) self.recordHead(head);
    // Closing here answers nothing.
  });
  auto r = evnodeGet({server.base + "/"});
  expectFailure(r, 1, "ECONNRESET");
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(server.heads().size(), 1u);
}

// ---------------------------------------------------------------------------------------------
// Bodies

TEST(CliGet, LargeBinaryBodyToStdoutFromEvnodeServe) {
  EVNODE_WATCHDOG(120);
  et::TempDir tmp;
  const std::string data = et::randomBytes(64u << 20, 42);
  et::writeFile(tmp.file("big.bin"), data);
  ServeServer server(tmp.path());
  ASSERT_GT(server.port, 0);
  auto r = evnodeGet({server.base + "/big.bin"}, "", 90);
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(r.out.size(), data.size());
  EXPECT_EQ(sha256Hex(r.out), sha256Hex(data));
}

// A reader that goes away early (`evnode get URL | head -c 10`): as curl, exit 23 quietly, no
// crash and no hang.
TEST(CliGet, ClosedStdoutEndsQuietlyWith23) {
  EVNODE_WATCHDOG(60);
  et::TempDir tmp;
  et::writeFile(tmp.file("big.bin"), et::randomBytes(8u << 20, 7));
  ServeServer server(tmp.path());
  ASSERT_GT(server.port, 0);
  auto r = et::runProcess(
      {"bash", "-c", "set -o pipefail; \"$0\" get \"$1\" 2>\"$2\" | head -c 10 >/dev/null",
       et::evnodeBinary(), server.base + "/big.bin", tmp.file("err")},
      "", 30);
  EXPECT_EQ(r.status, 23);
  EXPECT_EQ(et::readFile(tmp.file("err")), "");
}

TEST(CliGet, EveryByteValueSurvivesStdout) {
  EVNODE_WATCHDOG(30);
  std::string body;
  for (int round = 0; round < 4; ++round) {
    for (int c = 0; c < 256; ++c) body += static_cast<char>(c);
    body += std::string("\r\n\r\n\0\0\n", 7);
  }
  RawServer server(replyOnce("HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) +
                                 "\r\nContent-Type: application/octet-stream\r\n\r\n" + body,
                             false));
  auto r = evnodeGet({server.base + "/bin"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(toHex(r.out), toHex(body));
}

TEST(CliGet, OutputFileGetsTheBodyAndStdoutStaysEmpty) {
  EVNODE_WATCHDOG(60);
  et::TempDir tmp;
  const std::string data = et::randomBytes(3u << 20, 7);
  ::mkdir(tmp.file("www").c_str(), 0755);
  et::writeFile(tmp.file("www/f.bin"), data);
  ServeServer server(tmp.file("www"));
  ASSERT_GT(server.port, 0);
  // stderr is a pipe, not a terminal: no progress bar either.
  auto r = evnodeGet({server.base + "/f.bin", "-o", tmp.file("out.bin")});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "");
  std::string got = et::readFile(tmp.file("out.bin"));
  EXPECT_EQ(got.size(), data.size());
  EXPECT_EQ(sha256Hex(got), sha256Hex(data));

  // --output is the long form.
  r = evnodeGet({server.base + "/f.bin", "--output", tmp.file("out2.bin")});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(sha256Hex(et::readFile(tmp.file("out2.bin"))), sha256Hex(data));
}

TEST(CliGet, ProgressBarOnlyWithOutputFileAndATerminal) {
  EVNODE_WATCHDOG(60);
  if (!et::haveCommand("python3")) GTEST_SKIP() << "python3 is not installed";
  et::TempDir tmp;
  const std::string data = et::randomBytes(1u << 20, 5);
  ::mkdir(tmp.file("www").c_str(), 0755);
  et::writeFile(tmp.file("www/f.bin"), data);
  ServeServer server(tmp.file("www"));
  ASSERT_GT(server.port, 0);

  // -o with stderr on a terminal: a progress bar there, reaching 100% of the Content-Length.
  auto r = runWithTtyStderr(
      {et::evnodeBinary(), "get", server.base + "/f.bin", "-o", tmp.file("out.bin")},
      tmp.file("stdout"));
  EXPECT_EQ(r.status, 0) << r.err << r.out;
  EXPECT_NE(r.out.find("100%"), std::string::npos) << r.out;
  EXPECT_EQ(et::readFile(tmp.file("stdout")), "");
  EXPECT_EQ(sha256Hex(et::readFile(tmp.file("out.bin"))), sha256Hex(data));

  // Without -o the body goes to stdout and the terminal stays quiet.
  r = runWithTtyStderr({et::evnodeBinary(), "get", server.base + "/f.bin"}, tmp.file("stdout"));
  EXPECT_EQ(r.status, 0) << r.err << r.out;
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(sha256Hex(et::readFile(tmp.file("stdout"))), sha256Hex(data));
}

TEST(CliGet, Ipv6LiteralUrl) {
  EVNODE_WATCHDOG(60);
  if (!haveIpv6Loopback()) GTEST_SKIP() << "no IPv6 loopback";
  et::TempDir tmp;
  et::writeFile(tmp.file("six.txt"), "over IPv6\n");
  et::Process server({et::evnodeBinary(), "serve", tmp.path(), "--host", "::1", "--port", "0"});
  std::string line = server.waitForLine("listening on ", 20);
  int port = et::parsePortFromListeningLine(line);
  ASSERT_GT(port, 0) << line;
  auto r = evnodeGet({"http://[::1]:" + std::to_string(port) + "/six.txt"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "over IPv6\n");
}

TEST(CliGet, OutputFileThatCannotBeCreatedFailsInOneLine) {
  EVNODE_WATCHDOG(30);
  et::TempDir tmp;
  RawServer server(replyOnce("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", false));
  auto r = evnodeGet({server.base + "/", "-o", tmp.file("no/such/dir/out")});
  expectFailure(r, 23, "ENOENT");
  EXPECT_EQ(r.out, "");
}

TEST(CliGet, CloseDelimitedBodyFromRawServer) {
  EVNODE_WATCHDOG(30);
  const std::string body = et::randomBytes(300000, 3);
  // No Content-Length, no chunking: the body ends when the server closes.
  RawServer server(replyOnce("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + body));
  auto r = evnodeGet({server.base + "/"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out.size(), body.size());
  EXPECT_TRUE(r.out == body);
}

TEST(CliGet, CloseDelimitedBodyFromPythonHttp10) {
  EVNODE_WATCHDOG(60);
  if (!et::haveCommand("python3")) GTEST_SKIP() << "python3 is not installed";
  PythonServer server;
  ASSERT_GT(server.port, 0);
  auto r = evnodeGet({server.base + "/anything", "-i"});
  EXPECT_EQ(r.status, 0) << r.err;
  std::size_t end = r.out.find("\r\n\r\n");
  ASSERT_NE(end, std::string::npos) << r.out.substr(0, 200);
  EXPECT_EQ(r.out.rfind("HTTP/1.0 200 OK\r\n", 0), 0u) << r.out.substr(0, 200);
  std::string body = r.out.substr(end + 4);
  EXPECT_EQ(body.size(), pythonBody().size());
  EXPECT_TRUE(body == pythonBody());
}

TEST(CliGet, ChunkedBodyWithExtensionsAndTrailers) {
  EVNODE_WATCHDOG(30);
  // Odd chunk sizes, upper-case hex, a chunk extension and a trailer; the server keeps the
  // connection open, so only the terminating chunk ends the body.
  const std::string response =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
      "1\r\na\r\n"
      "1A;name=value\r\nbcdefghijklmnopqrstuvwxyz0\r\n"
      "3\r\n\r\n\n\r\n"
      "0\r\nX-Trailer: t\r\n\r\n";
  RawServer server(replyOnce(response, false));
  auto r = evnodeGet({server.base + "/"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "abcdefghijklmnopqrstuvwxyz0\r\n\n");
}

TEST(CliGet, TruncatedContentLengthBodyExits18) {
  EVNODE_WATCHDOG(30);
  RawServer server(replyOnce("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789"));
  auto r = evnodeGet({server.base + "/"});
  EXPECT_EQ(r.status, 18) << r.err;
  EXPECT_TRUE(isOneErrorLine(r.err)) << r.err;
  // What arrived may have been written; nothing beyond it.
  EXPECT_EQ(std::string("0123456789").rfind(r.out, 0), 0u) << r.out;
}

TEST(CliGet, TruncatedChunkedBodyExits18) {
  EVNODE_WATCHDOG(30);
  RawServer server(replyOnce(
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n20\r\nonly part"));
  auto r = evnodeGet({server.base + "/"});
  EXPECT_EQ(r.status, 18) << r.err;
  EXPECT_TRUE(isOneErrorLine(r.err)) << r.err;
}

// A chunk size that overflows 64 bits is a parse error, reported with Node's code, not a body
// "cut short" by ECONNRESET; the server keeps the connection open, so get must not wait for it.
TEST(CliGet, OverflowingChunkSizeIsAParseError) {
  EVNODE_WATCHDOG(30);
  RawServer server(
      replyOnce("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n"
                "ffffffffffffffffff\r\nhello\r\n0\r\n\r\n",
                false));
  auto start = Clock::now();
  auto r = evnodeGet({server.base + "/"}, "", 20);
  EXPECT_FALSE(r.timedOut);
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(10));
  expectFailure(r, 1, "HPE_INVALID_CHUNK_SIZE");
  EXPECT_EQ(r.err.find("ECONNRESET"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("cut short"), std::string::npos) << r.err;
  EXPECT_EQ(std::string("hello").rfind(r.out, 0), 0u) << r.out;
}

// A server that sends 100 Continue forever: get reads 32 of them (ResponseReader's cap), then
// fails in one line naming HPE_TOO_MANY_INFORMATIONAL, exit 1, instead of reading without end.
TEST(CliGet, EndlessInterimResponsesFailInsteadOfHanging) {
  EVNODE_WATCHDOG(60);
  const std::string interim = "HTTP/1.1 100 Continue\r\n\r\n";
  auto flood = [interim](int fd, RawServer& self) {
    std::string head, rest;
    if (!self.readHead(fd, head, rest)) return;
    self.recordHead(head);
    std::string batch;
    for (int i = 0; i < 16; ++i) batch += interim;
    // Until the client hangs up (or the test ends): never blocks, so stop is always seen.
    while (!self.stopping()) {
      pollfd p{fd, POLLOUT, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      if (p.revents & (POLLERR | POLLHUP)) return;
      if (::send(fd, batch.data(), batch.size(), MSG_NOSIGNAL | MSG_DONTWAIT) < 0 &&
          errno != EAGAIN) {
        return;
      }
    }
  };
  for (bool include : {false, true}) {
    RawServer server(flood);
    std::vector<std::string> args{server.base + "/"};
    if (include) args.push_back("-i");
    auto start = Clock::now();
    auto r = evnodeGet(args, "", 20);
    EXPECT_FALSE(r.timedOut) << include;
    EXPECT_LT(Clock::now() - start, std::chrono::seconds(10)) << include;
    expectFailure(r, 1, "HPE_TOO_MANY_INFORMATIONAL");
    if (!include) {
      EXPECT_EQ(r.out, "");
      continue;
    }
    // -i shows what was read: the interim heads up to the cap, no more.
    std::size_t heads = 0;
    for (std::size_t at = r.out.find(interim); at != std::string::npos;
         at = r.out.find(interim, at + interim.size())) {
      ++heads;
    }
    EXPECT_LE(heads, 32u);
    EXPECT_EQ(r.out.size(), heads * interim.size());
  }
}

TEST(CliGet, BodylessResponsesEndWithoutTheServerClosing) {
  EVNODE_WATCHDOG(60);
  // HEAD (a Content-Length but no body), 204 and 304: the server keeps the connection open, so
  // get must know from the message itself that it is complete.
  {
    RawServer server(replyOnce(
        "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\nContent-Type: text/plain\r\n\r\n", false));
    auto r = evnodeGet({server.base + "/", "-X", "HEAD", "-i"}, "", 20);
    EXPECT_FALSE(r.timedOut);
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.out, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\nContent-Type: text/plain\r\n\r\n");
    auto heads = server.heads();
    ASSERT_EQ(heads.size(), 1u);
    EXPECT_EQ(heads[0].rfind("HEAD / HTTP/1.1\r\n", 0), 0u) << heads[0];
  }
  for (std::string status : {"204 No Content", "304 Not Modified"}) {
    RawServer server(replyOnce("HTTP/1.1 " + status + "\r\nETag: \"x\"\r\n\r\n", false));
    auto r = evnodeGet({server.base + "/"}, "", 20);
    EXPECT_FALSE(r.timedOut) << status;
    EXPECT_EQ(r.status, 0) << status << r.err;
    EXPECT_EQ(r.out, "") << status;
  }
}

// ---------------------------------------------------------------------------------------------
// -i, -X, -H as they appear on the wire

TEST(CliGet, IncludePrintsStatusLineAndHeadersAsReceived) {
  EVNODE_WATCHDOG(30);
  const std::string head =
      "HTTP/1.1 404 Not Found Here\r\nX-Mixed-CASE: Some Value\r\nContent-Length: 5\r\n"
      "Set-Cookie: a=1\r\nSet-Cookie: b=2\r\n\r\n";
  RawServer server(replyOnce(head + "gone!", false));
  auto r = evnodeGet({server.base + "/missing", "-i"});
  EXPECT_EQ(r.status, 0) << r.err;  // a response arrived; no --fail
  EXPECT_EQ(r.out, head + "gone!");

  // --include is the long form; without it only the body.
  RawServer server2(replyOnce(head + "gone!", false));
  r = evnodeGet({server2.base + "/missing", "--include"});
  EXPECT_EQ(r.out, head + "gone!");
  RawServer server3(replyOnce(head + "gone!", false));
  r = evnodeGet({server3.base + "/missing"});
  EXPECT_EQ(r.out, "gone!");
}

TEST(CliGet, IncludeShowsInterimResponsesBeforeTheFinalOne) {
  EVNODE_WATCHDOG(30);
  const std::string interim = "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n";
  const std::string final = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n";
  RawServer server(replyOnce(interim + final + "hi", false));
  auto r = evnodeGet({server.base + "/", "-i"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, interim + final + "hi");
  RawServer server2(replyOnce(interim + final + "hi", false));
  r = evnodeGet({server2.base + "/"});
  EXPECT_EQ(r.out, "hi");
}

// URLs are WHATWG URLs, as Node's `new URL()` and curl make them: dot segments removed, the
// host lower-cased, spaces and non-ASCII bytes percent-encoded, the fragment never sent.
TEST(CliGet, UrlIsNormalisedAsWhatwgUrl) {
  EVNODE_WATCHDOG(30);
  RawServer server(replyOnce("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", false));
  const std::string base = "http://127.0.0.1:" + std::to_string(server.port);
  auto r = evnodeGet({base + "/sub/./x/%2e%2E/../hello.txt?a b=\xc3\xa9#frag"});
  EXPECT_EQ(r.status, 0) << r.err;
  auto heads = server.heads();
  ASSERT_EQ(heads.size(), 1u);
  EXPECT_EQ(heads[0].rfind("GET /hello.txt?a%20b=%C3%A9 HTTP/1.1\r\n", 0), 0u) << heads[0];

  RawServer server2(replyOnce("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", false));
  r = evnodeGet({"HTTP://u%40x:p@0x7F.1:" + std::to_string(server2.port) + "\\a\\..\\b"});
  EXPECT_EQ(r.status, 0) << r.err;
  heads = server2.heads();
  ASSERT_EQ(heads.size(), 1u);
  EXPECT_EQ(heads[0].rfind("GET /b HTTP/1.1\r\n", 0), 0u) << heads[0];
  EXPECT_NE(heads[0].find("\r\nHost: 127.0.0.1:" + std::to_string(server2.port) + "\r\n"),
            std::string::npos)
      << heads[0];
  // The user info is decoded before it is sent: "u@x:p".
  EXPECT_NE(heads[0].find("\r\nAuthorization: Basic dUB4OnA=\r\n"), std::string::npos) << heads[0];
}

TEST(CliGet, RequestHeadCarriesMethodPathAndHeaders) {
  EVNODE_WATCHDOG(30);
  RawServer server(replyOnce("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", false));
  auto r = evnodeGet({server.base + "/some/path?q=1&r=%20", "-H", "X-One: 1", "--header",
                      "x-two:   two words", "-H", "Accept: text/plain", "-X", "OPTIONS"});
  EXPECT_EQ(r.status, 0) << r.err;
  auto heads = server.heads();
  ASSERT_EQ(heads.size(), 1u);
  const std::string& h = heads[0];
  EXPECT_EQ(h.rfind("OPTIONS /some/path?q=1&r=%20 HTTP/1.1\r\n", 0), 0u) << h;
  EXPECT_NE(h.find("\r\nHost: 127.0.0.1:" + std::to_string(server.port) + "\r\n"),
            std::string::npos)
      << h;
  EXPECT_NE(h.find("\r\nX-One: 1\r\n"), std::string::npos) << h;
  EXPECT_NE(h.find("\r\nx-two: two words\r\n"), std::string::npos) << h;
  EXPECT_NE(h.find("\r\nAccept: text/plain\r\n"), std::string::npos) << h;
}

TEST(CliGet, HostHeaderFromTheCommandLineReplacesTheDefault) {
  EVNODE_WATCHDOG(30);
  RawServer server(replyOnce("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", false));
  auto r = evnodeGet({server.base + "/", "-H", "Host: example.test"});
  EXPECT_EQ(r.status, 0) << r.err;
  auto heads = server.heads();
  ASSERT_EQ(heads.size(), 1u);
  std::string lower;
  for (char c : heads[0]) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  EXPECT_NE(lower.find("\r\nhost: example.test\r\n"), std::string::npos) << heads[0];
  EXPECT_EQ(lower.find("host: 127.0.0.1"), std::string::npos) << heads[0];
}

TEST(CliGet, RedirectsAreNotFollowed) {
  EVNODE_WATCHDOG(30);
  RawServer server(replyOnce(
      "HTTP/1.1 301 Moved Permanently\r\nLocation: /elsewhere\r\nContent-Length: 6\r\n\r\nmoved\n",
      false));
  auto r = evnodeGet({server.base + "/here", "-i"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out,
            "HTTP/1.1 301 Moved Permanently\r\nLocation: /elsewhere\r\nContent-Length: 6\r\n\r\n"
            "moved\n");
  // Give a (wrongly) following client a moment to come back before counting.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(server.accepted.load(), 1);
  EXPECT_EQ(server.heads().size(), 1u);
}

// ---------------------------------------------------------------------------------------------
// --timeout: the whole request, from connect to the last body byte

TEST(CliGet, TimeoutWithoutAnyResponseExits28) {
  EVNODE_WATCHDOG(60);
  RawServer server([](int fd, RawServer& self) {
    std::string head, rest;
    if (self.readHead(fd, head, rest)) self.recordHead(head);
    self.drainUntilClosed(fd);  // never answers
  });
  auto t0 = Clock::now();
  auto r = evnodeGet({server.base + "/", "--timeout", "1"}, "", 45);
  double took = secondsSince(t0);
  EXPECT_FALSE(r.timedOut);
  expectFailure(r, 28, "");
  EXPECT_GE(took, 0.8);
  EXPECT_LT(took, 30.0);
  EXPECT_EQ(r.out, "");
}

TEST(CliGet, TimeoutBoundsABodyThatKeepsTrickling) {
  EVNODE_WATCHDOG(60);
  // A byte every 100 ms keeps the connection busy: an idle timeout would never fire; the
  // whole-request bound must.
  RawServer server([](int fd, RawServer& self) {
    std::string head, rest;
    if (!self.readHead(fd, head, rest)) return;
    if (!sendAll(fd, "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")) return;
    for (int i = 0; i < 600 && !self.stopping(); ++i) {
      if (!sendAll(fd, "x")) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });
  auto t0 = Clock::now();
  auto r = evnodeGet({server.base + "/", "--timeout", "1.5"}, "", 45);
  double took = secondsSince(t0);
  EXPECT_FALSE(r.timedOut);
  expectFailure(r, 28, "");
  EXPECT_GE(took, 1.3);
  EXPECT_LT(took, 30.0);
  // The bytes that did arrive went to stdout, and no more than were sent.
  EXPECT_LE(r.out.size(), 100u);
  EXPECT_EQ(r.out.find_first_not_of('x'), std::string::npos);
}

TEST(CliGet, TimeoutNotReachedExitsZero) {
  EVNODE_WATCHDOG(30);
  RawServer server(replyOnce("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nyes", false));
  auto r = evnodeGet({server.base + "/", "--timeout", "20"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "yes");
}

// ---------------------------------------------------------------------------------------------
// Against Node.js's http server

class CliGetNode : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (et::haveCommand("node")) node_ = new NodeServer();
  }
  static void TearDownTestSuite() {
    delete node_;
    node_ = nullptr;
  }
  void SetUp() override {
    if (node_ == nullptr) GTEST_SKIP() << "node is not installed";
    ASSERT_GT(node_->port, 0) << node_->proc.stderrSoFar();
  }
  static std::string url(const std::string& path) { return node_->base + path; }
  static NodeServer* node_;
};
NodeServer* CliGetNode::node_ = nullptr;

TEST_F(CliGetNode, PlainGet) {
  EVNODE_WATCHDOG(30);
  auto r = evnodeGet({url("/echo/plain?x=1")});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(jsonValue(r.out, "method"), "GET") << r.out;
  EXPECT_EQ(jsonValue(r.out, "url"), "/echo/plain?x=1") << r.out;
  EXPECT_EQ(jsonValue(r.out, "httpVersion"), "1.1") << r.out;
  EXPECT_EQ(jsonValue(r.out, "bodyLength"), "0") << r.out;
}

TEST_F(CliGetNode, DataImpliesPostAndIsSentExactly) {
  EVNODE_WATCHDOG(30);
  auto r = evnodeGet({url("/echo"), "-d", "a=1&b=two words"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(jsonValue(r.out, "method"), "POST") << r.out;
  EXPECT_EQ(jsonValue(r.out, "bodyHex"), toHex("a=1&b=two words")) << r.out;
  EXPECT_EQ(jsonValue(r.out, "content-length"), "15") << r.out;

  // --data is the long form; -X wins over the implied POST.
  r = evnodeGet({url("/echo"), "--data", "payload", "-X", "PUT"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(jsonValue(r.out, "method"), "PUT") << r.out;
  EXPECT_EQ(jsonValue(r.out, "bodyHex"), toHex("payload")) << r.out;

  // An empty -d still sends a (zero-length) body with POST.
  r = evnodeGet({url("/echo"), "-d", ""});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(jsonValue(r.out, "method"), "POST") << r.out;
  EXPECT_EQ(jsonValue(r.out, "bodyLength"), "0") << r.out;
}

TEST_F(CliGetNode, MethodsWithoutBody) {
  EVNODE_WATCHDOG(30);
  for (std::string m : {"DELETE", "PATCH", "OPTIONS", "GET"}) {
    auto r = evnodeGet({url("/echo"), "-X", m});
    EXPECT_EQ(r.status, 0) << m << r.err;
    EXPECT_EQ(jsonValue(r.out, "method"), m) << r.out;
    EXPECT_EQ(jsonValue(r.out, "bodyLength"), "0") << r.out;
  }
  auto r = evnodeGet({url("/echo"), "--request", "DELETE"});
  EXPECT_EQ(jsonValue(r.out, "method"), "DELETE") << r.out;
}

TEST_F(CliGetNode, DataFileSendsABinaryFileExactly) {
  EVNODE_WATCHDOG(60);
  et::TempDir tmp;
  const std::string data = et::randomBytes((2u << 20) + 123, 9);
  et::writeFile(tmp.file("body.bin"), data);
  auto r = evnodeGet({url("/echo"), "--data-file", tmp.file("body.bin")});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(jsonValue(r.out, "method"), "POST") << r.out;
  EXPECT_EQ(jsonValue(r.out, "bodyLength"), std::to_string(data.size())) << r.out;
  EXPECT_EQ(jsonValue(r.out, "bodySha256"), sha256Hex(data)) << r.out;
  EXPECT_EQ(jsonValue(r.out, "content-length"), std::to_string(data.size())) << r.out;

  r = evnodeGet({url("/echo"), "--data-file", tmp.file("body.bin"), "-X", "PUT"});
  EXPECT_EQ(jsonValue(r.out, "method"), "PUT") << r.out;
  EXPECT_EQ(jsonValue(r.out, "bodySha256"), sha256Hex(data)) << r.out;
}

TEST_F(CliGetNode, DataFileDashReadsStdin) {
  EVNODE_WATCHDOG(60);
  const std::string data = et::randomBytes(700000, 11);
  auto r = evnodeGet({url("/echo"), "--data-file", "-"}, data);
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(jsonValue(r.out, "method"), "POST") << r.out;
  EXPECT_EQ(jsonValue(r.out, "bodyLength"), std::to_string(data.size())) << r.out;
  EXPECT_EQ(jsonValue(r.out, "bodySha256"), sha256Hex(data)) << r.out;

  // Empty stdin: an empty body, and no hang.
  r = evnodeGet({url("/echo"), "--data-file", "-"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(jsonValue(r.out, "bodyLength"), "0") << r.out;
}

TEST_F(CliGetNode, MissingDataFileFailsInOneLine) {
  EVNODE_WATCHDOG(30);
  et::TempDir tmp;
  auto r = evnodeGet({url("/echo"), "--data-file", tmp.file("absent")});
  expectFailure(r, 1, "ENOENT");
  EXPECT_EQ(r.out, "");
}

TEST_F(CliGetNode, HeadersReachTheServerAsGiven) {
  EVNODE_WATCHDOG(30);
  auto r = evnodeGet({url("/echo"), "-H", "X-Custom-Thing: two words", "-H", "x-lower: v", "-H",
                      "Content-Type: text/csv", "-d", "a,b"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("\"X-Custom-Thing\",\"two words\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"x-lower\",\"v\""), std::string::npos) << r.out;
  // A Content-Type from -H replaces the one -d would add.
  EXPECT_EQ(jsonValue(r.out, "content-type"), "text/csv") << r.out;
  EXPECT_EQ(r.out.find("x-www-form-urlencoded"), std::string::npos) << r.out;
}

TEST_F(CliGetNode, ErrorStatusWithAndWithoutFail) {
  EVNODE_WATCHDOG(60);
  auto r = evnodeGet({url("/status/404")});
  EXPECT_EQ(r.status, 0) << r.err;  // a response arrived
  EXPECT_EQ(r.out, "status 404\n");
  EXPECT_EQ(r.err, "");

  r = evnodeGet({url("/status/404"), "--fail"});
  expectFailure(r, 22, "404");
  r = evnodeGet({url("/status/500"), "--fail"});
  expectFailure(r, 22, "500");
  r = evnodeGet({url("/status/400"), "--fail"});
  expectFailure(r, 22, "400");

  for (std::string path : {"/status/200", "/status/399", "/status/302"}) {
    r = evnodeGet({url(path), "--fail"});
    EXPECT_EQ(r.status, 0) << path << r.err;
    EXPECT_EQ(r.err, "") << path;
  }
}

TEST_F(CliGetNode, RedirectIsPrintedNotFollowed) {
  EVNODE_WATCHDOG(30);
  auto r = evnodeGet({url("/redirect"), "-i"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out.rfind("HTTP/1.1 302 Found\r\n", 0), 0u) << r.out;
  EXPECT_NE(r.out.find("\r\nLocation: /echo\r\n"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.substr(r.out.size() - 10), "\r\n\r\nmoved\n") << r.out;
}

TEST_F(CliGetNode, ChunkedBodyIsByteExact) {
  EVNODE_WATCHDOG(30);
  auto r = evnodeGet({url("/chunked"), "-i"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("\r\nTransfer-Encoding: chunked\r\n"), std::string::npos) << r.out;
  std::size_t end = r.out.find("\r\n\r\n");
  ASSERT_NE(end, std::string::npos);
  EXPECT_EQ(r.out.substr(end + 4), chunkedBody());
  r = evnodeGet({url("/chunked")});
  EXPECT_EQ(r.out, chunkedBody());
}

TEST(CliGet, UnixSocket) {
  EVNODE_WATCHDOG(60);
  if (!et::haveCommand("node")) GTEST_SKIP() << "node is not installed";
  et::TempDir tmp;
  const std::string path = tmp.file("node.sock");
  NodeServer node(path);
  auto r = evnodeGet({"http://localhost/echo/unix", "--unix-socket", path, "-d", "over unix"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(jsonValue(r.out, "url"), "/echo/unix") << r.out;
  EXPECT_EQ(jsonValue(r.out, "method"), "POST") << r.out;
  EXPECT_EQ(jsonValue(r.out, "bodyHex"), toHex("over unix")) << r.out;
  EXPECT_EQ(jsonValue(r.out, "host"), "localhost") << r.out;

  // A socket path where nothing listens.
  r = evnodeGet({"http://localhost/", "--unix-socket", tmp.file("nobody.sock")});
  expectFailure(r, 7, "ENOENT");
}

}  // namespace
