// The server's incremental parsing as a pure function, for tests: a stream of requests (or
// responses) delivered in pieces is parsed as http/connection.cc parses it (the unparsed bytes
// grow read by read, an incomplete head is parsed again with lastLen, bodies go through
// ContentLengthBody and ChunkedDecoder, what follows a message is parsed from its first byte),
// and everything it gave is copied out into a Transcript.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/parser.h"
#include "http/split_support.h"

namespace evnode::http::stream_model {

using e2e::escapeBytes;
using Fields = std::vector<std::pair<std::string, std::string>>;

inline Fields copyFields(std::span<const Header> hs) {
  Fields f;
  for (const Header& h : hs) f.emplace_back(h.name, h.value);
  return f;
}

// One parsed message, copied out of the buffer (whose bytes move as it is consumed).
struct Message {
  std::size_t headLen = 0;
  std::string method, target;  // requests
  int status = 0;              // responses
  std::string reason;
  int major = 0, minor = 0;
  Fields headers;
  BodyKind body = BodyKind::kNone;
  std::uint64_t contentLength = 0;
  bool keepAlive = false, upgrade = false, expectContinue = false, expectOther = false;
  std::string data;  // the body
  Fields trailers;
  bool complete = false;

  bool operator==(const Message&) const = default;
};

// Everything a stream of bytes gave.
struct Transcript {
  std::vector<Message> messages;
  ParseError error = ParseError::HPE_OK;
  std::size_t errorAt = 0;     // stream offset of a head error's byte
  std::size_t handedOver = 0;  // CONNECT or Upgrade: where the bytes stop being HTTP
  std::size_t unparsed = 0;    // bytes left over at the end (an incomplete message)

  bool operator==(const Transcript&) const = default;
};

inline std::string show(const Transcript& t) {
  std::string s;
  for (const Message& m : t.messages) {
    s += "  [" + std::to_string(m.headLen) + "] " +
         (m.status ? std::to_string(m.status) + " " + m.reason : m.method + " " + m.target) + " " +
         std::to_string(m.major) + "." + std::to_string(m.minor) + " body(" +
         std::to_string(static_cast<int>(m.body)) + "," + std::to_string(m.contentLength) + ")=\"" +
         escapeBytes(m.data, 80) + "\"" + (m.complete ? "" : " incomplete") + "\n";
    for (const auto& [n, v] : m.headers) s += "    " + n + ": " + escapeBytes(v, 80) + "\n";
    for (const auto& [n, v] : m.trailers) s += "    trailer " + n + ": " + escapeBytes(v) + "\n";
  }
  s += "  error " + std::string(parseErrorName(t.error)) + " at " + std::to_string(t.errorAt) +
       ", handed over at " + std::to_string(t.handedOver) + ", unparsed " +
       std::to_string(t.unparsed) + "\n";
  return s;
}

// Parses `input` delivered in pieces (cut at `cuts`) as http/connection.cc does.
inline Transcript feed(std::string_view input, const std::vector<std::size_t>& cuts, bool responses,
                       const Limits& limits) {
  Transcript t;
  std::vector<Header> fields(limits.maxHeadersCount < 256 ? limits.maxHeadersCount : 256);
  std::array<Header, 32> trailerStorage;
  ChunkedDecoder dec(limits, trailerStorage);
  ContentLengthBody clBody;
  std::string pending;       // received, not consumed
  std::size_t consumed = 0;  // stream offset of pending's first byte
  std::size_t lastLen = 0;
  bool inBody = false, stop = false;
  std::size_t from = 0;
  std::vector<std::size_t> ends = cuts;
  ends.push_back(input.size());
  for (std::size_t end : ends) {
    pending.append(input.substr(from, end - from));
    from = end;
    while (!stop && !pending.empty()) {
      if (!inBody) {
        Message m;
        std::ptrdiff_t n;
        MessageHead* head;
        RequestHead rq;
        ResponseHead rs;
        if (responses) {
          n = parseResponse(pending, rs, fields, limits, lastLen);
          head = &rs;
        } else {
          n = parseRequest(pending, rq, fields, limits, lastLen);
          head = &rq;
        }
        if (n == kIncomplete) {
          lastLen = pending.size();
          break;
        }
        lastLen = 0;
        if (n < 0) {
          t.error = head->error;
          t.errorAt = consumed + head->errorOffset;
          stop = true;
          break;
        }
        m.headLen = static_cast<std::size_t>(n);
        if (responses) {
          m.status = rs.status;
          m.reason = std::string(rs.reason);
          m.body = responseBodyKind(rs, false);
        } else {
          m.method = std::string(rq.method);
          m.target = std::string(rq.target);
          m.body = rq.body;
        }
        m.major = head->versionMajor;
        m.minor = head->versionMinor;
        m.headers = copyFields(head->headers);
        m.contentLength = head->contentLength;
        m.keepAlive = head->keepAlive;
        m.upgrade = head->upgrade;
        m.expectContinue = head->expectContinue;
        m.expectOther = head->expectOther;
        pending.erase(0, m.headLen);
        consumed += m.headLen;
        const bool connect = !responses && m.method == "CONNECT";
        m.complete = m.body == BodyKind::kNone ||
                     (m.body == BodyKind::kContentLength && m.contentLength == 0);
        t.messages.push_back(std::move(m));
        if (connect || t.messages.back().upgrade) {
          t.handedOver = consumed;
          stop = true;
          break;
        }
        if (!t.messages.back().complete) {
          inBody = true;
          clBody.remaining = t.messages.back().contentLength;
          dec.reset();
        }
        continue;
      }
      Message& m = t.messages.back();
      if (m.body == BodyKind::kContentLength) {
        std::string_view d = clBody.take(pending);
        m.data.append(d);
        pending.erase(0, d.size());
        consumed += d.size();
        if (clBody.done()) m.complete = true;
      } else if (m.body == BodyKind::kUntilClose) {
        m.data += pending;
        consumed += pending.size();
        pending.clear();
      } else {
        std::string_view in = pending;
        std::size_t used = 0;
        while (used < in.size()) {
          auto r = dec.decode(in.substr(used));
          if (dec.failed()) break;
          m.data.append(r.data);
          used += r.consumed;
          if (dec.done() || r.consumed == 0) break;
        }
        if (dec.failed()) {
          t.error = dec.error;
          t.errorAt = 0;  // the decoder reports no offset
          stop = true;
          break;
        }
        if (dec.done()) {
          m.trailers = copyFields(dec.trailers());
          m.complete = true;
        }
        pending.erase(0, used);
        consumed += used;
      }
      // Not complete: all of pending went into the body, or an incomplete trailer section
      // waits for more.
      if (!m.complete) break;
      inBody = false;
    }
    if (stop) break;
  }
  t.unparsed = stop ? 0 : pending.size();
  return t;
}

}  // namespace evnode::http::stream_model
