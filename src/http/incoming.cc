// IncomingMessage and Node's rules for reading received headers.
#include <algorithm>
#include <array>

#include "evnode/http.h"
#include "http/connection.h"
#include "http/header_storage.h"
#include "http/parser.h"

namespace evnode::http {

namespace {
// Headers whose duplicates Node discards (the first value wins).
bool firstValueWins(std::string_view name) {
  static constexpr std::array<std::string_view, 17> kNames = {"age",
                                                              "authorization",
                                                              "content-length",
                                                              "content-type",
                                                              "etag",
                                                              "expires",
                                                              "from",
                                                              "host",
                                                              "if-modified-since",
                                                              "if-unmodified-since",
                                                              "last-modified",
                                                              "location",
                                                              "max-forwards",
                                                              "proxy-authorization",
                                                              "referer",
                                                              "retry-after",
                                                              "user-agent"};
  for (auto n : kNames) {
    if (equalsIgnoreCase(n, name)) return true;
  }
  return equalsIgnoreCase(name, "server");
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
  return out;
}
}  // namespace

std::optional<std::string> IncomingHeaders::get(std::string_view name) const {
  std::optional<std::string> out;
  const bool first = !joinDuplicates_ && firstValueWins(name);
  const char* sep = equalsIgnoreCase(name, "cookie") ? "; " : ", ";
  for (const auto& [n, v] : raw_) {
    if (!equalsIgnoreCase(n, name)) continue;
    if (!out) {
      out = v;
      if (first) break;
    } else {
      *out += sep;
      *out += v;
    }
  }
  return out;
}

bool IncomingHeaders::has(std::string_view name) const {
  return std::any_of(raw_.begin(), raw_.end(),
                     [&](const auto& h) { return equalsIgnoreCase(h.first, name); });
}

std::vector<std::string> IncomingHeaders::getAll(std::string_view name) const {
  std::vector<std::string> out;
  for (const auto& [n, v] : raw_) {
    if (equalsIgnoreCase(n, name)) out.push_back(v);
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> IncomingHeaders::entries() const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [n, v] : raw_) {
    std::string key = lower(n);
    bool seen = std::any_of(out.begin(), out.end(), [&](const auto& e) { return e.first == key; });
    if (!seen) out.emplace_back(key, *get(key));
  }
  return out;
}

IncomingMessage::IncomingMessage() = default;

IncomingMessage::~IncomingMessage() {
  HeaderStorage::recycle(headers);
  HeaderStorage::recycle(trailers);
}

IncomingMessage& IncomingMessage::setTimeout(std::uint64_t ms, std::function<void()> cb) {
  if (socket) {
    socket->setTimeout(ms, std::move(cb));
    Connection::watchSocketTimeout(*socket);
  }
  return *this;
}

void IncomingMessage::_read(std::size_t) {
  if (endOnRead_) {
    endOnRead_ = false;
    push(nullptr);
    return;
  }
  if (onRead_) onRead_();
}

void IncomingMessage::_destroy(const Error& err, std::function<void(const Error&)> cb) {
  // As in Node, an aborted message reports its error only to those listening for it: a handler
  // that never looked at the body must not bring the server down when the client leaves.
  if (destroysIncompleteSocket_ && !complete && socket && !socket->destroyed()) socket->destroy();
  Readable::_destroy(listenerCount(Stream::Events::error) > 0 ? err : Error(), std::move(cb));
}

}  // namespace evnode::http
