// chat_server: a chat room. Whatever a client sends is broadcast to every other client as
// "> ADDRESS:PORT: text". Node.js:
//
//   const clients = new Set();
//   net.createServer(socket => {
//     const id = `${socket.remoteAddress}:${socket.remotePort}`;
//     clients.add(socket);
//     socket.on('data', data => {
//       const text = data.toString().trim();
//       for (const c of clients) if (c !== socket) c.write(`> ${id}: ${text}\n`);
//     });
//     socket.on('close', () => clients.delete(socket));
//   }).listen(9000, '127.0.0.1');
//
//   chat_server [PORT]            (default 9000; 0 picks a free port)
#include <evnode/evnode.h>
#include <evnode/net.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

using namespace evnode;

namespace {

// Node's data.toString().trim().
std::string trim(std::string s) {
  const char* ws = " \t\r\n";
  s.erase(s.find_last_not_of(ws) + 1);
  s.erase(0, s.find_first_not_of(ws));
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  int port = argc > 1 ? std::atoi(argv[1]) : 9000;
  std::vector<net::Socket*> clients;  // connected sockets; each removes itself on close

  auto server = net::createServer([&clients](const std::shared_ptr<net::Socket>& socket) {
    net::Socket* s = socket.get();
    std::string clientId = socket->remoteAddress() + ":" + std::to_string(socket->remotePort());
    std::printf("New client connected: %s\n", clientId.c_str());
    clients.push_back(s);

    socket->on(net::Socket::Events::data, [&clients, s, clientId](const Buffer& data) {
      std::string text = trim(data.toString());
      std::printf("Received from %s: %s\n", clientId.c_str(), text.c_str());
      // The newline keeps messages apart when several arrive in one read.
      for (net::Socket* client : clients) {
        if (client != s) client->write("> " + clientId + ": " + text + "\n");
      }
    });
    socket->on(net::Socket::Events::end,
               [clientId] { std::printf("Client disconnected: %s\n", clientId.c_str()); });
    socket->on(net::Socket::Events::error, [clientId](const Error& err) {
      std::printf("Error with client %s: %s\n", clientId.c_str(), err.message.c_str());
    });
    // Removed on close rather than on end: a socket that errors never ends.
    socket->on(net::Socket::Events::close, [&clients, s] { std::erase(clients, s); });
  });
  net::Server* srv = server.get();
  server->listen(port, "127.0.0.1",
                 [srv] { std::printf("TCP server listening on port %d\n", srv->address().port); });
  run();
}
