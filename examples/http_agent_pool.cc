// http_agent_pool: 10 requests through an Agent with maxSockets 5, so at most 5 are in flight at
// a time; prints when each one starts (gets a socket) and ends. Node.js:
//
//   const agent = new http.Agent({ keepAlive: true, maxSockets: 5 });
//   for (let i = 0; i < 10; i++) {
//     const req = http.request({ hostname: '127.0.0.1', port, path: `/${i}`, agent }, res => {
//       res.resume();
//       res.on('end', () => console.log(`end ${i}`));
//     });
//     req.on('socket', () => console.log(`start ${i}`));
//     req.end();
//   }
//
//   http_agent_pool [PORT]   (default 1334, on 127.0.0.1)
#include <cstdio>
#include <cstdlib>

#include <evnode/evnode.h>
#include <evnode/http.h>

using namespace evnode;

int main(int argc, char** argv) {
  int port = argc > 1 ? std::atoi(argv[1]) : 1334;
  auto agent = http::Agent::create({.keepAlive = true, .maxSockets = 5});
  int inFlight = 0;
  for (int i = 0; i < 10; ++i) {
    http::RequestOptions options;
    options.hostname = "127.0.0.1";
    options.port = port;
    options.path = "/" + std::to_string(i);
    options.agent = agent;
    auto req = http::request(options, [i, &inFlight](const http::IncomingMessagePtr& res) {
      res->resume();
      res->on(http::IncomingMessage::Events::end, [i, &inFlight, status = res->statusCode] {
        std::printf("end %d (status %d, in flight %d)\n", i, status, --inFlight);
        std::fflush(stdout);
      });
    });
    req->on(http::ClientRequest::Events::socket, [i, &inFlight](const http::SocketPtr&) {
      std::printf("start %d (in flight %d)\n", i, ++inFlight);
      std::fflush(stdout);
    });
    req->on(http::ClientRequest::Events::error, [i](const Error& err) {
      std::fprintf(stderr, "request %d: %s\n", i, err.message.c_str());
    });
    req->end();
  }
  evnode::run();
  agent->destroy();
}
