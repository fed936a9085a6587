// ws_client: a WebSocket client that sends a message, prints what comes back, and closes.
// Node.js:
//   const WebSocket = require('ws');
//   const ws = new WebSocket('ws://127.0.0.1:8080/');
//   ws.on('error', console.error);
//   ws.on('open', () => ws.send('something'));
//   ws.on('message', (data) => { console.log('received: %s', data); ws.close(); });
//   ws.on('close', (code) => console.log('closed %d', code));
#include <cstdio>
#include <string>

#include "evnode/evnode.h"

using namespace evnode;

int main(int argc, char** argv) {
  std::string url = argc > 1 ? argv[1] : "ws://127.0.0.1:8080/";
  auto ws = ws::WebSocket::connect(url);
  ws::WebSocket* raw = ws.get();
  ws->on(ws::WebSocket::Events::error,
         [](const Error& err) { std::fprintf(stderr, "%s\n", err.message.c_str()); });
  ws->on(ws::WebSocket::Events::open, [raw] { raw->send("something"); });
  ws->on(ws::WebSocket::Events::message, [raw](const Buffer& data, bool) {
    std::printf("received: %s\n", data.toString().c_str());
    raw->close();
  });
  ws->on(ws::WebSocket::Events::close,
         [](int code, const Buffer&) { std::printf("closed %d\n", code); });
  run();
}
