// ws_echo: a WebSocket echo server, the npm `ws` README's echo server (it greets each client).
// Node.js:
//   const { WebSocketServer } = require('ws');
//   const wss = new WebSocketServer({ port: 8080 });
//   wss.on('connection', (ws) => {
//     ws.on('error', console.error);
//     ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
//     ws.send('something');
//   });
#include <cstdio>
#include <cstdlib>

#include "evnode/evnode.h"

using namespace evnode;

int main(int argc, char** argv) {
  ws::ServerOptions opts;
  opts.port = argc > 1 ? std::atoi(argv[1]) : 8080;
  opts.host = "127.0.0.1";
  auto wss = ws::WebSocketServer::create(opts);
  wss->on(ws::WebSocketServer::Events::listening, [wss] {
    std::printf("listening on ws://127.0.0.1:%d\n", wss->address().port);
    std::fflush(stdout);
  });
  wss->on(ws::WebSocketServer::Events::connection,
          [](const ws::WebSocketPtr& socket, const http::RequestPtr&) {
            ws::WebSocket* raw = socket.get();
            socket->on(ws::WebSocket::Events::error,
                       [](const Error& err) { std::fprintf(stderr, "%s\n", err.message.c_str()); });
            socket->on(ws::WebSocket::Events::message, [raw](const Buffer& data, bool isBinary) {
              raw->send(data, {.binary = isBinary});
            });
            socket->send("something");
          });
  run();
}
