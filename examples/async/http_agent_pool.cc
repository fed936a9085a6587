// http_agent_pool: 10 requests through an Agent with maxSockets 5, each an awaited request in
// a task of its own, all awaited together: the agent queues them so that at most 5 connections
// are ever open. Node.js:
//
//   const agent = new http.Agent({ keepAlive: true, maxSockets: 5 });
//   await Promise.all([...Array(10).keys()].map(async i => {
//     console.log(`start ${i}`);
//     const req = http.request({ hostname: '127.0.0.1', port, path: `/${i}`, agent });
//     req.end();
//     const [res] = await once(req, 'response');
//     await buffer(res);
//     console.log(`end ${i} (status ${res.statusCode}, ` +
//                 `sockets open ${Object.values(agent.sockets).flat().length})`);
//   }));
//
//   http_agent_pool [PORT]   (default 1334, on 127.0.0.1)
#include <evnode/evnode.h>

#include <cstdio>
#include <cstdlib>
#include <vector>

using namespace evnode;

Task<void> one(int i, int port, http::AgentPtr agent) {
  http::RequestOptions options;
  options.hostname = "127.0.0.1";
  options.port = port;
  options.path = "/" + std::to_string(i);
  options.agent = agent;
  std::printf("start %d\n", i);
  auto op = http::promises::request(options);
  try {
    auto res = co_await std::move(op);
    co_await stream::consumers::buffer(res);
    std::printf("end %d (status %d, sockets open %zu)\n", i, res->statusCode,
                agent->totalSockets());
  } catch (const SystemError& e) {
    std::fprintf(stderr, "request %d: %s\n", i, e.what());
  }
}

Task<void> amain(int port) {
  auto agent = http::Agent::create({.keepAlive = true, .maxSockets = 5});
  std::vector<Task<void>> all;
  for (int i = 0; i < 10; ++i) all.push_back(one(i, port, agent));
  co_await whenAll(std::move(all));
  agent->destroy();
}

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  run(amain(argc > 1 ? std::atoi(argv[1]) : 1334));
}
