// ServerResponse::sendFile (a file as the body, with sendfile(2)) over raw sockets: exact bytes
// with pipelined and keep-alive requests around it, ranges, HEAD, HTTP/1.0, a client that leaves
// in the middle (the server goes on serving), and the refusal once a response has started.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <functional>
#include <string>
#include <vector>

#include "evnode/http.h"
#include "evnode/loop.h"
#include "http/e2e_support.h"

namespace evnode::http::e2e {
namespace {

const std::string kKeepAlive = "Connection: keep-alive\r\nKeep-Alive: timeout=5\r\n\r\n";

std::string head(std::size_t length, bool close = false, int status = 200) {
  return "HTTP/1.1 " + std::to_string(status) + " " + std::string(STATUS_CODES(status)) +
         "\r\nContent-Length: " + std::to_string(length) + "\r\n" +
         (close ? std::string("Connection: close\r\n\r\n") : kKeepAlive);
}

using et::DataFile;

// /file: the whole file; /range: bytes 100..(100+5000); /text: a small end(); counts what the
// file callbacks report.
struct FileServer {
  DataFile file{6 << 20, 11};  // larger than the socket buffers
  std::shared_ptr<Server> server;
  std::vector<std::uint64_t> sent;
  std::vector<std::string> errors;
  FileServer() {
    server = createServer([this](const RequestPtr& req, const ResponsePtr& res) {
      res->sendDate = false;
      if (req->url == "/text") {
        res->end("text");
        return;
      }
      std::uint64_t offset = req->url == "/range" ? 100 : 0;
      std::uint64_t length = req->url == "/range" ? 5000 : file.data.size();
      if (req->url == "/range") res->statusCode = 206;
      res->sendFile(file.fd, offset, length, [this](const Error& err, std::uint64_t n) {
        sent.push_back(n);
        if (err) errors.push_back(err.code);
      });
      EXPECT_TRUE(res->headersSent());
    });
    server->listen(0, "127.0.0.1");
  }
  int port() const { return server->address().port; }
};

TEST(HttpSendFile, PipelinedRequestsAroundFilesAnswerInOrder) {
  EVNODE_WATCHDOG(60);
  FileServer fs;
  const std::string batch =
      "GET /file HTTP/1.1\r\nHost: x\r\n\r\n"
      "GET /text HTTP/1.1\r\nHost: x\r\n\r\n"
      "HEAD /file HTTP/1.1\r\nHost: x\r\n\r\n"
      "GET /range HTTP/1.1\r\nHost: x\r\n\r\n"
      "GET /file HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  std::string got;
  rawClient(fs.port(), batch, [&](RawConn& c) {
    got = c.got;
    fs.server->close();
  });
  run();
  const std::string& d = fs.file.data;
  const std::string want = head(d.size()) + d + "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n" +
                           kKeepAlive + "text" + head(d.size()) + head(5000, false, 206) +
                           d.substr(100, 5000) + head(d.size(), true) + d;
  EXPECT_EQ(got.size(), want.size());
  EXPECT_TRUE(got == want) << got.substr(0, 300);
  EXPECT_EQ(fs.sent, (std::vector<std::uint64_t>{d.size(), 0, 5000, d.size()}));
  EXPECT_TRUE(fs.errors.empty());
}

TEST(HttpSendFile, KeepAliveConnectionServesTheNextRequestAfterAFile) {
  EVNODE_WATCHDOG(60);
  FileServer fs;
  const std::string& d = fs.file.data;
  const std::string first = head(d.size()) + d;
  std::string got;
  bool sentSecond = false;
  auto conn = rawClient(fs.port(), "GET /file HTTP/1.1\r\nHost: x\r\n\r\n", [&](RawConn& c) {
    got = c.got;
    fs.server->close();
  });
  RawConn* raw = conn.get();
  // The second request goes out only once the whole first response is in.
  conn->socket->on(net::Socket::Events::data, [&, raw](const Buffer&) {
    if (!sentSecond && raw->got.size() >= first.size()) {
      sentSecond = true;
      raw->socket->write("GET /range HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    }
  });
  run();
  EXPECT_TRUE(got == first + head(5000, true, 206) + d.substr(100, 5000)) << got.size();
  EXPECT_EQ(fs.sent, (std::vector<std::uint64_t>{d.size(), 5000}));
}

TEST(HttpSendFile, Http10ClientGetsTheFileThenClose) {
  EVNODE_WATCHDOG(30);
  FileServer fs;
  std::string got;
  rawClient(fs.port(), "GET /range HTTP/1.0\r\n\r\n", [&](RawConn& c) {
    got = c.got;
    fs.server->close();
  });
  run();
  EXPECT_TRUE(got == head(5000, true, 206) + fs.file.data.substr(100, 5000)) << got.substr(0, 200);
}

TEST(HttpSendFile, ClientLeavingMidFileDoesNotStopTheServer) {
  EVNODE_WATCHDOG(60);
  FileServer fs;
  std::string second;
  // The first client reads a little, then closes the connection in the middle of the file.
  auto leaver = net::connect(fs.port(), "127.0.0.1", [] {});
  leaver->write("GET /file HTTP/1.1\r\nHost: x\r\n\r\n");
  leaver->on(net::Socket::Events::error, [](const Error&) {});
  net::Socket* raw = leaver.get();
  std::size_t received = 0;
  leaver->on(net::Socket::Events::data, [&, raw](const Buffer& b) {
    received += b.length();
    if (received > 100000 && !raw->destroyed()) {
      raw->destroy();  // unread data: the kernel answers the next bytes with a reset
      // Then a new connection is served in full.
      rawClient(fs.port(), "GET /range HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                [&](RawConn& c) {
                  second = c.got;
                  fs.server->close();
                });
    }
  });
  run();
  EXPECT_TRUE(second == head(5000, true, 206) + fs.file.data.substr(100, 5000)) << second.size();
  ASSERT_EQ(fs.sent.size(), 2u);
  EXPECT_LT(fs.sent[0], fs.file.data.size());
  ASSERT_EQ(fs.errors.size(), 1u);
  EXPECT_TRUE(fs.errors[0] == "ECONNRESET" || fs.errors[0] == "EPIPE") << fs.errors[0];
  EXPECT_EQ(fs.sent[1], 5000u);
}

TEST(HttpSendFile, RefusedOnceTheResponseHasStarted) {
  EVNODE_WATCHDOG(30);
  std::string code;
  auto server = createServer([&](const RequestPtr&, const ResponsePtr& res) {
    res->write("started");
    try {
      res->sendFile(0, 0, 1, [](const Error&, std::uint64_t) {});
    } catch (const Exception& e) {
      code = e.code();
    }
    res->end();
  });
  server->listen(0, "127.0.0.1");
  rawClient(server->address().port, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
            [&](RawConn&) { server->close(); });
  run();
  EXPECT_EQ(code, "ERR_INVALID_STATE");
}

}  // namespace
}  // namespace evnode::http::e2e
