// ServerResponse: headers, the status line, framing (Content-Length, chunked, close-delimited)
// and the bytes it queues on the socket.
#include <algorithm>
#include <cstdio>

#include "evnode/http.h"
#include "http/connection.h"
#include "http/header_rules.h"
#include "http/parser.h"
#include "http/response_internal.h"

namespace evnode::http {

namespace {
struct MakeResponse : ServerResponse {};
}  // namespace

ServerResponse::ServerResponse() : Writable(WritableOptions{}) {}

ResponsePtr ResponseInternal::make(const RequestPtr& req, const SocketPtr& socket,
                                   Connection* conn) {
  auto res = std::make_shared<MakeResponse>();
  res->req_ = req;
  res->socket_ = socket;
  res->conn_ = conn;
  return res;
}

void ResponseInternal::setup(ServerResponse& res, const RequestHead& head, const ServerOptions& o,
                             bool forceClose) {
  res.headRequest_ = head.method == "HEAD";
  res.clientHttp10_ = head.versionMinor == 0;
  res.closeAfter_ = forceClose || !head.keepAlive;
  res.expectContinue_ = head.expectContinue;
  res.keepAliveTimeoutSec_ = o.keepAliveTimeout / 1000;
}

void ServerResponse::checkNotSent(const char* what) const {
  if (headerSent_) {
    throw Exception("ERR_HTTP_HEADERS_SENT",
                    std::string("Cannot ") + what + " headers after they are sent to the client");
  }
}

ServerResponse& ServerResponse::setHeader(std::string_view name, std::string_view value) {
  checkNotSent("set");
  validateHeaderName(name);
  validateHeaderValue(name, value);
  removeHeader(name);
  headers_.emplace_back(name, value);
  return *this;
}

ServerResponse& ServerResponse::setHeader(std::string_view name,
                                          const std::vector<std::string>& values) {
  checkNotSent("set");
  validateHeaderName(name);
  for (const auto& v : values) validateHeaderValue(name, v);
  removeHeader(name);
  for (const auto& v : values) headers_.emplace_back(name, v);
  return *this;
}

std::optional<std::string> ServerResponse::getHeader(std::string_view name) const {
  return joinedHeader(headers_, name);
}

std::vector<std::string> ServerResponse::getHeaderNames() const { return lowerCaseNames(headers_); }

bool ServerResponse::hasHeader(std::string_view name) const {
  return listHasHeader(headers_, name);
}

void ServerResponse::removeHeader(std::string_view name) {
  checkNotSent("remove");
  std::erase_if(headers_, [&](const auto& h) { return equalsIgnoreCase(h.first, name); });
}

ServerResponse& ServerResponse::writeHead(int status, const HeaderList& headers) {
  return writeHead(status, "", headers);
}

ServerResponse& ServerResponse::writeHead(int status, std::string_view message,
                                          const HeaderList& headers) {
  checkNotSent("write");
  if (status < 100 || status > 999) {
    throw Exception("ERR_HTTP_INVALID_STATUS_CODE",
                    "Invalid status code: " + std::to_string(status));
  }
  validateHeaderValue("statusMessage", message);
  for (const auto& [n, v] : headers) {
    validateHeaderName(n);
    validateHeaderValue(n, v);
  }
  statusCode = status;
  if (!message.empty()) statusMessage = message;
  // Names given here replace earlier setHeader values; repeated names in the list all stay.
  for (const auto& [n, v] : headers) {
    std::erase_if(headers_, [&](const auto& h) { return equalsIgnoreCase(h.first, n); });
  }
  for (const auto& h : headers) headers_.push_back(h);
  return *this;
}

std::string ServerResponse::renderHead(std::size_t bodyBytes, bool knownLength) {
  if (statusCode < 100 || statusCode > 999) {
    throw Exception("ERR_HTTP_INVALID_STATUS_CODE",
                    "Invalid status code: " + std::to_string(statusCode));
  }
  noBody_ = headRequest_ || statusCode == 204 || statusCode == 304 ||
            (statusCode >= 100 && statusCode < 200);
  // Answered before the client was told to send its body (Expect: 100-continue without a 100):
  // the client may or may not send it now, so the connection's framing is unknown after this
  // response. Node closes it too (shouldKeepAlive = false).
  if (expectContinue_ && !sentContinue_) closeAfter_ = true;
  // The server is closing: the response in flight is the connection's last; say so.
  if (conn_ && conn_->closeAfterResponse) closeAfter_ = true;
  bool hasLength = false, hasDate = false, hasConnection = false, hasKeepAlive = false;
  for (const auto& [n, v] : headers_) {
    if (equalsIgnoreCase(n, "content-length")) {
      hasLength = true;
    } else if (equalsIgnoreCase(n, "transfer-encoding")) {
      userTransferEncoding_ = true;
      chunked_ = containsToken(v, "chunked");
    } else if (equalsIgnoreCase(n, "date")) {
      hasDate = true;
    } else if (equalsIgnoreCase(n, "connection")) {
      hasConnection = true;
      if (containsToken(v, "close")) closeAfter_ = true;
    } else if (equalsIgnoreCase(n, "keep-alive")) {
      hasKeepAlive = true;
    }
  }

  std::string out;
  out.reserve(160 + headers_.size() * 48);
  out += "HTTP/1.1 ";
  out += std::to_string(statusCode);
  out += ' ';
  out += statusMessage.empty() ? STATUS_CODES(statusCode) : std::string_view(statusMessage);
  out += "\r\n";
  for (const auto& [n, v] : headers_) {
    out += n;
    out += ": ";
    out += v;
    out += "\r\n";
  }
  if (sendDate && !hasDate) {
    out += "Date: ";
    out += httpDate();
    out += "\r\n";
  }
  // Framing. 204/304/1xx carry none; HEAD announces what GET would send when it is known.
  if (!(statusCode == 204 || statusCode == 304 || statusCode < 200) && !hasLength &&
      !userTransferEncoding_) {
    if (knownLength) {
      out += "Content-Length: ";
      out += std::to_string(bodyBytes);
      out += "\r\n";
    } else if (!headRequest_) {
      if (clientHttp10_) {
        closeAfter_ = true;  // HTTP/1.0 has no chunked coding: the body ends with the connection
      } else {
        chunked_ = true;
        out += "Transfer-Encoding: chunked\r\n";
      }
    }
  }
  if (!hasConnection) {
    if (closeAfter_) {
      out += "Connection: close\r\n";
    } else {
      out += "Connection: keep-alive\r\n";
      if (!hasKeepAlive && keepAliveTimeoutSec_) {
        out += "Keep-Alive: timeout=";
        out += std::to_string(keepAliveTimeoutSec_);
        out += "\r\n";
      }
    }
  }
  out += "\r\n";
  return out;
}

void ServerResponse::flushHeaders() {
  if (headerSent_) return;
  std::vector<Buffer> none;
  sendBody(none, false, nullptr);
}

void ServerResponse::writeContinue() {
  if (!socket_ || sentContinue_) return;
  sentContinue_ = true;
  socket_->write(Buffer::from("HTTP/1.1 100 Continue\r\n\r\n"));
}

void ServerResponse::writeProcessing() {
  if (socket_) socket_->write(Buffer::from("HTTP/1.1 102 Processing\r\n\r\n"));
}

void ServerResponse::writeEarlyHints(const HeaderList& hints) {
  std::string out = "HTTP/1.1 103 Early Hints\r\n";
  for (const auto& [n, v] : hints) {
    validateHeaderName(n);
    validateHeaderValue(n, v);
    out += n + ": " + v + "\r\n";
  }
  out += "\r\n";
  if (socket_) socket_->write(Buffer::from(out));
}

void ServerResponse::addTrailers(const HeaderList& trailers) {
  for (const auto& [n, v] : trailers) {
    validateHeaderName(n);
    validateHeaderValue(n, v);
    trailers_.push_back({n, v});
  }
}

ServerResponse& ServerResponse::end(Callback cb) {
  inEnd_ = true;
  Writable::end(std::move(cb));
  inEnd_ = false;
  return *this;
}

ServerResponse& ServerResponse::end(Buffer chunk, Callback cb) {
  inEnd_ = true;
  Writable::end(std::move(chunk), std::move(cb));
  inEnd_ = false;
  return *this;
}

void ServerResponse::_write(const Buffer& chunk, WriteCallback cb) {
  std::vector<Buffer> one{chunk};
  sendBody(one, false, &cb);
}

void ServerResponse::_writev(std::vector<Buffer>& chunks, WriteCallback cb) {
  sendBody(chunks, false, &cb);
}

void ServerResponse::_final(std::function<void(const Error&)> cb) {
  std::vector<Buffer> none;
  sendBody(none, true, nullptr);
  if (conn_) conn_->onResponseQueued(this);
  cb({});
}

void ServerResponse::_destroy(const Error& err, std::function<void(const Error&)> cb) {
  // A response destroyed before it finished leaves the connection in an unknown state.
  if (socket_ && !writableFinished() && conn_) socket_->destroy();
  conn_ = nullptr;
  cb(err);
}

// Queues head (if not sent yet), body chunks with their framing, and with `last` the end of
// the body, on the socket. Completes `cb` at once unless the socket is backed up.
void ServerResponse::sendBody(std::vector<Buffer>& chunks, bool last, WriteCallback* cb) {
  std::size_t total = 0;
  for (const auto& c : chunks) total += c.length();
  std::vector<Buffer> out;
  out.reserve(chunks.size() + 3);
  if (!headerSent_) {
    // end(data) as the only write, or end() with nothing written: the length is known.
    bool known = (inEnd_ && !hasBodyWrite_) || (last && !hasBodyWrite_);
    out.push_back(Buffer::from(renderHead(total, known)));
    headerSent_ = true;
  }
  if (!last && !inEnd_) hasBodyWrite_ = true;
  if (!noBody_ && total > 0) {
    if (chunked_) {
      appendChunk(out, chunks, total);
    } else {
      for (auto& c : chunks) {
        if (!c.empty()) out.push_back(std::move(c));
      }
    }
  }
  if (last && chunked_ && !noBody_) out.push_back(lastChunk(trailers_));
  bool ok = true;
  // A socket that is already gone takes nothing. As in Node (_writeRaw), the bytes are dropped
  // without an error: the response's close follows the socket's, and an `error` here would end
  // the process of a handler that answers a client who just left.
  if (socket_ && !socket_->destroyed()) {
    for (auto& b : out) ok = socket_->write(std::move(b));
  }
  if (!cb) return;
  if (ok || !conn_) {
    (*cb)();
  } else {
    conn_->waitForDrain(*cb);  // backpressure: the response's own buffer fills meanwhile
  }
}

}  // namespace evnode::http
