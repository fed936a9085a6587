// Internal: one HTTP/1.1 server connection — parses requests off the socket (many per read),
// hands out IncomingMessage/ServerResponse pairs in order, applies the server's timeouts.
//
// Memory: an idle keep-alive connection is this small object and two socket listeners (it is
// the socket's consumer, net/direct.h: reads come as a direct call, `close` too).
// What a request needs while it is in progress (unparsed bytes, the request and its response,
// body framing, writes waiting for `drain`) is a Work block, taken from a per-thread free list
// when bytes arrive and given back once the connection is idle again; the socket's `end` and
// `drain` are listened to only while a request body or a response waits on them.
#pragma once

#include <memory>
#include <string>

#include "core/block_cache.h"
#include "evnode/http.h"
#include "http/parser.h"
#include "net/direct.h"

namespace evnode::http {

using ByteBuffer = evnode::detail::ByteBuffer;

class Connection final : public net::internal::SocketConsumer {
 public:
  Connection(Server* server, SocketPtr socket);
  ~Connection();
  // One per accepted connection: recycled per thread, not malloc'd each time.
  static void* operator new(std::size_t n) {
    return evnode::detail::BlockCache<Connection>::get(n);
  }
  static void operator delete(void* p, std::size_t n) {
    evnode::detail::BlockCache<Connection>::put(p, n);
  }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // A counted reference. The connection holds one on itself while it is its socket's consumer
  // (until `close` or a hand-over), and so does any call that may outlive that: the last
  // reference deletes it. (Counted by hand: a shared_ptr's control block and weak
  // self-reference would make every idle connection a third bigger.)
  using Ref = evnode::detail::CountedRef<Connection>;
  evnode::detail::RefCount<std::uint32_t>& refCount() { return refs_; }
  // Serves `socket`; the connection lives as long as it is the socket's consumer. `plainTcp`: the
  // socket was accepted by the server itself (a kernel socket, no TLS or other layer on it).
  static Connection* start(Server* server, const SocketPtr& socket, bool plainTcp = false);

  // Called by the response once all its bytes are queued (or batched, see output()).
  void onResponseQueued(ServerResponse* res);
  // The response's write could not be queued yet; call `cb` on the socket's next drain.
  void waitForDrain(WriteCallback cb);
  // The server's periodic check.
  void checkTimeouts(std::uint64_t now);
  // Node's socket timeouts (server.setTimeout, req/res.setTimeout): from now on the socket's
  // `timeout` goes to the request, the response and the server, and destroys the socket when
  // none of them listens.
  void watchSocketTimeout();
  // The same for the connection serving `socket`, if one does.
  static void watchSocketTimeout(net::Socket& socket);
  // Idle: no request in flight and no partial request buffered.
  bool idle() const;
  void closeIfIdle();
  // Accepted less than a second before `now` and no request yet: its first request may still
  // be on its way (Server::close gives it a moment).
  bool awaitingFirstRequest(std::uint64_t now) const {
    return requests_ == 0 && idle() && now - lastActivity_ < 1000;
  }
  void destroy() { socket_->destroy(); }

  // Where this connection's response bytes go: the thread's cork buffer (net/direct.h), whose
  // bytes of another socket are written out first. process() writes it out when it is done.
  ByteBuffer& output() { return net::internal::corkedOutput(*socket_); }
  // Writes the corked bytes of this connection to the socket now, ahead of any other write,
  // and `then` (a large body) after them in the same write.
  void flushOutput(const Buffer* then = nullptr) { net::internal::uncorkOutput(*socket_, then); }
  // Handling a read: bytes appended to output() go out when it is done.
  bool batching() const { return processing_; }

  struct Work;  // a request in progress (connection.cc)

 private:
  enum class Phase : std::uint8_t { kHead, kBody, kDiscard, kClosed };
  Work& work();
  void releaseWorkIfIdle();
  void onData(const Buffer& chunk) override;
  void onEnd();
  void onDrain();
  void onClose() override;
  void process();
  bool parseHead();
  bool feedBody();
  void bodyComplete();
  void startRequest(RequestHead& head, std::size_t headLen);
  bool handOver(const Event<const RequestPtr&, const SocketPtr&, const Buffer&>& ev,
                const RequestPtr& req);
  void clientError(const Error& err, int status);
  void resumeReading();
  void listenForDrain();
  void closeAfterLastResponse(bool requestDone);
  void detach();
  void onSocketTimeout();
  bool bodyStalled(std::uint64_t now) const;
  bool sendStalled();

  Server* server_;
  SocketPtr socket_;
  std::unique_ptr<Work> work_;  // while a request is in progress
  // The last read or the end of the last response; before any byte arrived, the connection's
  // start (the head timeout of a connection that sent nothing yet counts from there).
  std::uint64_t lastActivity_ = 0;
  std::uint32_t requests_ = 0;  // stops counting at its maximum
  evnode::detail::RefCount<std::uint32_t> refs_{0};
  // sendTimeout: the socket's bytesWritten() (low bits) at the last check, and how many checks
  // in a row found output waiting and that count unmoved. (Kept small: every idle connection
  // carries them.)
  std::uint32_t writtenMark_ = 0;

 public:
  std::uint32_t index = 0;  // position in the server's connection list

 private:
  Phase phase_ = Phase::kHead;
  // Flags as bits: with them, the counters and the timeout listener an idle connection is 72
  // bytes (an 80-byte heap block).
  bool processing_ : 1 = false;
  bool again_ : 1 = false;
  bool pausedForBody_ : 1 = false;    // the socket is paused until a request body is read
  bool pausedForOutput_ : 1 = false;  // ... until the answers already written drain
  bool plainTcp_ : 1 = false;

 public:
  bool closeAfterResponse : 1 = false;  // the server is closing

 private:
  std::uint16_t stalledChecks_ = 0;
  ListenerId timeoutListener_ = 0;  // the socket's `timeout`, once a timeout was set
};

// Per-server bookkeeping: the live connections and the timeout checker.
struct Server::State {
  std::vector<Connection*> connections;
  TimeoutPtr checker;
  TimeoutPtr closeGrace;  // close(): the second look at connections that had no request yet
  bool closing = false;   // close() was called
  // The checker calls back into the server: it must not outlive it (a server dropped while
  // its checker still ran left a timer that fired into freed memory on the next run()).
  ~State() {
    if (checker) checker->close();
    if (closeGrace) closeGrace->close();
  }
  void add(Server* server, Connection* c);
  void remove(Connection* c);
};

}  // namespace evnode::http
