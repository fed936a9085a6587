// The net examples (examples/*.cc, built into bin/examples/) behave as the seed tutorials they
// port: each is run as a user would, on port 0, and talked to over real sockets.
#include <gtest/gtest.h>

#include <cctype>
#include <memory>
#include <string>

#include "evnode/loop.h"
#include "evnode/net.h"
#include "support/testing.h"

namespace {

using namespace evnode;
namespace et = evnode::testing;
using net::Server;
using net::Socket;

std::string example(const std::string& name) { return et::binDir() + "/examples/" + name; }

// The number at the end of a ready line such as "TCP server listening on port 41234" (-1 if
// there is none). Plain parsing: std::regex trips GCC 12's -Wmaybe-uninitialized at -O2.
int trailingPort(const std::string& line) {
  std::size_t end = line.find_last_not_of(" \r\n") + 1, start = end;
  while (start > 0 && std::isdigit(static_cast<unsigned char>(line[start - 1]))) --start;
  return start == end ? -1 : std::stoi(line.substr(start, end - start));
}

// The unsigned number that follows `label` in `text` (-1 if none).
long numberAfter(const std::string& text, const std::string& label) {
  std::size_t at = text.find(label);
  if (at == std::string::npos) return -1;
  at += label.size();
  std::size_t end = at;
  while (end < text.size() && std::isdigit(static_cast<unsigned char>(text[end]))) ++end;
  return end == at ? -1 : std::stol(text.substr(at, end - at));
}

// "> 127.0.0.1:PORT: text" with any port.
bool isChatLine(const std::string& line, const std::string& text) {
  const std::string prefix = "> 127.0.0.1:", suffix = ": " + text;
  if (line.rfind(prefix, 0) != 0 || line.size() <= prefix.size() + suffix.size()) return false;
  if (line.compare(line.size() - suffix.size(), suffix.size(), suffix) != 0) return false;
  std::string port = line.substr(prefix.size(), line.size() - prefix.size() - suffix.size());
  return !port.empty() && port.find_first_not_of("0123456789") == std::string::npos;
}

// Connects, sends `request`, collects the answer until `untilContains` has arrived, then ends
// and waits for the server to end too.
std::string talk(int port, const std::string& request, const std::string& untilContains) {
  std::string got;
  std::shared_ptr<Socket> c;
  c = net::connect(port, "127.0.0.1", [&] { c->write(request); });
  c->on(Socket::Events::data, [&](const Buffer& b) {
    got += b.toString();
    if (got.find(untilContains) != std::string::npos && c->writable()) c->end();
  });
  c->on(Socket::Events::error, [&](const Error& e) { ADD_FAILURE() << e.message; });
  run();
  return got;
}

TEST(NetExamples, TcpEchoServerSaysYouSaid) {
  EVNODE_WATCHDOG(30);
  et::Process server({example("tcp_echo_server"), "0"});
  int port = trailingPort(server.waitForLine("TCP server running on port"));
  ASSERT_GT(port, 0);
  EXPECT_EQ(talk(port, "hello", "hello"), "You said: hello");
  server.waitForLine("Client connected");
  server.waitForLine("Received: hello");
  server.waitForLine("Client disconnected");
  server.kill(SIGTERM);
  server.wait();
}

TEST(NetExamples, TcpServerAndTcpClientOfSeed000) {
  EVNODE_WATCHDOG(30);
  et::Process server({example("tcp_server"), "0"});
  int port = trailingPort(server.waitForLine("TCP server listening on port"));
  ASSERT_GT(port, 0);
  et::ProcResult client =
      et::runProcess({example("tcp_client"), std::to_string(port), "127.0.0.1"}, "", 20);
  EXPECT_EQ(client.status, 0) << client.err;
  EXPECT_EQ(client.out, "Server: Hello from server\n");
  server.waitForLine("Client connected");
  server.waitForLine("Received: Hello server");
  server.waitForLine("Client disconnected");
  server.kill(SIGTERM);
  server.wait();
}

TEST(NetExamples, TcpClientReportsConnectionRefused) {
  EVNODE_WATCHDOG(30);
  int port = et::freePort();
  et::ProcResult client =
      et::runProcess({example("tcp_client"), std::to_string(port), "127.0.0.1"}, "", 20);
  EXPECT_EQ(client.status, 1);
  EXPECT_EQ(client.err,
            "Connection error: connect ECONNREFUSED 127.0.0.1:" + std::to_string(port) + "\n");
}

TEST(NetExamples, UnixEcho) {
  EVNODE_WATCHDOG(30);
  et::TempDir dir;
  const std::string path = dir.file("echo.sock");
  et::Process server({example("unix_echo"), path});
  server.waitForLine("listening on " + path);
  std::string got;
  std::shared_ptr<Socket> c;
  c = net::connect(path, [&] { c->end("unix bytes"); });
  c->on(Socket::Events::data, [&](const Buffer& b) { got += b.toString(); });
  run();
  EXPECT_EQ(got, "unix bytes");
  server.kill(SIGTERM);
  server.wait();
}

TEST(NetExamples, PipeEchoIsByteExactWithBackpressure) {
  EVNODE_WATCHDOG(60);
  et::Process server({example("pipe_echo"), "0"});
  int port = trailingPort(server.waitForLine("listening on port"));
  ASSERT_GT(port, 0);
  const std::string data = et::randomBytes(8u << 20, 3);
  std::string got;
  std::shared_ptr<Socket> c;
  c = net::connect(port, "127.0.0.1", [&] { c->end(data); });
  c->on(Socket::Events::data, [&](const Buffer& b) { got.append(b.view()); });
  run();
  EXPECT_EQ(got.size(), data.size());
  EXPECT_TRUE(got == data);
  server.kill(SIGTERM);
  server.wait();
}

TEST(NetExamples, ChatServerAndTwoChatClients) {
  EVNODE_WATCHDOG(30);
  et::Process server({example("chat_server"), "0"});
  int port = trailingPort(server.waitForLine("TCP server listening on port"));
  ASSERT_GT(port, 0);
  et::Process alice({example("chat_client"), std::to_string(port)});
  alice.waitForLine("Connected to the server!");
  server.waitForLine("New client connected");
  et::Process bob({example("chat_client"), std::to_string(port)});
  bob.waitForLine("Connected to the server!");
  server.waitForLine("New client connected");

  ASSERT_TRUE(alice.writeStdin("hi bob\n"));
  std::string line = bob.waitForLine("hi bob");
  EXPECT_TRUE(isChatLine(line, "hi bob")) << line;
  std::string log = server.waitForLine("Received from 127.0.0.1:");
  EXPECT_NE(log.find(": hi bob"), std::string::npos) << log;
  ASSERT_TRUE(bob.writeStdin("hi alice\n"));
  alice.waitForLine("hi alice");

  // End of input ends the client's side; the server ends its side and the client leaves.
  alice.closeStdin();
  alice.waitForLine("Disconnected from the server.");
  EXPECT_EQ(alice.wait(10), 0);
  EXPECT_EQ(alice.stdoutSoFar().find("hi bob"), std::string::npos);  // never its own line
  server.waitForLine("Client disconnected");
  bob.closeStdin();
  EXPECT_EQ(bob.wait(10), 0);
  server.kill(SIGTERM);
  server.wait();
}

TEST(NetExamples, RawHttpGetWritesTheRequestByHand) {
  EVNODE_WATCHDOG(30);
  std::string request;
  int clientPort = -1;
  std::shared_ptr<Server> server;
  server = net::createServer([&](const std::shared_ptr<Socket>& s) {
    Socket* raw = s.get();
    clientPort = s->remotePort();
    s->on(Socket::Events::data, [&, raw](const Buffer& b) {
      request += b.toString();
      if (request.find("\r\n\r\n") == std::string::npos) return;
      raw->end(
          "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 12\r\n"
          "Connection: close\r\n\r\nhello, world");
    });
    s->on(Socket::Events::close, [&] { server->close(); });
  });
  server->listen(0, "127.0.0.1");
  int port = server->address().port;
  et::Process client({example("raw_http_get"), "127.0.0.1", std::to_string(port), "/docs/a.txt"});
  run();
  EXPECT_EQ(client.wait(10), 0) << client.stderrSoFar();
  EXPECT_EQ(request, "GET /docs/a.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
  const std::string out = client.stdoutSoFar();
  EXPECT_NE(out.find("Connected to 127.0.0.1:" + std::to_string(port) + "\n"), std::string::npos)
      << out;
  EXPECT_NE(out.find("Local port " + std::to_string(clientPort) + "\n"), std::string::npos) << out;
  EXPECT_NE(out.find("HTTP/1.1 200 OK\r\n"), std::string::npos) << out;
  EXPECT_EQ(out.substr(out.size() - 16), "\r\n\r\nhello, world");
}

TEST(NetExamples, BackpressureWriterWaitsForDrain) {
  EVNODE_WATCHDOG(60);
  et::Process server({example("backpressure_writer"), "0", "16"});
  int port = trailingPort(server.waitForLine("listening on port"));
  ASSERT_GT(port, 0);
  // A slow reader: nothing for 200 ms, so the writer has to wait for drain.
  std::size_t received = 0;
  std::shared_ptr<Socket> c;
  c = net::connect(port, "127.0.0.1");
  c->pause();
  c->on(Socket::Events::data, [&](const Buffer& b) { received += b.size(); });
  setTimeout([&] { c->resume(); }, 200);
  run();
  EXPECT_EQ(received, 16u << 20);
  std::string report = server.waitForLine("Client done");
  const long sent = numberAfter(report, "sent "), falses = numberAfter(report, "returned false ");
  const long drains = numberAfter(report, "times, ");
  EXPECT_EQ(sent, 16L << 20) << report;
  EXPECT_GE(falses, 1) << report;
  EXPECT_EQ(falses, drains) << report;  // every false was followed by a drain
  server.kill(SIGTERM);
  server.wait();
}

}  // namespace
