// `evnode serve` sending files with sendfile(2) over plain TCP, against real peers: curl and a
// Python client that reads slowly through a small receive buffer (so the server meets EAGAIN
// and waits), byte-exact by SHA-256; ranges; a keep-alive connection and pipelined requests
// after a file; clients leaving in the middle of a file (the server keeps serving, no leak at
// exit under ASan); and strace showing that the bytes go out through sendfile, not read+write.
//
// EVNODE_BIN overrides the binary under test (default: the build's bin/evnode).
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "support/testing.h"

namespace {

namespace et = evnode::testing;

std::string evnodeBin() {
  const char* e = std::getenv("EVNODE_BIN");
  return e && *e ? e : et::evnodeBinary();
}

// `evnode serve DIR --port 0`, optionally run through `prefix` (env, strace).
struct Serve {
  et::Process proc;
  int port = -1;
  std::string base;
  explicit Serve(const std::string& dir, std::vector<std::string> prefix = {})
      : proc([&] {
          std::vector<std::string> argv = std::move(prefix);
          for (std::string a :
               {evnodeBin(), std::string("serve"), dir, std::string("--port"), std::string("0")}) {
            argv.push_back(a);
          }
          return argv;
        }()) {
    port = et::parsePortFromListeningLine(proc.waitForLine("listening on ", 30));
    base = "http://127.0.0.1:" + std::to_string(port);
  }
  int stop() {
    proc.kill(SIGINT);
    return proc.wait(20);
  }
};

// A served directory with a file far larger than any socket buffer.
struct BigSite {
  et::TempDir tmp;
  std::string root, big;
  BigSite() : root(tmp.file("www")) {
    ::mkdir(root.c_str(), 0755);
    et::writeFile(root + "/hello.txt", "hello, world");
    std::ofstream f(root + "/big.bin", std::ios::binary);
    for (int i = 0; i < 40; ++i) big += et::randomBytes(1 << 20, 900 + i);
    f.write(big.data(), static_cast<std::streamsize>(big.size()));
  }
};

// The Python peer (argv: port, mode, file). It speaks HTTP/1.1 over one socket with a 32 KiB
// receive buffer and checks every body against the file on disk with SHA-256.
//   slow       GET /big.bin, read in 16 KiB steps with a pause every 256 KiB; then on the same
//              connection GET /big.bin with Range: bytes=1000-2000999, then GET /hello.txt.
//   pipelined  the three requests of `slow` in one write, read at full speed.
//   leave      GET /big.bin, read 1 MiB, close (with unread data: the kernel resets).
//   reset      the same, closing with SO_LINGER 0 (an immediate RST).
// Prints one line per response: "STATUS LENGTH ok|bad".
const char kPeer[] = R"PY(
import hashlib, socket, struct, sys, time
port, mode, path = int(sys.argv[1]), sys.argv[2], sys.argv[3]
data = open(path, 'rb').read()
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 32768)
s.connect(('127.0.0.1', port))
s.settimeout(60)
buf = b''
def fill():
    global buf
    chunk = s.recv(16384)
    if not chunk:
        raise SystemExit('connection closed early')
    buf += chunk
def response(want, slow):
    global buf
    while b'\r\n\r\n' not in buf:
        fill()
    head, buf = buf.split(b'\r\n\r\n', 1)
    status = int(head.split(b' ')[1])
    length = 0
    for line in head.split(b'\r\n')[1:]:
        name, value = line.split(b':', 1)
        if name.strip().lower() == b'content-length':
            length = int(value)
    h = hashlib.sha256()
    got, since = 0, 0
    while got < length:
        if not buf:
            fill()
        take = buf[:length - got]
        buf = buf[len(take):]
        h.update(take)
        got += len(take)
        since += len(take)
        if slow and since >= 262144:
            since = 0
            time.sleep(0.002)
    ok = got == len(want) and h.digest() == hashlib.sha256(want).digest()
    print(status, got, 'ok' if ok else 'bad', flush=True)
reqs = [b'GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n',
        b'GET /big.bin HTTP/1.1\r\nHost: x\r\nRange: bytes=1000-2000999\r\n\r\n',
        b'GET /hello.txt HTTP/1.1\r\nHost: x\r\n\r\n']
wants = [data, data[1000:2001000], b'hello, world']
if mode == 'slow':
    for r, w in zip(reqs, wants):
        s.sendall(r)
        response(w, True)
elif mode == 'pipelined':
    s.sendall(b''.join(reqs))
    for w in wants:
        response(w, False)
else:
    s.sendall(reqs[0])
    got = 0
    while got < (1 << 20):
        chunk = s.recv(65536)
        if not chunk:
            raise SystemExit('connection closed early')
        got += len(chunk)
    if mode == 'reset':
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
    s.close()
    print('left after', got, flush=True)
)PY";

et::ProcResult peer(int port, const std::string& mode, const std::string& file) {
  return et::runProcess({"python3", "-c", kPeer, std::to_string(port), mode, file}, "", 120);
}

#define REQUIRE(cmd) \
  if (!et::haveCommand(cmd)) GTEST_SKIP() << cmd " is not installed"

TEST(CliServeSendfile, SlowReaderGetsTheFileThenMoreRequestsOnTheSameConnection) {
  EVNODE_WATCHDOG(150);
  REQUIRE("python3");
  BigSite site;
  Serve s(site.root);
  ASSERT_GT(s.port, 0);
  et::ProcResult r = peer(s.port, "slow", site.root + "/big.bin");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "200 41943040 ok\n206 2000000 ok\n200 12 ok\n") << r.err;
  EXPECT_EQ(s.stop(), 0) << s.proc.stderrSoFar();
}

TEST(CliServeSendfile, PipelinedRequestsAfterAFile) {
  EVNODE_WATCHDOG(120);
  REQUIRE("python3");
  BigSite site;
  Serve s(site.root);
  et::ProcResult r = peer(s.port, "pipelined", site.root + "/big.bin");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "200 41943040 ok\n206 2000000 ok\n200 12 ok\n") << r.err;
  EXPECT_EQ(s.stop(), 0) << s.proc.stderrSoFar();
}

TEST(CliServeSendfile, CurlDownloadsAndRangesByteExact) {
  EVNODE_WATCHDOG(120);
  REQUIRE("curl");
  BigSite site;
  Serve s(site.root);
  const std::string out = site.tmp.file("out.bin");
  // Two downloads of the file over one keep-alive connection, then two ranges.
  et::ProcResult r = et::runProcess(
      {"curl", "-sS", "-o", out, "-o", out + "2", "-w",
       "%{http_code} %{size_download} %{num_connects}\n", s.base + "/big.bin", s.base + "/big.bin"},
      "", 90);
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "200 41943040 1\n200 41943040 0\n");
  EXPECT_TRUE(et::readFile(out) == site.big) << "the first download differs";
  EXPECT_TRUE(et::readFile(out + "2") == site.big) << "the second download differs";
  r = et::runProcess({"curl", "-sS", "-r", "5000000-25000000", s.base + "/big.bin"}, "", 60);
  EXPECT_TRUE(r.out == site.big.substr(5000000, 20000001)) << r.out.size() << " " << r.err;
  r = et::runProcess({"curl", "-sS", "-r", "-777", s.base + "/big.bin"}, "", 60);
  EXPECT_TRUE(r.out == site.big.substr(site.big.size() - 777)) << r.out.size();
  EXPECT_EQ(s.stop(), 0) << s.proc.stderrSoFar();
  const std::string log = s.proc.stderrSoFar();
  EXPECT_NE(log.find("GET /big.bin 200 41943040 "), std::string::npos) << log;
  EXPECT_NE(log.find("GET /big.bin 206 20000001 "), std::string::npos) << log;
}

TEST(CliServeSendfile, ClientsLeavingMidFileDoNotStopTheServer) {
  EVNODE_WATCHDOG(120);
  REQUIRE("python3");
  REQUIRE("curl");
  BigSite site;
  Serve s(site.root);
  for (const char* mode : {"leave", "reset", "leave"}) {
    et::ProcResult r = peer(s.port, mode, site.root + "/big.bin");
    EXPECT_EQ(r.status, 0) << mode << ": " << r.err;
    EXPECT_EQ(r.out.rfind("left after ", 0), 0u) << r.out;
    // The next client is served in full.
    r = et::runProcess({"curl", "-sS", s.base + "/hello.txt"}, "", 30);
    EXPECT_EQ(r.out, "hello, world") << mode << ": " << r.err;
  }
  et::ProcResult r = peer(s.port, "slow", site.root + "/big.bin");
  EXPECT_EQ(r.out, "200 41943040 ok\n206 2000000 ok\n200 12 ok\n") << r.err;
  // Exit 0: no crash, and under ASan no leak (LeakSanitizer runs at exit).
  EXPECT_EQ(s.stop(), 0) << s.proc.stderrSoFar();
  const std::string log = s.proc.stderrSoFar();
  std::size_t aborted = 0;
  for (std::size_t at = log.find(" aborted"); at != std::string::npos;
       at = log.find(" aborted", at + 1)) {
    ++aborted;
  }
  EXPECT_EQ(aborted, 3u) << log;
}

TEST(CliServeSendfile, BytesLeaveThroughSendfile) {
  EVNODE_WATCHDOG(120);
  REQUIRE("strace");
  REQUIRE("curl");
  et::TempDir traceDir;
  // ptrace may be forbidden (containers); then there is nothing to observe.
  if (et::runProcess({"strace", "-o", "/dev/null", "true"}, "", 20).status != 0) {
    GTEST_SKIP() << "strace cannot trace here";
  }
  BigSite site;
  const std::string trace = traceDir.file("trace.txt");
  // LeakSanitizer cannot run under ptrace: this one process goes without it.
  const char* asan = std::getenv("ASAN_OPTIONS");
  Serve s(site.root, {"env", std::string("ASAN_OPTIONS=") + (asan ? asan : "") + ":detect_leaks=0",
                      "strace", "-f", "-qq", "-e", "trace=sendfile,pread64,read", "-o", trace});
  et::ProcResult r = et::runProcess({"curl", "-sS", s.base + "/big.bin"}, "", 90);
  EXPECT_TRUE(r.out == site.big) << r.out.size() << " " << r.err;
  EXPECT_EQ(s.stop(), 0);
  std::istringstream in(et::readFile(trace));
  std::size_t sendfiles = 0, sentBytes = 0, bigReads = 0;
  for (std::string line; std::getline(in, line);) {
    std::size_t eq = line.rfind(" = ");
    long result = eq == std::string::npos ? -1 : std::atol(line.c_str() + eq + 3);
    if (line.find("sendfile(") != std::string::npos) {
      ++sendfiles;
      if (result > 0) sentBytes += static_cast<std::size_t>(result);
    } else if (result >= 65536) {
      ++bigReads;  // the file read into memory: what sendfile replaces
    }
  }
  EXPECT_GT(sendfiles, 0u);
  EXPECT_EQ(sentBytes, site.big.size());
  EXPECT_EQ(bigReads, 0u);
}

}  // namespace
