// Content codings end to end: `evnode get --compressed` against a Node.js server sending gzip,
// deflate (zlib and raw), br, a corrupt and a truncated body (curl's exit 61), and
// `evnode serve --gzip` driven by curl --compressed: negotiation with q-values, Vary, coded
// bodies (chunked; kept for cached files), coded ETags and 304s, ranges answered
// uncompressed, precompressed siblings, HEAD, and types left alone.
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "support/testing.h"

namespace {

namespace et = evnode::testing;

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string text(std::size_t n) {
  std::string s;
  const char* words[] = {"alpha ", "beta ", "<p>gamma</p>\n", "{\"delta\": 4}, "};
  std::uint64_t x = 88172645463325252ull;
  while (s.size() < n) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    s += words[x % 4];
  }
  s.resize(n);
  return s;
}

struct Reply {
  int exit = -1;
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body, err;
  std::string header(const std::string& name) const {
    for (const auto& [n, v] : headers) {
      if (n == name) return v;
    }
    return "";
  }
  bool has(const std::string& name) const {
    for (const auto& h : headers) {
      if (h.first == name) return true;
    }
    return false;
  }
};

Reply parse(const std::string& raw) {
  Reply r;
  std::size_t end = raw.find("\r\n\r\n");
  if (end == std::string::npos) return r;
  std::istringstream in(raw.substr(0, end));
  std::string line;
  std::getline(in, line);
  std::sscanf(line.c_str(), "HTTP/%*s %d", &r.status);
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(" \t"));
    r.headers.emplace_back(lower(line.substr(0, colon)), value);
  }
  r.body = raw.substr(end + 4);
  return r;
}

Reply run(std::vector<std::string> argv) {
  et::ProcResult p = et::runProcess(argv, "", 60);
  Reply r = parse(p.out);
  r.exit = p.status;
  r.err = p.err;
  return r;
}

Reply curl(const std::string& url, std::vector<std::string> args) {
  std::vector<std::string> argv{"curl", "-sS", "-i", "--max-time", "30"};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.push_back(url);
  return run(argv);
}

// Node's http server sending one body in each coding (made by Node's own zlib), in small writes
// so the client decodes a stream. The request's Accept-Encoding comes back as x-accept-encoding.
const char* kNodeServer = R"JS(
const http = require('http'), zlib = require('zlib');
let body = '';
const words = ['alpha ', 'beta ', '<p>gamma</p>\n', '{"delta": 4}, '];
let x = 7;
while (body.length < 300000) { x = (x * 69069 + 1) % 4294967296; body += words[Math.floor(x / 65536) % 4]; }
body = Buffer.from(body);
const coded = {
  gzip: ['gzip', zlib.gzipSync(body)],
  deflate: ['deflate', zlib.deflateSync(body)],
  rawdeflate: ['deflate', zlib.deflateRawSync(body)],
  br: ['br', zlib.brotliCompressSync(body)],
  identity: [null, body],
  corrupt: ['gzip', (() => { const b = zlib.gzipSync(body); b[3] = 0xe0; return b; })()],
  truncated: ['br', zlib.brotliCompressSync(body).subarray(0, 2000)],
  unknown: ['compress', body],
};
http.createServer((req, res) => {
  const c = coded[req.url.slice(1)];
  if (req.url === '/plain') { res.end(body); return; }
  const headers = {'x-accept-encoding': String(req.headers['accept-encoding'])};
  if (c[0]) headers['Content-Encoding'] = c[0];
  res.writeHead(200, headers);
  let i = 0;
  const step = () => {
    if (i >= c[1].length) return res.end();
    res.write(c[1].subarray(i, i + 997));
    i += 997;
    setImmediate(step);
  };
  step();
}).listen(0, '127.0.0.1', function () { console.log('PORT ' + this.address().port); });
)JS";

std::string nodeBody() {
  // The same body as the server's, computed by the same recipe.
  std::string body;
  const char* words[] = {"alpha ", "beta ", "<p>gamma</p>\n", "{\"delta\": 4}, "};
  std::uint64_t x = 7;
  while (body.size() < 300000) {
    x = (x * 69069 + 1) % 4294967296ull;
    body += words[(x >> 16) % 4];
  }
  return body;
}

TEST(CliGzip, GetCompressedDecodesWhatNodeSends) {
  if (!et::haveCommand("node")) GTEST_SKIP() << "no node";
  EVNODE_WATCHDOG(120);
  et::Process node({"node", "-e", kNodeServer});
  std::string line = node.waitForLine("PORT ", 20);
  ASSERT_FALSE(line.empty());
  const std::string base = "http://127.0.0.1:" + line.substr(5) + "/";
  const std::string body = nodeBody();
  const std::string bin = et::evnodeBinary();
  for (const char* path : {"gzip", "deflate", "rawdeflate", "br", "identity", "plain"}) {
    SCOPED_TRACE(path);
    Reply r = run({bin, "get", "--compressed", "-i", base + path});
    ASSERT_EQ(r.exit, 0) << r.err;
    EXPECT_EQ(r.status, 200);
    EXPECT_TRUE(r.body == body) << r.body.size();
    if (std::string(path) != "plain") {
      EXPECT_EQ(r.header("x-accept-encoding"), "deflate, gzip, br");  // curl's list
    }
    // -i shows the head as it came: the coding, and no length.
    if (std::string(path) == "br") {
      EXPECT_EQ(r.header("content-encoding"), "br");
    }
    // -o FILE holds the decoded bytes too.
    et::TempDir dir;
    Reply o = run({bin, "get", "--compressed", "-s", "-o", dir.file("out"), base + path});
    ASSERT_EQ(o.exit, 0) << o.err;
    EXPECT_TRUE(et::readFile(dir.file("out")) == body);
  }
  // Without --compressed: no Accept-Encoding asked for, and the bytes are left as sent.
  Reply raw = run({bin, "get", "-i", base + "gzip"});
  EXPECT_EQ(raw.header("x-accept-encoding"), "undefined");
  EXPECT_EQ(raw.body.substr(0, 2), "\x1f\x8b");
  // A body that does not decode: curl's 61, one line.
  for (const char* path : {"corrupt", "truncated", "unknown"}) {
    SCOPED_TRACE(path);
    Reply bad = run({bin, "get", "--compressed", base + path});
    EXPECT_EQ(bad.exit, 61);
    EXPECT_EQ(bad.err.rfind("evnode: ", 0), 0u) << bad.err;
    EXPECT_EQ(std::count(bad.err.begin(), bad.err.end(), '\n'), 1) << bad.err;
    EXPECT_TRUE(body.find(bad.body) == 0 || bad.body.empty());  // what decoded before, if any
  }
  std::string corruptErr = run({bin, "get", "--compressed", base + "corrupt"}).err;
  EXPECT_NE(corruptErr.find("Z_DATA_ERROR"), std::string::npos) << corruptErr;
  EXPECT_NE(
      run({bin, "get", "--compressed", base + "truncated"}).err.find("unexpected end of file"),
      std::string::npos);
}

struct Serve {
  et::Process proc;
  std::string base;
  explicit Serve(const std::string& dir)
      : proc({et::evnodeBinary(), "serve", dir, "--port", "0", "--gzip", "-q"}) {
    std::string line = proc.waitForLine("listening on ", 20);
    base = line.substr(line.find("http://")) + "/";
  }
};

std::string gunzip(const std::string& data) { return et::runProcess({"gzip", "-dc"}, data).out; }

TEST(CliGzip, ServeGzipNegotiatesWithCurl) {
  EVNODE_WATCHDOG(120);
  et::TempDir dir;
  const std::string small = text(20000), big = text(2 << 20);  // cached, and sent from disk
  et::writeFile(dir.file("small.txt"), small);
  et::writeFile(dir.file("big.json"), big);
  et::writeFile(dir.file("pic.png"), small);
  Serve s(dir.path());
  for (const char* name : {"small.txt", "big.json"}) {
    SCOPED_TRACE(name);
    const std::string& want = std::string(name) == "small.txt" ? small : big;
    const std::string url = s.base + name;
    // curl --compressed asks for deflate, gzip, br (and zstd): br wins.
    Reply br = curl(url, {"--compressed"});
    ASSERT_EQ(br.exit, 0) << br.err;
    EXPECT_EQ(br.status, 200);
    EXPECT_EQ(br.header("content-encoding"), "br");
    EXPECT_EQ(br.header("vary"), "Accept-Encoding");
    // A small file (from the cache) is compressed once and its coded body kept; a larger one
    // is compressed as it is read. Both go out chunked.
    const bool cached = std::string(name) == "small.txt";
    EXPECT_FALSE(br.has("content-length"));
    EXPECT_EQ(br.header("transfer-encoding"), "chunked");
    EXPECT_TRUE(br.body == want);  // curl decoded it
    // gzip alone, decoded by the gzip command.
    Reply gz = curl(url, {"-H", "Accept-Encoding: gzip"});
    EXPECT_EQ(gz.header("content-encoding"), "gzip");
    EXPECT_LT(gz.body.size(), want.size() / 2);
    EXPECT_TRUE(gunzip(gz.body) == want);
    if (cached) {
      // The kept body is what the next request gets.
      EXPECT_TRUE(curl(url, {"-H", "Accept-Encoding: gzip"}).body == gz.body);
    }
    // q-values.
    EXPECT_EQ(curl(url, {"-H", "Accept-Encoding: br;q=0.5, gzip;q=0.9"}).header("content-encoding"),
              "gzip");
    EXPECT_EQ(curl(url, {"-H", "Accept-Encoding: gzip;q=0.5, br"}).header("content-encoding"),
              "br");
    EXPECT_EQ(curl(url, {"-H", "Accept-Encoding: br;q=0, *"}).header("content-encoding"), "gzip");
    EXPECT_EQ(curl(url, {"-H", "Accept-Encoding: identity;q=0, gzip"}).header("content-encoding"),
              "gzip");
    // Identity: the plain bytes with their length, still Vary.
    Reply plain = curl(url, {});
    EXPECT_FALSE(plain.has("content-encoding"));
    EXPECT_EQ(plain.header("vary"), "Accept-Encoding");
    EXPECT_EQ(plain.header("content-length"), std::to_string(want.size()));
    EXPECT_TRUE(plain.body == want);
    EXPECT_EQ(curl(url, {"-H", "Accept-Encoding: gzip;q=0, br;q=0"}).header("content-encoding"),
              "");
    EXPECT_EQ(curl(url, {"-H", "Accept-Encoding: *;q=0"}).status, 406);
    // ETags: one per representation, and If-None-Match works for each.
    const std::string etag = plain.header("etag"), etagGz = gz.header("etag"),
                      etagBr = br.header("etag");
    EXPECT_EQ(etagGz, etag.substr(0, etag.size() - 1) + "-gzip\"");
    EXPECT_EQ(etagBr, etag.substr(0, etag.size() - 1) + "-br\"");
    Reply nm = curl(url, {"-H", "Accept-Encoding: gzip", "-H", "If-None-Match: " + etagGz});
    EXPECT_EQ(nm.status, 304);
    EXPECT_EQ(nm.header("etag"), etagGz);
    EXPECT_EQ(nm.header("vary"), "Accept-Encoding");
    EXPECT_EQ(curl(url, {"-H", "If-None-Match: " + etag}).status, 304);
    EXPECT_EQ(curl(url, {"-H", "Accept-Encoding: gzip", "-H", "If-None-Match: " + etag}).status,
              200);
    EXPECT_EQ(curl(url, {"-H", "If-None-Match: " + etagGz}).status, 200);
    // A range is answered from the plain bytes.
    Reply range = curl(url, {"-H", "Accept-Encoding: gzip, br", "-r", "100-199"});
    EXPECT_EQ(range.status, 206);
    EXPECT_FALSE(range.has("content-encoding"));
    EXPECT_EQ(range.header("vary"), "Accept-Encoding");
    EXPECT_EQ(range.body, want.substr(100, 100));
    // HEAD: GET's head without the body.
    Reply head = curl(url, {"-I", "-H", "Accept-Encoding: gzip"});
    EXPECT_EQ(head.header("content-encoding"), "gzip");
    EXPECT_EQ(head.header("etag"), etagGz);
    EXPECT_FALSE(head.has("content-length"));
    EXPECT_TRUE(head.body.empty());
    // evnode's own client decodes it too.
    Reply ours = run({et::evnodeBinary(), "get", "--compressed", url});
    EXPECT_EQ(ours.exit, 0);
    EXPECT_TRUE(ours.body.empty());  // not -i: parse() found no head
  }
  // An image is left alone: no coding, no Vary.
  Reply png = curl(s.base + "pic.png", {"--compressed"});
  EXPECT_FALSE(png.has("content-encoding"));
  EXPECT_FALSE(png.has("vary"));
  EXPECT_TRUE(png.body == small);
  // evnode get --compressed against it, byte-exact.
  et::ProcResult g =
      et::runProcess({et::evnodeBinary(), "get", "--compressed", s.base + "big.json"});
  EXPECT_EQ(g.status, 0);
  EXPECT_TRUE(g.out == big);
}

TEST(CliGzip, ServeGzipSendsPrecompressedSiblings) {
  EVNODE_WATCHDOG(60);
  et::TempDir dir;
  const std::string js = text(50000);
  et::writeFile(dir.file("app.js"), js);
  // Siblings that are not what we would make, so it shows which was sent.
  const std::string gz = et::runProcess({"gzip", "-9", "-n", "-c"}, js).out;
  et::writeFile(dir.file("app.js.gz"), gz);
  const std::string br = "not really brotli";  // sent as it is: no CPU spent on it
  et::writeFile(dir.file("only.css"), js);
  et::writeFile(dir.file("only.css.br"), br);
  Serve s(dir.path());
  Reply r = curl(s.base + "app.js", {"-H", "Accept-Encoding: gzip"});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.header("content-encoding"), "gzip");
  EXPECT_EQ(r.header("content-type"), "text/javascript; charset=utf-8");
  EXPECT_EQ(r.header("content-length"), std::to_string(gz.size()));
  EXPECT_EQ(r.header("vary"), "Accept-Encoding");
  EXPECT_TRUE(r.body == gz);
  EXPECT_EQ(r.header("etag").substr(r.header("etag").size() - 6), "-gzip\"");
  Reply again = curl(s.base + "app.js",
                     {"-H", "Accept-Encoding: gzip", "-H", "If-None-Match: " + r.header("etag")});
  EXPECT_EQ(again.status, 304);
  // br preferred, but a ready .gz beats spending CPU on br.
  Reply gzReady = curl(s.base + "app.js", {"--compressed"});
  EXPECT_EQ(gzReady.header("content-encoding"), "gzip");
  EXPECT_TRUE(gzReady.body == js);  // curl decoded it
  // br alone: made on the fly.
  Reply brNow = curl(s.base + "app.js", {"-H", "Accept-Encoding: br"});
  EXPECT_EQ(brNow.header("content-encoding"), "br");
  EXPECT_LT(brNow.body.size(), js.size() / 2);
  EXPECT_EQ(brNow.header("transfer-encoding"), "chunked");
  Reply onlyBr = curl(s.base + "only.css", {"-H", "Accept-Encoding: br, gzip"});
  EXPECT_EQ(onlyBr.header("content-encoding"), "br");
  EXPECT_EQ(onlyBr.header("content-type"), "text/css; charset=utf-8");
  EXPECT_EQ(onlyBr.body, br);
  Reply head = curl(s.base + "only.css", {"-I", "-H", "Accept-Encoding: br"});
  EXPECT_EQ(head.header("content-length"), std::to_string(br.size()));
  // gzip asked: the .br is not it; compressed on the fly.
  Reply gzNow = curl(s.base + "only.css", {"-H", "Accept-Encoding: gzip"});
  EXPECT_EQ(gzNow.header("content-encoding"), "gzip");
  EXPECT_TRUE(gunzip(gzNow.body) == js);
}

}  // namespace
