// Peers for the `evnode get` and `evnode bench` acceptance tests: a Node.js `http` server that
// echoes what it received (and counts connections), a Python HTTP/1.0 server with close-delimited
// bodies, `evnode serve`, and raw blocking-socket servers on threads for the misbehaving cases.
// Nothing of evnode runs on the peer side, so a bug in evnode cannot hide itself.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "support/testing.h"

namespace evnode::clitest {

namespace et = evnode::testing;

// The Node.js peer. argv[1] is a port ("0") or a Unix socket path. Routes:
//   /echo...     200 JSON {method, url, httpVersion, headers, rawHeaders, bodyLength,
//                bodySha256, bodyHex (only for bodies up to 4 KiB)}
//   /chunked     200, chunked: the lines of chunkedBody(), one per event-loop turn
//   /status/N    status N, body "status N\n"
//   /redirect    302 to /echo, body "moved\n"
//   /hops/C/N    N redirects with status C (/hops/C/N-1 ...), then to /echo/landed
//   /away/PORT   302 to http://127.0.0.1:PORT/echo/away (another origin)
//   /rel/X/Y     302 to the relative ../../echo/rel?q=1
//   /stats       200 JSON {requests, connections}: what it saw before this request
//   anything     200 "ok\n"
// Prints "connection" on stdout for every accepted connection, and the ready line
// "PORT <n>" (TCP) or "READY" (Unix).
inline const char* kNodeServer = R"JS(
const http = require('http');
const crypto = require('crypto');
const target = process.argv[1];
let requests = 0, connections = 0;
const server = http.createServer((req, res) => {
  if (req.url !== '/stats') requests++;
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    const u = req.url;
    if (u.startsWith('/echo')) {
      const out = JSON.stringify({
        method: req.method, url: u, httpVersion: req.httpVersion, headers: req.headers,
        rawHeaders: req.rawHeaders, bodyLength: body.length,
        bodySha256: crypto.createHash('sha256').update(body).digest('hex'),
        bodyHex: body.length <= 4096 ? body.toString('hex') : ''});
      res.writeHead(200, {'Content-Type': 'application/json',
                          'Content-Length': Buffer.byteLength(out)});
      res.end(out);
    } else if (u === '/chunked') {
      res.writeHead(200, {'Content-Type': 'text/plain'});
      let i = 0;
      const next = () => {
        if (i === 200) return res.end();
        res.write('line ' + i + ' ' + 'x'.repeat(i % 50) + '\n');
        i++;
        setImmediate(next);
      };
      next();
    } else if (u === '/stats') {
      res.writeHead(200, {'Content-Type': 'application/json'});
      res.end(JSON.stringify({requests, connections: connections - 1}));
    } else if (u === '/redirect') {
      res.writeHead(302, {'Location': '/echo', 'Content-Type': 'text/plain'});
      res.end('moved\n');
    } else if (u.startsWith('/hops/')) {
      const [, , code, n] = u.split('/');
      const left = parseInt(n, 10);
      res.writeHead(parseInt(code, 10), {'Content-Type': 'text/plain',
        'Location': left > 0 ? '/hops/' + code + '/' + (left - 1) : '/echo/landed'});
      res.end('hop ' + left + '\n');
    } else if (u.startsWith('/away/')) {
      res.writeHead(302, {'Location': 'http://127.0.0.1:' + u.slice(6) + '/echo/away'});
      res.end();
    } else if (u.startsWith('/rel/')) {
      res.writeHead(302, {'Location': '../../echo/rel?q=1'});
      res.end();
    } else if (u.startsWith('/status/')) {
      const code = parseInt(u.slice(8), 10);
      res.writeHead(code, {'Content-Type': 'text/plain'});
      res.end('status ' + code + '\n');
    } else {
      res.writeHead(200, {'Content-Type': 'text/plain'});
      res.end('ok\n');
    }
  });
});
server.on('connection', () => { connections++; console.log('connection'); });
if (/^\d+$/.test(target)) {
  server.listen(+target, '127.0.0.1', () => console.log('PORT ' + server.address().port));
} else {
  server.listen(target, () => console.log('READY'));
}
)JS";

// What /chunked sends, for byte-exact comparison.
inline std::string chunkedBody() {
  std::string out;
  for (int i = 0; i < 200; ++i)
    out += "line " + std::to_string(i) + " " + std::string(static_cast<size_t>(i % 50), 'x') + "\n";
  return out;
}

struct NodeServer {
  et::Process proc;
  int port = -1;
  std::string base;
  // target: "0" for a loopback TCP port, else a Unix socket path.
  explicit NodeServer(const std::string& target = "0")
      : proc(std::vector<std::string>{"node", "-e", kNodeServer, target}) {
    if (target == "0") {
      std::string line = proc.waitForLine("PORT ", 20);
      if (line.size() > 5) port = std::atoi(line.c_str() + 5);
      base = "http://127.0.0.1:" + std::to_string(port);
    } else {
      proc.waitForLine("READY", 20);
    }
  }
  // Connections accepted so far.
  int connections() const {
    std::string out = proc.stdoutSoFar();
    int n = 0;
    for (std::size_t p = 0; (p = out.find("connection\n", p)) != std::string::npos; ++p) ++n;
    return n;
  }
};

// Python's http.server speaking HTTP/1.0: 200 with kPythonBodySize bytes (i*7+3) % 256 and no
// Content-Length, so the body ends when the connection closes.
inline const char* kPythonServer = R"PY(
import http.server
N = 200000
body = bytes((i * 7 + 3) % 256 for i in range(N))
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.0'
    def do_GET(self):
        self.send_response(200)
        self.send_header('Content-Type', 'application/octet-stream')
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
s = http.server.HTTPServer(('127.0.0.1', 0), H)
print('PORT', s.server_address[1], flush=True)
s.serve_forever()
)PY";

inline std::string pythonBody() {
  std::string out(200000, '\0');
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = static_cast<char>((i * 7 + 3) % 256);
  return out;
}

struct PythonServer {
  et::Process proc;
  int port = -1;
  std::string base;
  PythonServer() : proc(std::vector<std::string>{"python3", "-c", kPythonServer}) {
    std::string line = proc.waitForLine("PORT ", 20);
    if (line.size() > 5) port = std::atoi(line.c_str() + 5);
    base = "http://127.0.0.1:" + std::to_string(port);
  }
};

// `evnode serve DIR --port 0`.
struct ServeServer {
  et::Process proc;
  int port = -1;
  std::string base;
  explicit ServeServer(const std::string& dir)
      : proc(std::vector<std::string>{et::evnodeBinary(), "serve", dir, "--port", "0"}) {
    port = et::parsePortFromListeningLine(proc.waitForLine("listening on ", 20));
    base = "http://127.0.0.1:" + std::to_string(port);
  }
};

// Whether ::1 can be bound here (containers may run without IPv6).
inline bool haveIpv6Loopback() {
  int fd = ::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in6 a{};
  a.sin6_family = AF_INET6;
  a.sin6_addr = in6addr_loopback;
  bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

inline bool sendAll(int fd, const std::string& data) {
  std::size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return false;
    off += static_cast<std::size_t>(n);
  }
  return true;
}

// A TCP server on 127.0.0.1 with blocking sockets: one thread accepts, one thread per
// connection runs the handler. The destructor stops everything (handlers must poll stopping()).
class RawServer {
 public:
  using Handler = std::function<void(int fd, RawServer& self)>;

  explicit RawServer(Handler handler) : handler_(std::move(handler)) {
    listenFd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    ::setsockopt(listenFd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(listenFd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(listenFd_, 128);
    socklen_t len = sizeof a;
    ::getsockname(listenFd_, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
    base = "http://127.0.0.1:" + std::to_string(port);
    acceptor_ = std::thread([this] { acceptLoop(); });
  }

  ~RawServer() {
    stop_ = true;
    acceptor_.join();
    std::vector<Worker> workers;
    {
      std::lock_guard<std::mutex> lock(mu_);
      workers.swap(workers_);
    }
    for (auto& w : workers) w.thread.join();
    ::close(listenFd_);
  }

  RawServer(const RawServer&) = delete;
  RawServer& operator=(const RawServer&) = delete;

  bool stopping() const { return stop_; }

  // Reads until the end of a request head ("\r\n\r\n"), EOF, or stop. Bytes after the head
  // stay in `rest`.
  bool readHead(int fd, std::string& head, std::string& rest) {
    std::string buf = rest;
    rest.clear();
    for (;;) {
      std::size_t end = buf.find("\r\n\r\n");
      if (end != std::string::npos) {
        head = buf.substr(0, end + 4);
        rest = buf.substr(end + 4);
        return true;
      }
      if (!readSome(fd, buf)) return false;
    }
  }

  // Appends what arrives within 100 ms; false on EOF, error or stop.
  bool readSome(int fd, std::string& buf) {
    while (!stop_) {
      pollfd p{fd, POLLIN, 0};
      int r = ::poll(&p, 1, 100);
      if (r < 0) return false;
      if (r == 0) continue;
      char tmp[16384];
      ssize_t n = ::recv(fd, tmp, sizeof tmp, 0);
      if (n <= 0) return false;
      buf.append(tmp, static_cast<std::size_t>(n));
      return true;
    }
    return false;
  }

  // Waits for the peer to close (or stop), discarding what it sends.
  void drainUntilClosed(int fd) {
    std::string sink;
    while (readSome(fd, sink)) sink.clear();
  }

  // The request heads received so far, in arrival order.
  std::vector<std::string> heads() {
    std::lock_guard<std::mutex> lock(mu_);
    return heads_;
  }
  void recordHead(const std::string& head) {
    std::lock_guard<std::mutex> lock(mu_);
    heads_.push_back(head);
  }

  int port = -1;
  std::string base;
  std::atomic<int> accepted{0};

 private:
  void acceptLoop() {
    while (!stop_) {
      pollfd p{listenFd_, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      int fd = ::accept4(listenFd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      ++accepted;
      std::lock_guard<std::mutex> lock(mu_);
      // Join the handlers that have finished, so a client that reconnects in a loop (bench
      // against a server that closes) does not pile up thousands of dead threads.
      for (auto it = workers_.begin(); it != workers_.end();) {
        if (*it->done) {
          it->thread.join();
          it = workers_.erase(it);
        } else {
          ++it;
        }
      }
      auto done = std::make_shared<std::atomic<bool>>(false);
      workers_.push_back(Worker{std::thread([this, fd, done] {
                                  handler_(fd, *this);
                                  ::close(fd);
                                  *done = true;
                                }),
                                done});
    }
  }

  Handler handler_;
  int listenFd_ = -1;
  std::atomic<bool> stop_{false};
  std::thread acceptor_;
  std::mutex mu_;
  struct Worker {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;
  };
  std::vector<Worker> workers_;
  std::vector<std::string> heads_;
};

// A server that reads one request, sends `response` verbatim, then closes its side (after the
// client closes or sends nothing more for a moment, so no RST eats the response).
inline RawServer::Handler replyOnce(std::string response, bool closeAfter = true) {
  return [response, closeAfter](int fd, RawServer& self) {
    std::string head, rest;
    if (!self.readHead(fd, head, rest)) return;
    self.recordHead(head);
    sendAll(fd, response);
    if (closeAfter) ::shutdown(fd, SHUT_WR);
    self.drainUntilClosed(fd);
  };
}

// `evnode get ARGS...`.
inline et::ProcResult evnodeGet(std::vector<std::string> args, const std::string& stdinData = "",
                                int timeoutSec = 60) {
  std::vector<std::string> argv{et::evnodeBinary(), "get"};
  argv.insert(argv.end(), args.begin(), args.end());
  return et::runProcess(argv, stdinData, timeoutSec);
}

// Runs argv with stderr on a pseudo-terminal (for the progress output CLI.md shows only on a
// terminal) and stdout into the file stdoutPath. Returns the exit status, and in `out` what was
// written to the terminal (with the terminal's \n -> \r\n). Needs python3.
inline const char* kTtyRunner = R"PY(
import os, pty, subprocess, sys
m, s = pty.openpty()
with open(sys.argv[1], 'wb') as out:
    p = subprocess.Popen(sys.argv[2:], stdin=subprocess.DEVNULL, stdout=out, stderr=s)
os.close(s)
buf = b''
while True:
    try:
        d = os.read(m, 65536)
    except OSError:  # EIO: the last writer closed the terminal
        break
    if not d:
        break
    buf += d
rc = p.wait()
sys.stdout.buffer.write(buf)
sys.exit(rc if rc >= 0 else 128 - rc)
)PY";

inline et::ProcResult runWithTtyStderr(const std::vector<std::string>& argv,
                                       const std::string& stdoutPath, int timeoutSec = 60) {
  std::vector<std::string> full{"python3", "-c", kTtyRunner, stdoutPath};
  full.insert(full.end(), argv.begin(), argv.end());
  return et::runProcess(full, "", timeoutSec);
}

// CLI.md's failure rule: stderr is exactly one line `evnode: ...`.
inline bool isOneErrorLine(const std::string& err) {
  return err.rfind("evnode: ", 0) == 0 && !err.empty() && err.back() == '\n' &&
         std::count(err.begin(), err.end(), '\n') == 1;
}

// Lower-case hex SHA-256 of data.
inline std::string sha256Hex(const std::string& data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[md[i] >> 4];
    out += kHex[md[i] & 15];
  }
  return out;
}

inline std::string toHex(const std::string& data) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : data) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

// The raw text of `"key":VALUE` in compact JSON (JSON.stringify, our bench): a string value
// without its quotes (escapes kept), or a number/literal as written. "" if the key is absent.
// Enough for the flat values these tests read; nested objects are found by their inner keys.
inline std::string jsonValue(const std::string& json, const std::string& key) {
  std::string needle = "\"" + key + "\":";
  std::size_t p = json.find(needle);
  if (p == std::string::npos) return "";
  p += needle.size();
  while (p < json.size() && json[p] == ' ') ++p;
  if (p < json.size() && json[p] == '"') {
    std::size_t e = p + 1;
    while (e < json.size() && json[e] != '"') e += json[e] == '\\' ? 2 : 1;
    return json.substr(p + 1, e - p - 1);
  }
  std::size_t e = json.find_first_of(",}]", p);
  return json.substr(p, e == std::string::npos ? std::string::npos : e - p);
}

inline double secondsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace evnode::clitest
