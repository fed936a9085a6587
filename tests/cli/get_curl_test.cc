// `evnode get` as curl users expect it (CLI.md): -L (redirect statuses, method rules, relative
// locations, the limit of 20, credentials kept to their origin), -I, -v, -O, -s/-S, bundled
// short options, option values never read as options, WHATWG URLs on the wire, any --timeout,
// curl's exit statuses, and the error line after a progress bar. Peers: Node.js's http server
// (tests/cli/http_peers.h), `evnode serve`, curl itself where it decides what "as curl" means,
// and raw servers that misbehave on purpose.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <string>
#include <vector>

#include "cli/http_peers.h"
#include "evnode/version.h"
#include "support/testing.h"

namespace {

namespace et = evnode::testing;
using namespace evnode::clitest;

#define NEED_NODE() \
  if (!et::haveCommand("node")) GTEST_SKIP() << "node is not installed"

// ---------------------------------------------------------------------------------------------
// The command line

// `-d --help` sends the text "--help"; an option's value is never read as an option, whatever
// it looks like and wherever it stands.
TEST(CliGetCurl, OptionValuesAreNeverReadAsOptions) {
  EVNODE_WATCHDOG(60);
  NEED_NODE();
  NodeServer node;
  ASSERT_GT(node.port, 0);
  auto r = evnodeGet({"-d", "--help", node.base + "/echo"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(jsonValue(r.out, "bodyHex"), toHex("--help")) << r.out;
  r = evnodeGet({node.base + "/echo", "-d", "-i"});  // no head printed: -i is the body
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out.rfind("{", 0), 0u) << r.out;
  EXPECT_EQ(jsonValue(r.out, "bodyHex"), toHex("-i")) << r.out;
  r = evnodeGet({node.base + "/echo", "-H", "--fail"});  // a header without a colon
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err, "evnode: invalid header '--fail' (expected 'Name: value')\n");
}

TEST(CliGetCurl, ShortOptionsBundleAsInCurl) {
  EVNODE_WATCHDOG(60);
  NEED_NODE();
  NodeServer node;
  ASSERT_GT(node.port, 0);
  // -sSL: silent, errors shown, redirects followed.
  auto r = evnodeGet({"-sSL", node.base + "/redirect"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(jsonValue(r.out, "url"), "/echo") << r.out;
  // -XPUT: the value attached to its option; -sX PUT: the last letter takes the next word.
  r = evnodeGet({"-XPUT", node.base + "/echo", "-d", "x"});
  EXPECT_EQ(jsonValue(r.out, "method"), "PUT") << r.out << r.err;
  r = evnodeGet({"-sX", "PATCH", node.base + "/echo"});
  EXPECT_EQ(jsonValue(r.out, "method"), "PATCH") << r.out << r.err;
  // An unknown letter in a bundle is an unknown option.
  r = evnodeGet({"-sZ", node.base + "/echo"});
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err, "evnode: unknown option '-Z'\n");
}

// ---------------------------------------------------------------------------------------------
// -L

TEST(CliGetCurl, FollowsRedirectsOnlyWithL) {
  EVNODE_WATCHDOG(60);
  NEED_NODE();
  NodeServer node;
  ASSERT_GT(node.port, 0);
  auto r = evnodeGet({node.base + "/hops/302/3", "-L"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(jsonValue(r.out, "url"), "/echo/landed") << r.out;
  // With -i every response's head is printed, as curl -iL does.
  r = evnodeGet({node.base + "/hops/301/1", "-L", "-i"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out.rfind("HTTP/1.1 301 Moved Permanently\r\n", 0), 0u) << r.out;
  EXPECT_NE(r.out.find("\r\nLocation: /hops/301/0\r\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\r\n\r\nHTTP/1.1 301 Moved Permanently\r\n"), std::string::npos);
  EXPECT_NE(r.out.find("\r\nLocation: /echo/landed\r\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\r\n\r\nHTTP/1.1 200 OK\r\n"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("hop "), std::string::npos) << r.out;  // redirect bodies are not output
  // Without -L: the redirect itself.
  r = evnodeGet({node.base + "/hops/302/3"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "hop 3\n");
}

TEST(CliGetCurl, RelativeLocationsResolveAgainstTheUrl) {
  EVNODE_WATCHDOG(60);
  NEED_NODE();
  NodeServer node;
  ASSERT_GT(node.port, 0);
  auto r = evnodeGet({node.base + "/rel/x/y", "-L"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(jsonValue(r.out, "url"), "/echo/rel?q=1") << r.out;
}

// 301/302/303 turn a POST into a GET without its body; 307/308 resend both, as curl does.
TEST(CliGetCurl, RedirectMethodRulesAreCurls) {
  EVNODE_WATCHDOG(60);
  NEED_NODE();
  NodeServer node;
  ASSERT_GT(node.port, 0);
  for (std::string code : {"301", "302", "303"}) {
    auto r = evnodeGet({node.base + "/hops/" + code + "/0", "-L", "-d", "payload"});
    EXPECT_EQ(r.status, 0) << code << r.err;
    EXPECT_EQ(jsonValue(r.out, "method"), "GET") << code << r.out;
    EXPECT_EQ(jsonValue(r.out, "bodyLength"), "0") << code << r.out;
    EXPECT_EQ(r.out.find("content-type"), std::string::npos) << code << r.out;
  }
  for (std::string code : {"307", "308"}) {
    auto r = evnodeGet({node.base + "/hops/" + code + "/1", "-L", "-d", "payload"});
    EXPECT_EQ(r.status, 0) << code << r.err;
    EXPECT_EQ(jsonValue(r.out, "method"), "POST") << code << r.out;
    EXPECT_EQ(jsonValue(r.out, "bodyHex"), toHex("payload")) << code << r.out;
  }
  // A PUT stays a PUT through a 302 (only POST changes), and 303 makes anything but HEAD a GET.
  auto r = evnodeGet({node.base + "/hops/302/0", "-L", "-X", "PUT", "-d", "p"});
  EXPECT_EQ(jsonValue(r.out, "method"), "PUT") << r.out;
  r = evnodeGet({node.base + "/hops/303/0", "-L", "-X", "DELETE"});
  EXPECT_EQ(jsonValue(r.out, "method"), "GET") << r.out;
}

TEST(CliGetCurl, AtMostTwentyRedirectsThenExit47) {
  EVNODE_WATCHDOG(60);
  NEED_NODE();
  NodeServer node;
  ASSERT_GT(node.port, 0);
  auto r = evnodeGet({node.base + "/hops/302/19", "-L"});  // 20 redirects: allowed
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(jsonValue(r.out, "url"), "/echo/landed") << r.out;
  r = evnodeGet({node.base + "/hops/302/20", "-L"});  // 21
  EXPECT_EQ(r.status, 47) << r.err;
  EXPECT_EQ(r.err, "evnode: maximum (20) redirects followed\n");
  EXPECT_EQ(r.out, "");
  if (et::haveCommand("curl")) {  // curl agrees on the status
    auto c =
        et::runProcess({"curl", "-sS", "-L", "--max-redirs", "20", node.base + "/hops/302/20"});
    EXPECT_EQ(c.status, 47) << c.err;
  }
}

// Authorization and Cookie headers go to the origin they were given for, never to another one
// a redirect points at (curl's rule since 7.58).
TEST(CliGetCurl, CredentialsStayWithTheirOrigin) {
  EVNODE_WATCHDOG(60);
  NEED_NODE();
  NodeServer first, second;
  ASSERT_GT(first.port, 0);
  ASSERT_GT(second.port, 0);
  auto r = evnodeGet({first.base + "/away/" + std::to_string(second.port), "-L", "-H",
                      "Authorization: Bearer secret", "-H", "Cookie: a=b", "-H", "X-Other: kept"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(jsonValue(r.out, "url"), "/echo/away") << r.out;
  EXPECT_EQ(r.out.find("secret"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("a=b"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("kept"), std::string::npos) << r.out;
  // On the same origin they stay.
  r = evnodeGet({first.base + "/redirect", "-L", "-H", "Authorization: Bearer secret"});
  EXPECT_NE(r.out.find("Bearer secret"), std::string::npos) << r.out;
}

// ---------------------------------------------------------------------------------------------
// -I, -v, -O, -s/-S

TEST(CliGetCurl, HeadPrintsTheHeadersOnly) {
  EVNODE_WATCHDOG(60);
  et::TempDir tmp;
  et::writeFile(tmp.file("f.txt"), "twelve bytes");
  ServeServer server(tmp.path());
  ASSERT_GT(server.port, 0);
  auto r = evnodeGet({"-I", server.base + "/f.txt"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << r.out;
  EXPECT_NE(r.out.find("\r\nContent-Length: 12\r\n"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.substr(r.out.size() - 4), "\r\n\r\n") << r.out;  // and no body
  r = evnodeGet({"-I", "-d", "x", server.base + "/f.txt"});
  EXPECT_EQ(r.status, 2);
  EXPECT_TRUE(isOneErrorLine(r.err)) << r.err;
}

TEST(CliGetCurl, VerbosePrintsBothHeadsOnStderr) {
  EVNODE_WATCHDOG(60);
  RawServer server(replyOnce("HTTP/1.1 200 OK\r\nContent-Length: 4\r\nX-Y: z\r\n\r\nbody", false));
  auto r = evnodeGet({"-v", server.base + "/p?q", "-H", "X-Mine: 1"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "body");
  ASSERT_EQ(server.heads().size(), 1u);
  // The request head exactly as sent, each line behind "> "; then the response's behind "< ".
  std::string sent = server.heads()[0], expected;
  for (std::size_t p = 0; p < sent.size();) {
    std::size_t eol = sent.find("\r\n", p);
    expected += "> " + sent.substr(p, eol + 2 - p);
    p = eol + 2;
  }
  expected += "< HTTP/1.1 200 OK\r\n< Content-Length: 4\r\n< X-Y: z\r\n< \r\n";
  EXPECT_EQ(r.err, expected);
  EXPECT_EQ(sent.rfind("GET /p?q HTTP/1.1\r\n", 0), 0u) << sent;
}

// The request carries curl's defaults, User-Agent (evnode's own) and Accept: */*; -H replaces
// them, -H 'Name:' sends no such header at all, -H 'Name;' sends it empty (curl's rules).
TEST(CliGetCurl, DefaultHeadersAndCurlsRulesToDropOrEmptyOne) {
  EVNODE_WATCHDOG(60);
  NEED_NODE();
  NodeServer node;
  ASSERT_GT(node.port, 0);
  auto r = evnodeGet({node.base + "/echo"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("\"user-agent\":\"evnode/" EVNODE_VERSION_STRING "\""), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("\"accept\":\"*/*\""), std::string::npos) << r.out;
  r = evnodeGet({node.base + "/echo", "-H", "User-Agent: mine/1", "-H", "accept: text/plain"});
  EXPECT_NE(r.out.find("\"user-agent\":\"mine/1\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"accept\":\"text/plain\""), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("evnode/"), std::string::npos) << r.out;  // replaced, not added twice
  r = evnodeGet({node.base + "/echo", "-H", "User-Agent:", "-H", "X-Empty;"});
  EXPECT_EQ(r.out.find("user-agent"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"x-empty\":\"\""), std::string::npos) << r.out;
}

// curl's "-o -" is standard output, not a file named "-".
TEST(CliGetCurl, OutputDashIsStandardOutput) {
  EVNODE_WATCHDOG(60);
  et::TempDir site, cwd;
  et::writeFile(site.file("f.txt"), "to stdout\n");
  ServeServer server(site.path());
  ASSERT_GT(server.port, 0);
  auto r = et::runProcess({"bash", "-c", "cd \"$1\" && exec \"$0\" get -o - \"$2\"",
                           et::evnodeBinary(), cwd.path(), server.base + "/f.txt"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "to stdout\n");
  struct stat st;
  EXPECT_NE(::stat(cwd.file("-").c_str(), &st), 0);  // no file named "-"
}

// -i prints every head as received, byte for byte (the spacing around values included, which
// the parsed fields lose), interim ones first, and a chunked body's trailers after the body;
// -v shows the interim heads too. curl, where installed, prints the same bytes.
TEST(CliGetCurl, IncludePrintsHeadsAsReceivedInterimHeadsAndTrailers) {
  EVNODE_WATCHDOG(60);
  const std::string heads =
      "HTTP/1.1 100 Continue\r\n\r\n"
      "HTTP/1.1 103 Early Hints\r\nLink:  </a.css>; rel=preload\r\n\r\n"
      "HTTP/1.1 200 OK\r\nX-A:value\r\nX-B:   padded   \r\nTransfer-Encoding: chunked\r\n"
      "Trailer: X-Sum\r\n\r\n";
  RawServer server(replyOnce(heads + "5\r\nhello\r\n6\r\n world\r\n0\r\nX-Sum: 42\r\n\r\n"));
  const std::string expected = heads + "hello world" + "X-Sum: 42\r\n";
  auto r = evnodeGet({"-i", server.base + "/"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, expected);
  if (et::haveCommand("curl")) {
    auto c = et::runProcess({"curl", "-si", server.base + "/"});
    EXPECT_EQ(c.out, r.out);
  }
  r = evnodeGet({"-v", server.base + "/"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "hello world");
  EXPECT_NE(r.err.find("< HTTP/1.1 100 Continue\r\n< \r\n< HTTP/1.1 103 Early Hints\r\n"
                       "< Link:  </a.css>; rel=preload\r\n< \r\n< HTTP/1.1 200 OK\r\n"
                       "< X-A:value\r\n< X-B:   padded   \r\n"),
            std::string::npos)
      << r.err;
}

TEST(CliGetCurl, RemoteNameSavesUnderTheLastPathSegment) {
  EVNODE_WATCHDOG(60);
  et::TempDir site, cwd;
  et::writeFile(site.file("report.txt"), "the report\n");
  ServeServer server(site.path());
  ASSERT_GT(server.port, 0);
  auto r = et::runProcess({"bash", "-c", "cd \"$1\" && exec \"$0\" get -O \"$2\"",
                           et::evnodeBinary(), cwd.path(), server.base + "/report.txt?v=2"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(et::readFile(cwd.file("report.txt")), "the report\n");
  // A URL without a file name: nothing to save under (curl's 23).
  r = evnodeGet({"-O", server.base + "/"});
  EXPECT_EQ(r.status, 23);
  EXPECT_TRUE(isOneErrorLine(r.err)) << r.err;
}

// -i with -o: the heads go into the file with the body, as curl writes them; stdout stays
// empty. With -L every head is there.
TEST(CliGetCurl, IncludeWithOutputFileWritesTheHeadsIntoTheFile) {
  EVNODE_WATCHDOG(60);
  NEED_NODE();
  NodeServer node;
  ASSERT_GT(node.port, 0);
  et::TempDir tmp;
  auto r = evnodeGet({"-i", "-L", "-o", tmp.file("out"), node.base + "/hops/302/0"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "");
  std::string got = et::readFile(tmp.file("out"));
  EXPECT_EQ(got.rfind("HTTP/1.1 302 Found\r\n", 0), 0u) << got;
  EXPECT_NE(got.find("\r\n\r\nHTTP/1.1 200 OK\r\n"), std::string::npos) << got;
  EXPECT_EQ(jsonValue(got, "url"), "/echo/landed") << got;
}

TEST(CliGetCurl, SilentHidesErrorsUnlessShowError) {
  EVNODE_WATCHDOG(60);
  int port = et::freePort();
  ASSERT_GT(port, 0);
  const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/";
  auto r = evnodeGet({"-s", url});
  EXPECT_EQ(r.status, 7);
  EXPECT_EQ(r.err, "");
  r = evnodeGet({"-s", "-S", url});
  EXPECT_EQ(r.status, 7);
  EXPECT_EQ(r.err.rfind("evnode: connect ECONNREFUSED", 0), 0u) << r.err;
  EXPECT_TRUE(isOneErrorLine(r.err)) << r.err;
}

// --compressed is an ordinary option (gzip_test.cc decodes with it): the run gets as far as
// the connection.
TEST(CliGetCurl, CompressedIsAccepted) {
  EVNODE_WATCHDOG(30);
  auto r = evnodeGet({"--compressed", "http://127.0.0.1:1/"});
  EXPECT_EQ(r.status, 7);
  EXPECT_TRUE(isOneErrorLine(r.err)) << r.err;
}

// ---------------------------------------------------------------------------------------------
// URLs and timeouts

// The host is lower-cased as a WHATWG URL's is (get_test.cc checks the path), and --resolve
// matches the host as parsed.
TEST(CliGetCurl, HostIsLowerCasedAndResolveMatchesIt) {
  EVNODE_WATCHDOG(60);
  RawServer server(replyOnce("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", false));
  const std::string port = std::to_string(server.port);
  auto r = evnodeGet({"HTTP://EXAMPLE.Test:" + port + "/A/./B", "--resolve",
                      "example.test:" + port + ":127.0.0.1"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "ok");
  auto heads = server.heads();
  ASSERT_EQ(heads.size(), 1u);
  EXPECT_EQ(heads[0].rfind("GET /A/B HTTP/1.1\r\n", 0), 0u) << heads[0];
  EXPECT_NE(heads[0].find("\r\nHost: example.test:" + port + "\r\n"), std::string::npos)
      << heads[0];
}

TEST(CliGetCurl, TimeoutTakesAnyValue) {
  EVNODE_WATCHDOG(60);
  RawServer server(replyOnce("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nyes", false));
  // Beyond a 32-bit millisecond timer, and unbounded: neither fires at once.
  for (std::string t : {"2147484", "1e12", "inf", "0", "0.25e3"}) {
    auto r = evnodeGet({server.base + "/", "--timeout", t});
    EXPECT_EQ(r.status, 0) << t << ": " << r.err;
    EXPECT_EQ(r.out, "yes") << t;
  }
  // A request that fails before it starts does not wait for its deadline.
  auto started = std::chrono::steady_clock::now();
  auto bad = evnodeGet({"not a url", "--timeout", "30"});
  EXPECT_EQ(bad.status, 3) << bad.err;
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(10));
  for (std::string t : {"-1", "soon", "nan", ""}) {
    auto r = evnodeGet({server.base + "/", "--timeout", t});
    EXPECT_EQ(r.status, 2) << t;
    EXPECT_TRUE(isOneErrorLine(r.err)) << t << r.err;
  }
}

// ---------------------------------------------------------------------------------------------
// Exit statuses (the ones not covered in get_test.cc)

// https:// to a plain HTTP server: the handshake fails (curl's 35).
TEST(CliGetCurl, TlsHandshakeFailureExits35) {
  EVNODE_WATCHDOG(60);
  // It answers the ClientHello (which holds no "\r\n\r\n") with an HTTP error, then closes.
  RawServer server([](int fd, RawServer& self) {
    std::string hello;
    if (!self.readSome(fd, hello)) return;
    sendAll(fd, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    ::shutdown(fd, SHUT_WR);
    self.drainUntilClosed(fd);
  });
  auto r = evnodeGet({"https://127.0.0.1:" + std::to_string(server.port) + "/", "-k"});
  EXPECT_EQ(r.status, 35) << r.err;
  EXPECT_TRUE(isOneErrorLine(r.err)) << r.err;
  EXPECT_NE(r.err.find("ERR_SSL_"), std::string::npos) << r.err;
  if (et::haveCommand("curl")) {
    auto c = et::runProcess(
        {"curl", "-sS", "-k", "https://127.0.0.1:" + std::to_string(server.port) + "/"});
    EXPECT_EQ(c.status, 35) << c.err;
  }
}

// A body cut short under a progress bar: the error starts its own line.
TEST(CliGetCurl, ErrorLineFollowsTheProgressBarOnItsOwnLine) {
  EVNODE_WATCHDOG(60);
  if (!et::haveCommand("python3")) GTEST_SKIP() << "python3 is not installed";
  et::TempDir tmp;
  RawServer server(
      replyOnce("HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n" + std::string(30000, 'x')));
  auto r = runWithTtyStderr({et::evnodeBinary(), "get", server.base + "/", "-o", tmp.file("out")},
                            tmp.file("stdout"));
  EXPECT_EQ(r.status, 18) << r.out;
  // The terminal shows the bar, then a line break, then the error (the tty turns \n into \r\n).
  std::size_t err = r.out.find("evnode: ");
  ASSERT_NE(err, std::string::npos) << r.out;
  EXPECT_NE(r.out.find("%"), std::string::npos) << r.out;
  ASSERT_GE(err, 2u);
  EXPECT_EQ(r.out.substr(err - 2, 2), "\r\n") << r.out;
}

}  // namespace
