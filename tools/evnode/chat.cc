// `evnode chat`: each line a client sends reaches every other client as "> ID: text\n".
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "tools/evnode/commands.h"

namespace evnode::cli {

namespace {
const char kUsage[] =
    "usage: evnode chat [--port 9000] [--host 127.0.0.1]\n"
    "Chat room: each line a client sends reaches every other client as '> ADDRESS:PORT: text'.\n";

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

void broadcast(Room& room, const Client& from, std::string_view text) {
  std::string msg = "> " + from.id + ": " + std::string(text) + "\n";
  Buffer out = Buffer::from(msg);
  for (auto& c : room) {
    if (c.get() == &from || !c->socket->writable()) continue;
    if (c->socket->writableLength() > kMaxQueued) {
      c->socket->destroy();
      continue;
    }
    c->socket->write(out);
  }
}
}  // namespace

int cmdChat(Args& args) {
  if (args.help()) {
    println(kUsage);
    return 0;
  }
  int port = static_cast<int>(args.number("--port", 9000, 0, 65535));
  std::string host = args.value("--host").value_or("127.0.0.1");
  if (!args.finish().empty()) fail("chat takes no positional arguments", 2);

  auto room = std::make_shared<Room>();
  auto server = net::createServer([room](const std::shared_ptr<net::Socket>& s) {
    auto client = std::make_shared<Client>();
    client->socket = s;
    client->id = hostPort(s->remoteAddress(), s->remotePort());
    room->push_back(client);
    std::fprintf(stderr, "join %s (%zu online)\n", client->id.c_str(), room->size());
    Client* c = client.get();  // owned by the room until the socket closes
    s->on(net::Socket::Events::data, [room, c](const Buffer& chunk) {
      c->partial.append(chunk.view());
      std::size_t start = 0, nl;
      while ((nl = c->partial.find('\n', start)) != std::string::npos) {
        std::string_view line(c->partial.data() + start, nl - start);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        broadcast(*room, *c, line);
        start = nl + 1;
      }
      c->partial.erase(0, start);
      if (c->partial.size() > kMaxLine) {
        broadcast(*room, *c, c->partial);
        c->partial.clear();
      }
    });
    s->on(net::Socket::Events::end, [room, c] {
      if (!c->partial.empty()) broadcast(*room, *c, c->partial);
      c->partial.clear();
    });
    s->on(net::Socket::Events::error, [](const Error&) {});
    s->on(net::Socket::Events::close, [room, c] {
      std::fprintf(stderr, "leave %s (%zu online)\n", c->id.c_str(), room->size() - 1);
      std::erase_if(*room, [c](const auto& p) { return p.get() == c; });  // frees c
    });
  });
  listenAnnounced(server, host, port, "", "");
  onShutdownSignal(
      [server, room] {
        server->close();
        // Lines already sent to a client still reach it; an idle client is let go at once.
        auto clients = *room;  // closing one edits the room
        for (auto& c : clients) letGo(*c->socket);
      },
      [room] {
        return room->empty() ? std::string()
                             : countOf(room->size(), "client", "clients") + " flushing";
      });
  evnode::run();
  return 0;
}

}  // namespace evnode::cli
