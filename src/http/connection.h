// Internal: one HTTP/1.1 server connection — parses requests off the socket (many per read),
// hands out IncomingMessage/ServerResponse pairs in order, applies the server's timeouts.
#pragma once

#include <array>
#include <memory>
#include <vector>

#include "evnode/http.h"
#include "http/parser.h"

namespace evnode::http {

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(Server* server, SocketPtr socket);
  ~Connection();
  // Serves `socket`; the connection lives as long as the socket's listeners.
  static Connection* start(Server* server, const SocketPtr& socket);

  // Called by the response once all its bytes are queued on the socket.
  void onResponseQueued(ServerResponse* res);
  // The response's write could not be queued yet; call `cb` on the socket's next drain.
  void waitForDrain(WriteCallback cb) { drainWaiters_.push_back(cb); }
  // Where this connection's response bytes go (see output.h): the thread's batch, whose bytes
  // of another connection are written out first. process() writes it out when it is done.
  std::string& output();
  // Writes the batched bytes of this connection to the socket now, ahead of any other write,
  // and `then` (a large body) after them in the same write.
  void flushOutput(const Buffer* then = nullptr);
  // Handling a read: bytes appended to output() go out when it is done.
  bool batching() const { return processing_; }
  // The server's periodic check; returns false if the connection was closed.
  void checkTimeouts(std::uint64_t now);
  // Idle: no request in flight and no partial request buffered.
  bool idle() const { return !res_ && pending_.empty() && phase_ == Phase::kHead; }
  void closeIfIdle();
  void destroy() { socket_->destroy(); }
  bool closeAfterResponse = false;  // the server is closing
  std::size_t index = 0;            // position in the server's connection list

 private:
  enum class Phase { kHead, kBody, kDiscard, kClosed };
  void onData(const Buffer& chunk);
  void process();
  bool parseHead();
  bool feedBody();
  void bodyComplete();
  void startRequest(RequestHead& head, std::size_t headLen);
  bool handOver(const Event<const RequestPtr&, const SocketPtr&, const Buffer&>& ev,
                const RequestPtr& req);
  void clientError(const Error& err, int status);
  void onClose();
  void detach();

  Server* server_;
  SocketPtr socket_;
  Buffer pending_;  // received bytes not processed yet
  std::size_t lastLen_ = 0;
  Phase phase_ = Phase::kHead;
  RequestPtr req_;
  ResponsePtr res_;
  BodyKind bodyKind_ = BodyKind::kNone;
  ContentLengthBody clBody_;
  // The chunked decoder and its trailers (kept across reads) are made on the first chunked
  // request: most connections never see one, and an idle connection stays small.
  struct Chunked {
    explicit Chunked(const Limits& l) : decoder(l) {
      decoder.trailerStorage = std::span<Header>(trailers);
    }
    ChunkedDecoder decoder;
    std::array<Header, 32> trailers;
  };
  std::unique_ptr<Chunked> chunked_;
  std::vector<WriteCallback> drainWaiters_;
  std::size_t requests_ = 0;
  std::uint64_t lastActivity_ = 0;
  std::uint64_t headStart_ = 0;     // when the head being received started
  std::uint64_t requestStart_ = 0;  // when the request in flight started
  bool processing_ = false;
  bool again_ = false;
  bool bodyDone_ = true;
  bool responseQueued_ = true;
  bool pausedForBody_ = false;
  ListenerId onData_ = 0, onDrain_ = 0, onClose_ = 0, onError_ = 0, onEnd_ = 0;
};

// Per-server bookkeeping: the live connections and the timeout checker.
struct Server::State {
  std::vector<Connection*> connections;
  TimeoutPtr checker;
  bool closing = false;  // close() was called
  void add(Server* server, Connection* c);
  void remove(Connection* c);
};

}  // namespace evnode::http
