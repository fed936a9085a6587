// WebSocket, both ends: the frame reader, sending, the closing handshake and backpressure.
#include <openssl/evp.h>

#include <algorithm>
#include <cstring>

#include "core/thread_instance.h"
#include "ws/impl.h"

namespace evnode::ws {

using detail::FrameHeader;
using detail::HeaderResult;

namespace detail {

namespace {
// The thread's slab that small frames are cut from (thread_instance.h: it outlives the loop's
// teardown, whose closes may still send frames).
struct FrameSlab {
  Buffer slab;
  std::size_t used = 0;
};
}  // namespace

// The thread's scratch for a compressed message.
struct DeflateScratch {
  std::vector<std::uint8_t> out;
};

Buffer frameBuffer(std::size_t n) {
  constexpr std::size_t kSlab = 64 * 1024;
  FrameSlab* f = evnode::detail::threadInstance<FrameSlab>();
  if (n > 4096 || !f) return Buffer::allocUnsafe(n);
  if (f->slab.empty() || f->slab.size() - f->used < n) {
    f->slab = Buffer::allocUnsafe(kSlab);
    f->used = 0;
  }
  Buffer b =
      f->slab.subarray(static_cast<std::int64_t>(f->used), static_cast<std::int64_t>(f->used + n));
  f->used += (n + 7) & ~std::size_t{7};
  return b;
}

std::string newKey() {
  std::uint8_t raw[16];
  secureRandom(raw, sizeof raw);
  return Buffer::from(raw, sizeof raw).toString("base64");
}

bool parseTokenList(std::string_view value, std::vector<std::string>& out) {
  std::size_t i = 0;
  while (true) {
    while (i < value.size() && (value[i] == ' ' || value[i] == '\t')) ++i;
    std::size_t start = i;
    while (i < value.size() && value[i] != ',' && value[i] != ' ' && value[i] != '\t') {
      char c = value[i];
      if (c <= 32 || c >= 127 || std::strchr("()<>@;:\\\"/[]?={}", c)) return false;
      ++i;
    }
    std::string tok(value.substr(start, i - start));
    if (tok.empty()) return false;
    if (std::find(out.begin(), out.end(), tok) != out.end()) return false;
    out.push_back(std::move(tok));
    while (i < value.size() && (value[i] == ' ' || value[i] == '\t')) ++i;
    if (i == value.size()) return true;
    if (value[i] != ',') return false;
    ++i;
  }
}

}  // namespace detail

std::size_t detail::acceptKeyInto(std::string_view key, char out[29]) {
  static constexpr std::string_view kGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  // Fetched once: OpenSSL 3's implicit fetch behind EVP_sha1() costs a lookup per handshake.
  static EVP_MD* const kSha1 = EVP_MD_fetch(nullptr, "SHA1", nullptr);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  // The key and the GUID side by side (on the stack for any real key: 24 characters).
  char buf[128];
  std::string big;
  char* in = buf;
  if (key.size() + kGuid.size() > sizeof buf) {
    big.resize(key.size() + kGuid.size());
    in = big.data();
  }
  std::memcpy(in, key.data(), key.size());
  std::memcpy(in + key.size(), kGuid.data(), kGuid.size());
  EVP_Digest(in, key.size() + kGuid.size(), md, &len, kSha1, nullptr);
  return static_cast<std::size_t>(
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out), md, static_cast<int>(len)));
}

std::string acceptKey(std::string_view key) {
  char out[29];
  return std::string(out, detail::acceptKeyInto(key, out));
}

WebSocket::Impl::~Impl() {
  if (server) server->forget(*this);
  if (socket_) net::internal::dropCorkedOutput(*socket_);
  if (socket_ && net::internal::consumerOf(*socket_) == this) {
    net::internal::setConsumer(*socket_, nullptr);
  }
}

WebSocket::WebSocket() = default;
WebSocket::~WebSocket() = default;

namespace {
const std::string& orEmpty(const std::string* s) {
  static const std::string kEmpty;
  return s ? *s : kEmpty;
}
}  // namespace

const std::string& WebSocket::url() const { return orEmpty(settings_ ? &settings_->url : nullptr); }

const std::string& WebSocket::protocol() const {
  const auto& a = static_cast<const Impl*>(this)->rare;
  return orEmpty(a ? &a->protocol : nullptr);
}
const std::string& WebSocket::extensions() const {
  const auto& a = static_cast<const Impl*>(this)->rare;
  return orEmpty(a ? &a->extensions : nullptr);
}

std::size_t WebSocket::bufferedAmount() const {
  return socket_ && !socket_->destroyed() ? socket_->writableLength() : 0;
}

namespace {
const char* stateName(int s) {
  static const char* const kNames[] = {"CONNECTING", "OPEN", "CLOSING", "CLOSED"};
  return kNames[s & 3];
}
Error notOpen(int state) {
  return Error("ERR_WS_NOT_OPEN", std::string("WebSocket is not open: readyState ") +
                                      std::to_string(state) + " (" + stateName(state) + ")");
}
void failLater(std::function<void(const Error&)> cb, Error err) {
  if (cb) nextTick([cb = std::move(cb), err = std::move(err)] { cb(err); });
}
}  // namespace

bool WebSocket::send(const Buffer& data, SendOptions options,
                     std::function<void(const Error&)> cb) {
  if (state_ == CONNECTING) throw Exception("ERR_WS_NOT_OPEN", notOpen(state_).message);
  Impl& im = *impl();
  if (state_ != OPEN || im.closeSent) {
    failLater(std::move(cb), notOpen(state_));
    return false;
  }
  const bool first = im.sendOpcode == 0;
  const std::uint8_t op =
      first ? (options.binary ? detail::kBinary : detail::kText) : detail::kContinuation;
  if (first) {
    detail::PerMessageDeflate* pmd = im.pmd();
    im.sendCompressed = pmd && options.compress && data.size() >= pmd->threshold();
  }
  bool ok;
  if (im.sendCompressed) {
    auto* scratch = evnode::detail::threadInstance<detail::DeflateScratch>();
    detail::DeflateScratch exiting;  // the thread's scratch is gone
    std::vector<std::uint8_t>& out = scratch ? scratch->out : exiting.out;
    out.clear();
    if (!im.pmd()->compress(data.data(), data.size(), options.fin, out)) {
      im.fail(1011, "ERR_WS_DEFLATE", "compression failed");
      failLater(std::move(cb), notOpen(state_));
      return false;
    }
    ok = im.sendFrame(op, options.fin, first, out.data(), out.size(), nullptr, std::move(cb));
    if (out.capacity() > 1024 * 1024) out = {};  // a large message's scratch is not kept
  } else {
    ok = im.sendFrame(op, options.fin, false, data.data(), data.size(), &data, std::move(cb));
  }
  im.sendOpcode = options.fin ? 0 : (first ? op : im.sendOpcode);
  if (!ok) im.watchDrain();
  return ok;
}

namespace {
void checkControl(const WebSocket& ws, const Buffer& data) {
  if (ws.readyState() == WebSocket::CONNECTING) {
    throw Exception("ERR_WS_NOT_OPEN", notOpen(ws.readyState()).message);
  }
  if (data.size() > 125) {
    throw Exception("ERR_OUT_OF_RANGE", "The data size must not be greater than 125 bytes");
  }
}
}  // namespace

void WebSocket::ping(const Buffer& data, std::function<void(const Error&)> cb) {
  checkControl(*this, data);
  if (state_ != OPEN || impl()->closeSent) return failLater(std::move(cb), notOpen(state_));
  impl()->sendFrame(detail::kPing, true, false, data.data(), data.size(), nullptr, std::move(cb));
}

void WebSocket::pong(const Buffer& data, std::function<void(const Error&)> cb) {
  checkControl(*this, data);
  if (state_ != OPEN || impl()->closeSent) return failLater(std::move(cb), notOpen(state_));
  impl()->sendFrame(detail::kPong, true, false, data.data(), data.size(), nullptr, std::move(cb));
}

void WebSocket::close(int code, std::string_view reason) {
  if (state_ == CLOSED) return;
  if (code != 0 && code != 1000 && !(code >= 3000 && code <= 4999) &&
      !detail::isValidCloseCode(code)) {
    throw Exception("ERR_INVALID_ARG_VALUE", "First argument must be a valid error code number");
  }
  if (reason.size() > 123) {
    throw Exception("ERR_INVALID_ARG_VALUE", "The message must not be greater than 123 bytes");
  }
  if (code == 0 && !reason.empty()) {
    throw Exception("ERR_INVALID_ARG_VALUE", "A reason needs a close code");
  }
  Impl& im = *impl();
  if (state_ == CONNECTING) {
    terminate();
    return;
  }
  if (im.closeSent) {
    if (im.closeReceived && socket_) {
      im.flushBatch();
      socket_->end();
    }
    return;
  }
  state_ = CLOSING;
  im.sendClose(code, reason);
  if (im.closeReceived && socket_) {
    im.flushBatch();
    socket_->end();
  }
  im.armCloseTimer();
}

void WebSocket::terminate() {
  Impl& im = *impl();
  if (state_ == CLOSED) return;
  if (state_ == CONNECTING) {
    auto keep = im.self;
    if (im.rare && im.rare->request) im.rare->request->destroy();
    im.endConnecting();
    im.emitError(
        Error("ERR_WS_ABORTED", "WebSocket was closed before the connection was established"));
    im.emitClose();
    return;
  }
  state_ = CLOSING;
  if (socket_) {
    im.flushBatch();  // what was sent before terminate() still goes, as a socket's writes would
    socket_->destroy();
  }
}

void WebSocket::pause() {
  userPaused_ = true;
  if (socket_) socket_->pause();
}

void WebSocket::resume() {
  userPaused_ = false;
  if (socket_ && !impl()->pausedForWrite) socket_->resume();
}

// --- the reader ---------------------------------------------------------------------------

void WebSocket::Impl::start(const http::SocketPtr& socket, const Buffer& head) {
  (void)head;
  socket_ = socket;
  self = shared_from_this();
  state_ = OPEN;
  socket->setTimeout(0);
  socket->setNoDelay(true);
  // Errors reach onError() (ignored: the close that follows reports them, 1006), so a peer's
  // reset never ends the process. Lazy: no listener on the socket until the stream's path is
  // needed (an idle connection's memory).
  net::internal::setConsumer(*socket, this, /*lazy=*/true);
  if (userPaused_) socket->pause();
}

void WebSocket::Impl::onData(const Buffer& chunk) {
  auto keep = self;
  inRead = true;
  process(chunk);
  inRead = false;
  flushBatch();
  const auto& s = socket_;
  if (s && !pausedForWrite && !s->destroyed() && s->writableNeedDrain()) {
    // The peer does not read what we send (our answers pile up): stop reading it until the
    // socket drains, so memory stays bounded by what the application itself sends.
    pausedForWrite = true;
    s->pause();
    watchDrain();
  }
}

void WebSocket::Impl::process(Buffer chunk) {
  std::uint8_t* p = chunk.data();
  const std::size_t n = chunk.size();
  std::size_t off = 0;
  while (off < n && !failed && !closeReceived && state_ != CLOSED) {
    if (!inPayload) {
      FrameHeader h;
      HeaderResult r;
      std::size_t used;
      const bool rsv1 = pmd() != nullptr;
      if (carry) {
        // The header the last read cut (at most 14 bytes, so a few more bytes complete it).
        Carry& c = *carry;
        std::size_t add = std::min<std::size_t>(detail::kMaxHeaderSize - c.len, n - off);
        std::memcpy(c.bytes + c.len, p + off, add);
        r = detail::parseHeader(c.bytes, c.len + add, rsv1, h);
        if (r == HeaderResult::kNeedMore) {
          c.len = static_cast<std::uint8_t>(c.len + add);
          return;
        }
        used = h.headerSize - c.len;
        carry.reset();
      } else {
        r = detail::parseHeader(p + off, n - off, rsv1, h);
        if (r == HeaderResult::kNeedMore) {
          carry = std::make_unique<Carry>();
          carry->len = static_cast<std::uint8_t>(n - off);
          std::memcpy(carry->bytes, p + off, carry->len);
          return;
        }
        used = h.headerSize;
      }
      switch (r) {
        case HeaderResult::kOk:
          break;
        case HeaderResult::kReservedBits:
          return fail(1002, "WS_ERR_UNEXPECTED_RSV_1", "Invalid WebSocket frame: RSV bits set");
        case HeaderResult::kBadOpcode:
          return fail(1002, "WS_ERR_INVALID_OPCODE", "Invalid WebSocket frame: invalid opcode");
        case HeaderResult::kControlFragment:
          return fail(1002, "WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH",
                      "Invalid WebSocket frame: control frame fragmented or over 125 bytes");
        default:
          return fail(1009, "WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH",
                      "Unsupported WebSocket frame: payload length > 2^63 - 1");
      }
      off += used;
      frame = h;
      if (!startFrame()) return;
      continue;
    }
    std::size_t take = static_cast<std::size_t>(std::min<std::uint64_t>(frame.length, n - off));
    payload(chunk, p + off, take);
    off += take;
  }
}

bool WebSocket::Impl::startFrame() {
  const bool isServer = !isClient_;
  if (isServer && !frame.masked) {
    fail(1002, "WS_ERR_EXPECTED_MASK", "Invalid WebSocket frame: MASK must be set");
    return false;
  }
  if (!isServer && frame.masked) {
    fail(1002, "WS_ERR_UNEXPECTED_MASK", "Invalid WebSocket frame: MASK must be clear");
    return false;
  }
  const bool control = (frame.opcode & 0x08) != 0;
  if (control) {
    if (frame.length) carry = std::make_unique<Carry>();
  } else {
    if (frame.opcode == detail::kContinuation) {
      if (!msgOpcode) {
        fail(1002, "WS_ERR_INVALID_OPCODE", "Invalid WebSocket frame: invalid opcode 0");
        return false;
      }
    } else {
      if (msgOpcode) {
        fail(1002, "WS_ERR_INVALID_OPCODE",
             "Invalid WebSocket frame: invalid opcode " + std::to_string(frame.opcode));
        return false;
      }
      msgOpcode = frame.opcode;
      msgCompressed = frame.rsv1;
      utf8.reset();
    }
    // A message in one frame is bounded by its length; a fragmented one counts in its assembly.
    std::uint64_t rawLen = frame.length;
    if (!frame.fin || frame.opcode == detail::kContinuation) {
      Assembly& a = assemble();
      if (frame.opcode != detail::kContinuation) a.rawLen = 0;
      rawLen = a.rawLen += frame.length;
    }
    if (rawLen > maxPayload()) {
      fail(1009, "WS_ERR_UNSUPPORTED_MESSAGE_LENGTH", "Max payload size exceeded");
      return false;
    }
  }
  frameStart = true;  // (frame.maskPos is 0: a new header's)
  inPayload = frame.length > 0;
  if (!inPayload) {
    if (control) {
      controlFrame();
    } else if (frame.fin) {
      endMessage();
    }
  }
  return !failed;
}

void WebSocket::Impl::payload(Buffer& chunk, std::uint8_t* p, std::size_t n) {
  if (frame.masked) {
    frame.maskPos = static_cast<std::uint8_t>(detail::applyMask(p, n, frame.mask, frame.maskPos));
  }
  frame.length -= n;
  const bool last = frame.length == 0;
  const bool whole = frameStart && last;  // the frame's payload in this one piece
  frameStart = false;
  if (frame.opcode & 0x08) {
    std::memcpy(carry->bytes + carry->len, p, n);
    carry->len = static_cast<std::uint8_t>(carry->len + n);
    if (last) {
      inPayload = false;
      controlFrame();
    }
    return;
  }
  const bool text = msgOpcode == detail::kText;
  if (msgCompressed) {
    auto r = pmd()->decompress(p, n, false, maxPayload(), assemble().msg);
    if (r == detail::PerMessageDeflate::Inflate::kTooBig) {
      return fail(1009, "WS_ERR_UNSUPPORTED_MESSAGE_LENGTH", "Max payload size exceeded");
    }
    if (r != detail::PerMessageDeflate::Inflate::kOk) {
      return fail(1007, "WS_ERR_INFLATE", "Invalid compressed data");
    }
  } else if (frame.fin && whole && !assembling()) {
    // The whole message in this read: delivered as a view of the read buffer, no copy.
    if (text && !detail::isValidUtf8(p, n)) {
      return fail(1007, "WS_ERR_INVALID_UTF8", "Invalid WebSocket frame: invalid UTF-8 sequence");
    }
    inPayload = false;
    msgOpcode = 0;
    std::int64_t at = p - chunk.data();
    emit(Events::message, chunk.subarray(at, at + static_cast<std::int64_t>(n)), !text);
    return;
  } else if (frame.fin && (!assembly || assembly->msg.empty())) {
    // One frame spanning reads: filled in place in a Buffer of its exact size.
    Assembly& a = assemble();
    // (The first piece: the frame's length is what is left and this piece.)
    if (a.wholeFill == 0) a.whole = Buffer::allocUnsafe(static_cast<std::size_t>(frame.length + n));
    std::memcpy(a.whole.data() + a.wholeFill, p, n);
    a.wholeFill += n;
    if (text && !utf8.feed(p, n)) {
      return fail(1007, "WS_ERR_INVALID_UTF8", "Invalid WebSocket frame: invalid UTF-8 sequence");
    }
  } else {
    auto& msg = assemble().msg;
    msg.insert(msg.end(), p, p + n);
    if (text && !utf8.feed(p, n)) {
      return fail(1007, "WS_ERR_INVALID_UTF8", "Invalid WebSocket frame: invalid UTF-8 sequence");
    }
  }
  if (last) {
    inPayload = false;
    if (frame.fin) endMessage();
  }
}

void WebSocket::Impl::endMessage() {
  const bool binary = msgOpcode == detail::kBinary;
  Buffer out;
  if (msgCompressed) {
    auto& msg = assemble().msg;
    auto r = pmd()->decompress(nullptr, 0, true, maxPayload(), msg);
    if (r == detail::PerMessageDeflate::Inflate::kTooBig) {
      return fail(1009, "WS_ERR_UNSUPPORTED_MESSAGE_LENGTH", "Max payload size exceeded");
    }
    if (r != detail::PerMessageDeflate::Inflate::kOk) {
      return fail(1007, "WS_ERR_INFLATE", "Invalid compressed data");
    }
    if (!binary && !detail::isValidUtf8(msg.data(), msg.size())) {
      return fail(1007, "WS_ERR_INVALID_UTF8", "Invalid WebSocket frame: invalid UTF-8 sequence");
    }
    if (!msg.empty()) out = Buffer::from(msg.data(), msg.size());
  } else {
    if (!binary && !utf8.complete()) {
      return fail(1007, "WS_ERR_INVALID_UTF8", "Invalid WebSocket frame: invalid UTF-8 sequence");
    }
    // (An empty message, or one in a single frame that fits its read, has no assembly.)
    if (assembly && assembly->wholeFill) {
      out = std::move(assembly->whole);
      assembly->whole = Buffer();
    } else if (assembly && !assembly->msg.empty()) {
      out = Buffer::from(assembly->msg.data(), assembly->msg.size());
    }
  }
  if (assembly) {
    auto& msg = assembly->msg;
    msg.clear();
    if (msg.capacity() > 1024 * 1024) msg = {};  // a large message's memory is not kept
    assembly->wholeFill = 0;
  }
  msgOpcode = 0;
  msgCompressed = false;
  emit(Events::message, out, binary);
}

void WebSocket::Impl::controlFrame() {
  const std::uint8_t ctrlLen = carry ? carry->len : 0;
  Buffer data = ctrlLen ? Buffer::from(carry->bytes, ctrlLen) : Buffer();
  carry.reset();  // pings are rare: the payload's room is not kept
  switch (frame.opcode) {
    case detail::kClose: {
      if (ctrlLen == 1) {
        return fail(1002, "WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH",
                    "Invalid WebSocket frame: invalid payload length 1");
      }
      int code = 1005;
      if (ctrlLen >= 2) {
        code = (data[0] << 8) | data[1];
        if (!detail::isValidCloseCode(code)) {
          return fail(1002, "WS_ERR_INVALID_CLOSE_CODE",
                      "Invalid WebSocket frame: invalid status code " + std::to_string(code));
        }
        if (!detail::isValidUtf8(data.data() + 2, ctrlLen - 2)) {
          return fail(1007, "WS_ERR_INVALID_UTF8",
                      "Invalid WebSocket frame: invalid UTF-8 sequence");
        }
      }
      closeReceived = true;
      rareState().closeCode = static_cast<std::uint16_t>(code);
      Buffer& reason = rare->closeReason;
      reason = ctrlLen > 2 ? data.subarray(2) : Buffer();
      if (!closeSent) {
        state_ = CLOSING;
        // Answered with the same code and reason (an empty close for none).
        sendClose(code == 1005 ? 0 : code, reason.view());
      }
      if (socket_) {
        flushBatch();
        socket_->end();
      }
      armCloseTimer();
      return;
    }
    case detail::kPing:
      if (autoPong() && state_ == OPEN && !closeSent) {
        sendFrame(detail::kPong, true, false, data.data(), data.size(), nullptr, nullptr);
      }
      emit(Events::ping, data);
      return;
    default:
      emit(Events::pong, data);
      return;
  }
}

void WebSocket::Impl::fail(int code, const std::string& errCode, const std::string& message) {
  if (failed) return;
  failed = true;
  auto keep = self;
  if (state_ == OPEN) state_ = CLOSING;
  if (!closeSent) sendClose(code, {});
  if (socket_) {
    flushBatch();
    socket_->end();
  }
  armCloseTimer();
  Error err(errCode, message);
  err.errnum = code;  // the close code sent (ws keeps it as err[kStatusCode])
  emitError(err);
}

// --- writing ------------------------------------------------------------------------------

bool WebSocket::Impl::sendFrame(std::uint8_t opcode, bool fin, bool rsv1, const std::uint8_t* p,
                                std::size_t n, const Buffer* data,
                                std::function<void(const Error&)>&& cb) {
  const auto& s = socket_;
  if (!s || s->destroyed() || s->writableEnded()) {
    failLater(std::move(cb), notOpen(state_));
    return false;
  }
  std::uint8_t mask[4];
  const bool masked = isClient_;
  if (masked) detail::randomMask(mask);
  const std::size_t hs = 2 + (n < 126 ? 0 : n <= 0xFFFF ? 2 : 8) + (masked ? 4 : 0);
  if (inRead && !cb && n <= 4096) {
    // Frames sent while a connection handles a read (echoes, pongs, a close) gather in the
    // thread's cork buffer (net/direct.h) and leave in one write when the read is handled: many
    // messages in one read cost one system call, and a small frame costs no Buffer and no tick.
    evnode::detail::ByteBuffer& corked = net::internal::corkedOutput(*s);
    auto* out = reinterpret_cast<std::uint8_t*>(corked.room(hs + n));
    detail::writeHeader(out, fin, rsv1, opcode, n, masked ? mask : nullptr);
    if (n) {
      if (masked) {
        detail::applyMaskCopy(out + hs, p, n, mask);
      } else {
        std::memcpy(out + hs, p, n);
      }
    }
    corked.commit(reinterpret_cast<char*>(out) + hs + n);
    // A big batch leaves now, and says whether to wait for `drain`.
    return corked.size() < 16 * 1024 || flushBatch();
  }
  flushBatch();  // what is corked goes first: keeps the frames' order
  net::Socket::Callback wcb;
  if (cb) wcb = std::move(cb);
  if (data && !masked && n > 4096) {
    // A large unmasked payload goes out as it is, after its header: no copy.
    Buffer h = detail::frameBuffer(hs);
    detail::writeHeader(h.data(), fin, rsv1, opcode, n, nullptr);
    s->write(h);
    return s->write(*data, std::move(wcb));
  }
  Buffer b = detail::frameBuffer(hs + n);
  detail::writeHeader(b.data(), fin, rsv1, opcode, n, masked ? mask : nullptr);
  if (n) {
    if (masked) {
      detail::applyMaskCopy(b.data() + hs, p, n, mask);
    } else {
      std::memcpy(b.data() + hs, p, n);
    }
  }
  return s->write(b, std::move(wcb));
}

bool WebSocket::Impl::flushBatch() {
  const auto& s = socket_;
  if (!s || net::internal::uncorkOutput(*s)) return true;
  watchDrain();
  return false;
}

void WebSocket::Impl::sendClose(int code, std::string_view reason) {
  std::uint8_t buf[125];
  std::size_t n = 0;
  if (code) {
    buf[0] = static_cast<std::uint8_t>(code >> 8);
    buf[1] = static_cast<std::uint8_t>(code);
    n = 2 + std::min<std::size_t>(reason.size(), 123);
    if (n > 2) std::memcpy(buf + 2, reason.data(), n - 2);
  }
  closeSent = true;
  sendFrame(detail::kClose, true, false, buf, n, nullptr, nullptr);
}

void WebSocket::Impl::armCloseTimer() {
  if ((rare && rare->closeTimer) || !socket_) return;
  Impl* raw = this;
  rareState().closeTimer = setTimeout(
      [raw] {
        raw->rare->closeTimer.reset();
        if (raw->socket_) raw->socket_->destroy();
      },
      closeTimeout());
}

void WebSocket::Impl::watchDrain() {
  if (drainWait || !socket_) return;
  drainWait = true;
  Impl* raw = this;
  socket_->once(net::Socket::Events::drain, [raw] {
    Impl& im = *raw;
    im.drainWait = false;
    if (im.pausedForWrite) {
      im.pausedForWrite = false;
      if (!raw->userPaused_ && raw->socket_) raw->socket_->resume();
    }
    raw->emit(Events::drain);
  });
}

void WebSocket::Impl::onSocketClose() { emitClose(); }

void WebSocket::Impl::emitError(const Error& err) {
  if (listenerCount(EventEmitter::Events::error) > 0) emit(EventEmitter::Events::error, err);
}

void WebSocket::Impl::emitClose() {
  if (closeEmitted) return;
  closeEmitted = true;
  state_ = CLOSED;
  if (rare && rare->closeTimer) {
    clearTimeout(rare->closeTimer);
    rare->closeTimer.reset();
  }
  endConnecting();
  auto keep = std::move(self);
  if (server) server->forget(*this);
  static const Buffer kNoReason;
  emit(Events::close, closeReceived ? int{rare->closeCode} : 1006,
       rare ? rare->closeReason : kNoReason);
  removeAllListeners();
  socket_.reset();
  assembly.reset();
  if (rare) {
    rare->pmd.reset();
    rare->closeReason = Buffer();  // (protocol() and extensions() stay)
  }
}

}  // namespace evnode::ws
