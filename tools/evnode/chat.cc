// `evnode chat`: each line a client sends reaches every other client as "> ID: text\n".
//
// With --threads N the room spans every thread: each thread keeps its own clients (a connection
// is served wholly by the thread that accepted it), and a line is written to the sender's
// thread's clients directly and posted, as one shared buffer, to every other thread's loop,
// which writes it to its own clients. Lines from one client reach each other client in order
// (posts to a loop run in the order posted).
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "evnode/cluster.h"
#include "evnode/loop.h"
#include "tools/evnode/commands.h"
#include "tools/evnode/threads.h"

namespace evnode::cli {

namespace {
const char kUsage[] =
    "usage: evnode chat [--port 9000] [--host 127.0.0.1] [--threads N]\n"
    "Chat room: each line a client sends reaches every other client as '> ADDRESS:PORT: text'.\n"
    "  --threads N  N event loops sharing the port (0: one per core); the room spans them all\n";

// A line longer than this is passed on in pieces, so a client without newlines cannot make
// the server buffer without bound.
constexpr std::size_t kMaxLine = 64 * 1024;
// A client that does not read is dropped once this much is queued for it.
constexpr std::size_t kMaxQueued = 4 * 1024 * 1024;

struct Client {
  std::shared_ptr<net::Socket> socket;
  std::string id;
  std::string partial;
};
using Room = std::vector<std::shared_ptr<Client>>;

// What the threads share: each one's loop (to post lines to) and the number online.
struct Hub {
  std::mutex mutex;               // guards loops: a thread sets its own while others post
  std::vector<LoopHandle> loops;  // by thread index (0 without --threads)
  std::atomic<std::size_t> online{0};
};

// This thread's index in the hub.
std::size_t selfIndex() { return static_cast<std::size_t>(std::max(0, cluster::threadIndex())); }

// This thread's clients (set while its server runs).
thread_local Room* localRoom = nullptr;

// Writes `out` to this thread's clients, except `from`.
void deliver(const Buffer& out, const Client* from) {
  if (!localRoom) return;  // this thread's room is gone (stopping)
  for (auto& c : *localRoom) {
    if (c.get() == from || !c->socket->writable()) continue;
    if (c->socket->writableLength() > kMaxQueued) {
      c->socket->destroy();
      continue;
    }
    c->socket->write(out);
  }
}

void broadcast(Hub& hub, const Client& from, std::string_view text) {
  Buffer out = Buffer::from("> " + from.id + ": " + std::string(text) + "\n");
  deliver(out, &from);
  const std::size_t self = selfIndex();
  std::lock_guard lock(hub.mutex);
  for (std::size_t i = 0; i < hub.loops.size(); ++i) {
    // (A thread not set up yet has no clients; one that ended refuses the post.)
    if (i != self) hub.loops[i].post([out] { deliver(out, nullptr); });
  }
}

// `hub` outlives every thread's loop (runServerThreads returns once they have all ended).
void join(Hub& hub, const std::shared_ptr<Room>& room, const std::shared_ptr<net::Socket>& s) {
  auto client = std::make_shared<Client>();
  client->socket = s;
  client->id = hostPort(s->remoteAddress(), s->remotePort());
  room->push_back(client);
  std::fprintf(stderr, "join %s (%zu online)\n", client->id.c_str(), ++hub.online);
  Client* c = client.get();  // owned by the room until the socket closes
  Hub* h = &hub;
  s->on(net::Socket::Events::data, [h, c](const Buffer& chunk) {
    c->partial.append(chunk.view());
    std::size_t start = 0, nl;
    while ((nl = c->partial.find('\n', start)) != std::string::npos) {
      std::string_view line(c->partial.data() + start, nl - start);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      broadcast(*h, *c, line);
      start = nl + 1;
    }
    c->partial.erase(0, start);
    if (c->partial.size() > kMaxLine) {
      broadcast(*h, *c, c->partial);
      c->partial.clear();
    }
  });
  s->on(net::Socket::Events::end, [h, c] {
    if (!c->partial.empty()) broadcast(*h, *c, c->partial);
    c->partial.clear();
  });
  s->on(net::Socket::Events::error, [](const Error&) {});
  s->on(net::Socket::Events::close, [h, room, c] {
    std::fprintf(stderr, "leave %s (%zu online)\n", c->id.c_str(), --h->online);
    std::erase_if(*room, [c](const auto& p) { return p.get() == c; });  // frees c
  });
}
}  // namespace

int cmdChat(Args& args) {
  if (args.help()) {
    println(kUsage);
    return 0;
  }
  ThreadsPlan plan;
  plan.port = static_cast<int>(args.number("--port", 9000, 0, 65535));
  std::string host = args.value("--host").value_or("127.0.0.1");
  plan.threads = threadsOption(args);
  if (!args.finish().empty()) fail("chat takes no positional arguments", 2);
  plan.readyLine = [](const std::string& address, int port) {
    return "listening on " + hostPort(address, port);
  };
  plan.one = "client";
  plan.many = "clients";
  plan.doing = " flushing";

  Hub hub;
  hub.loops.resize(threadCount(plan.threads));
  return runServerThreads(plan, [&]() -> ServerThread {
    {
      std::lock_guard lock(hub.mutex);
      hub.loops[selfIndex()] = Loop::current().handle();
    }
    auto room = std::make_shared<Room>();
    localRoom = room.get();
    auto server = net::createServer(
        [&hub, room](const std::shared_ptr<net::Socket>& s) { join(hub, room, s); });
    ServerThread t;
    t.listen = listenServer(server, host);
    t.stop = [server, room] {
      server->close();
      // Lines already sent to a client still reach it; an idle client is let go at once.
      auto clients = *room;  // closing one edits the room
      for (auto& c : clients) letGo(*c->socket);
    };
    t.inFlight = [room] { return room->size(); };
    t.finish = [room]() mutable {
      localRoom = nullptr;
      room.reset();
    };
    return t;
  });
}

}  // namespace evnode::cli
