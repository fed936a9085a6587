// chat_server: a chat room, one coroutine per client reading its messages. Whatever a client
// sends is broadcast to every other client as "> ADDRESS:PORT: text". Node.js:
//
//   const clients = new Set();
//   net.createServer(async socket => {
//     const id = `${socket.remoteAddress}:${socket.remotePort}`;
//     clients.add(socket);
//     try {
//       for await (const data of socket) {
//         const text = data.toString().trim();
//         for (const c of clients) if (c !== socket) c.write(`> ${id}: ${text}\n`);
//       }
//     } finally { clients.delete(socket); }
//   }).listen(9000, '127.0.0.1');
//
//   chat_server [PORT]            (default 9000; 0 picks a free port)
#include <evnode/evnode.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

using namespace evnode;

namespace {

std::vector<net::Socket*> clients;  // connected sockets; each client's task removes its own

// Node's data.toString().trim().
std::string trim(std::string s) {
  const char* ws = " \t\r\n";
  s.erase(s.find_last_not_of(ws) + 1);
  s.erase(0, s.find_first_not_of(ws));
  return s;
}

Task<void> member(std::shared_ptr<net::Socket> socket) {
  std::string clientId = socket->remoteAddress() + ":" + std::to_string(socket->remotePort());
  std::printf("New client connected: %s\n", clientId.c_str());
  clients.push_back(socket.get());
  try {
    auto messages = stream::iterator(socket);
    while (auto data = co_await messages.next()) {
      std::string text = trim(data->toString());
      std::printf("Received from %s: %s\n", clientId.c_str(), text.c_str());
      for (net::Socket* client : clients) {
        if (client != socket.get()) client->write("> " + clientId + ": " + text + "\n");
      }
    }
    std::printf("Client disconnected: %s\n", clientId.c_str());
  } catch (const SystemError& e) {
    std::printf("Error with client %s: %s\n", clientId.c_str(), e.what());
  }
  std::erase(clients, socket.get());
}

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  int port = argc > 1 ? std::atoi(argv[1]) : 9000;
  auto server =
      net::createServer([](const std::shared_ptr<net::Socket>& socket) { spawn(member(socket)); });
  net::Server* srv = server.get();
  server->listen(port, "127.0.0.1",
                 [srv] { std::printf("TCP server listening on port %d\n", srv->address().port); });
  run();
}
