// The inside of a WebSocket: the frame reader (frames parsed in place from the socket's read
// buffers), the message being assembled, deflate state, the closing handshake and backpressure.
// Shared by websocket.cc (both ends), server.cc (accepting) and client.cc (connecting).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "evnode/loop.h"
#include "evnode/ws.h"
#include "net/direct.h"
#include "ws/deflate.h"
#include "ws/frame.h"

namespace evnode::ws {

// The socket's one consumer (src/net/direct.h): each read comes straight to onData() while
// the socket flows, and no listener of its own is registered on the socket.
struct WebSocket::Impl final : net::internal::SocketConsumer {
  explicit Impl(WebSocket* w) : ws(w) {}
  ~Impl();

  WebSocket* ws;
  std::shared_ptr<WebSocket> self;        // held while connecting or while the socket is open
  std::weak_ptr<WebSocketServer> server;  // to leave its clients() at close
  std::size_t maxPayload = kDefaultMaxPayload;
  std::uint64_t closeTimeout = 30000;
  bool autoPong = true;
  std::unique_ptr<detail::PerMessageDeflate> pmd;

  // Reading.
  std::uint8_t partial[14];  // an incomplete frame header carried over from the last read
  std::uint8_t partialLen = 0;
  detail::FrameHeader frame;  // the frame whose payload is being read
  bool inPayload = false;
  std::uint64_t remaining = 0;  // payload bytes of `frame` still to come
  std::size_t maskPos = 0;
  std::uint8_t msgOpcode = 0;  // kText or kBinary while a message is open
  bool msgCompressed = false;
  std::uint64_t msgRawLen = 0;    // bytes received for the message, compressed or not
  std::vector<std::uint8_t> msg;  // a fragmented or compressed message so far
  Buffer whole;                   // a one-frame message spanning reads, filled in place
  std::size_t wholeFill = 0;
  detail::Utf8Validator utf8;
  // A control frame's payload while it arrives (made on demand: an idle connection has none).
  std::unique_ptr<std::uint8_t[]> ctrl;
  std::size_t ctrlLen = 0;

  // Closing.
  bool failed = false;  // a protocol error: nothing more is parsed
  bool closeSent = false, closeReceived = false, closeEmitted = false;
  int closeCode = 1006;
  Buffer closeReason;
  TimeoutPtr closeTimer;
  TimeoutPtr handshakeTimer;
  http::ClientRequestPtr request;  // the client's handshake request, while connecting

  // Writing.
  std::uint8_t sendOpcode = 0;  // an outgoing message left open by send({fin: false})
  bool sendCompressed = false;
  bool pausedForWrite = false;  // reading stopped until the socket drains
  bool drainWait = false;       // a `drain` listener is on the socket
  bool inRead = false;          // onData() is running: small frames gather in the cork buffer

  // Takes over a connected socket whose handshake is done; `head` holds bytes already read.
  void start(const http::SocketPtr& socket, const Buffer& head);
  void onData(const Buffer& chunk) override;
  void onClose() override { onSocketClose(); }
  // Parses as much of `chunk` as there is; the bytes are unmasked in place.
  void process(Buffer chunk);
  bool startFrame();
  void payload(Buffer& chunk, std::uint8_t* p, std::size_t n);
  void endMessage();
  void controlFrame();
  // Fails the connection: a close frame with `code`, then the end of the socket.
  void fail(int code, const std::string& errCode, const std::string& message);
  bool sendFrame(std::uint8_t opcode, bool fin, bool rsv1, const std::uint8_t* p, std::size_t n,
                 const Buffer* whole, std::function<void(const Error&)> cb);
  void sendClose(int code, std::string_view reason);
  // Writes what this connection's frames left in the thread's cork buffer (before an end(), a
  // destroy(), a write that must keep its place, and at the end of each read).
  bool flushBatch();
  void armCloseTimer();
  void watchDrain();
  void onSocketClose();
  // `error` when someone listens (a peer must not end the process), then `close`.
  void emitError(const Error& err);
  void emitClose();
};

namespace detail {
// The Buffer a small outgoing frame is written into: slices of a per-thread 64 KiB slab, so a
// small message costs no allocation of its own.
Buffer frameBuffer(std::size_t n);
// The base64 of 16 random bytes (Sec-WebSocket-Key).
std::string newKey();
// Comma-separated tokens of a header value (Sec-WebSocket-Protocol); false if one is not a token
// or repeats.
bool parseTokenList(std::string_view value, std::vector<std::string>& out);
}  // namespace detail

}  // namespace evnode::ws
