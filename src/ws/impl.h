// The inside of a WebSocket: the frame reader (frames parsed in place from the socket's read
// buffers), the message being assembled, deflate state, the closing handshake and backpressure.
// Shared by websocket.cc (both ends), server.cc (accepting) and client.cc (connecting).
#pragma once

#include <algorithm>
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

// What a connection reads often but never changes: one per client, and one per path of a
// server, shared by its connections (8 bytes less in each than the values themselves).
struct WebSocket::Settings {
  std::string url;
  std::size_t maxPayload = kDefaultMaxPayload;
  std::uint32_t closeTimeout = 30000;  // ms (the options' value, at most 2^32 - 1)
  bool autoPong = true;
  Settings(std::string u, std::size_t max, std::uint64_t closeMs, bool pong)
      : url(std::move(u)),
        maxPayload(max),
        closeTimeout(static_cast<std::uint32_t>(std::min<std::uint64_t>(closeMs, UINT32_MAX))),
        autoPong(pong) {}
};

// The socket's one consumer (src/net/direct.h): each read comes straight to onData() while
// the socket flows, and no listener of its own is registered on the socket.
//
// The WebSocket object is an Impl (one allocation for both), and an idle connection carries
// only what every read needs: what only some connections need (a message spanning reads or
// fragments, a control frame's payload, the closing handshake, the client's opening handshake,
// a subprotocol or extension) is allocated when it first happens.
struct WebSocket::Impl final : WebSocket, net::internal::SocketConsumer {
  Impl() = default;
  ~Impl();

  // A message that spans reads or frames, while it arrives (kept for the next one).
  struct Assembly {
    std::vector<std::uint8_t> msg;  // a fragmented or compressed message so far
    Buffer whole;                   // a one-frame message spanning reads, filled in place
    std::size_t wholeFill = 0;
    std::uint64_t rawLen = 0;  // bytes of a fragmented message so far, compressed or not
  };
  // What only some connections, or only a connection's start or end, need.
  struct Rare {
    std::unique_ptr<detail::PerMessageDeflate> pmd;  // permessage-deflate, when agreed on
    std::string protocol, extensions;                // what the handshake agreed on, when not ""
    Buffer closeReason;                              // the closing handshake
    std::uint16_t closeCode = 1006;                  // (also: the peer's, once its close came)
    TimeoutPtr closeTimer;
    TimeoutPtr handshakeTimer;       // the client's opening handshake, while it runs
    http::ClientRequestPtr request;  // (also)
  };

  std::shared_ptr<WebSocket> self;    // held while connecting or while the socket is open
  WebSocketServer* server = nullptr;  // to leave its clients() at close (cleared by its dtor)
  // Its neighbours in server->clients() (an intrusive list: no allocation per connection).
  WebSocket* prevClient = nullptr;
  WebSocket* nextClient = nullptr;
  std::unique_ptr<Assembly> assembly;
  std::unique_ptr<Rare> rare;
  // Bytes carried from one read to the next (made on demand, freed once used): a frame header
  // cut by the end of a read, or a control frame's payload while it arrives (never both: a
  // header is whole before its payload starts). While no payload is read, a carry means a
  // header is pending.
  struct Carry {
    std::uint8_t len = 0;
    std::uint8_t bytes[125];  // a control frame's payload at most; a header 14
  };
  std::unique_ptr<Carry> carry;

  // Reading.
  // The frame whose payload is being read; its `length` counts down the payload bytes still
  // to come (frameStart: none has come yet).
  detail::FrameHeader frame;
  detail::Utf8Validator utf8;
  // What every frame writes is in bytes; the rest is in bits (an idle connection's memory).
  std::uint8_t msgOpcode = 0;  // kText or kBinary while a message is open
  bool frameStart = false;
  bool inPayload = false;
  std::uint8_t sendOpcode : 2 = 0;  // an outgoing message left open by send({fin: false})
  bool msgCompressed : 1 = false;
  // Closing.
  bool failed : 1 = false;  // a protocol error: nothing more is parsed
  bool closeSent : 1 = false;
  bool closeReceived : 1 = false;
  bool closeEmitted : 1 = false;
  // Writing.
  bool sendCompressed : 1 = false;
  bool pausedForWrite : 1 = false;  // reading stopped until the socket drains
  bool drainWait : 1 = false;       // a `drain` listener is on the socket
  bool inRead : 1 = false;          // onData() is running: small frames gather in the cork buffer

  Assembly& assemble() {
    if (!assembly) assembly = std::make_unique<Assembly>();
    return *assembly;
  }
  Rare& rareState() {
    if (!rare) rare = std::make_unique<Rare>();
    return *rare;
  }
  // The deflate state, when the handshake agreed on permessage-deflate.
  detail::PerMessageDeflate* pmd() const { return rare ? rare->pmd.get() : nullptr; }
  std::size_t maxPayload() const { return settings_ ? settings_->maxPayload : kDefaultMaxPayload; }
  std::uint32_t closeTimeout() const { return settings_ ? settings_->closeTimeout : 30000; }
  bool autoPong() const { return !settings_ || settings_->autoPong; }
  // The opening handshake is over (or failed): its timer and request go.
  void endConnecting() {
    if (!rare) return;
    if (rare->handshakeTimer) clearTimeout(rare->handshakeTimer);
    rare->handshakeTimer.reset();
    rare->request.reset();
  }
  // Whether a message is being assembled out of place (fragments, or a frame spanning reads).
  bool assembling() const { return assembly && (!assembly->msg.empty() || assembly->wholeFill); }

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
                 const Buffer* whole, std::function<void(const Error&)>&& cb);
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

inline WebSocket::Impl* WebSocket::impl() { return static_cast<Impl*>(this); }

namespace detail {
// The Buffer a small outgoing frame is written into: slices of a per-thread 64 KiB slab, so a
// small message costs no allocation of its own.
Buffer frameBuffer(std::size_t n);
// The Sec-WebSocket-Accept value for `key` (28 characters) into `out`, without an allocation;
// returns its length.
std::size_t acceptKeyInto(std::string_view key, char out[29]);
// The base64 of 16 random bytes (Sec-WebSocket-Key).
std::string newKey();
// Comma-separated tokens of a header value (Sec-WebSocket-Protocol); false if one is not a token
// or repeats.
bool parseTokenList(std::string_view value, std::vector<std::string>& out);
}  // namespace detail

}  // namespace evnode::ws
