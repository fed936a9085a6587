// OutgoingMessage: the header API a server's response and a client's request share.
#include "evnode/http.h"
#include "http/header_rules.h"
#include "http/header_storage.h"

namespace evnode::http {

void OutgoingMessage::addTrailers(const HeaderList& trailers) {
  for (const auto& [n, v] : trailers) {
    checkHeaderName(n);
    checkHeaderValue(n, v);
    trailers_.push_back({n, v});
  }
}

void OutgoingMessage::checkNotSent(const char* what) const {
  checkHeadersNotSent(headerSent_, what);
}

OutgoingMessage& OutgoingMessage::setHeader(std::string_view name, std::string_view value) {
  checkNotSent("set");
  unpackHeaders();
  HeaderStorage::reuse(headers_);  // a list recycled from a finished message, if one waits
  replaceHeader(headers_, name, value);
  return *this;
}

OutgoingMessage& OutgoingMessage::setHeader(std::string_view name,
                                            const std::vector<std::string>& values) {
  checkNotSent("set");
  unpackHeaders();
  replaceHeader(headers_, name, values);
  return *this;
}

std::optional<std::string> OutgoingMessage::getHeader(std::string_view name) const {
  unpackHeaders();
  return joinedHeader(headers_, name);
}

std::vector<std::string> OutgoingMessage::getHeaderNames() const {
  unpackHeaders();
  return lowerCaseNames(headers_);
}

HeaderList OutgoingMessage::getHeaders() const {
  unpackHeaders();
  return lowerCasedHeaders(headers_);
}

bool OutgoingMessage::hasHeader(std::string_view name) const {
  unpackHeaders();
  return listHasHeader(headers_, name);
}

void OutgoingMessage::removeHeader(std::string_view name) {
  checkNotSent("remove");
  unpackHeaders();
  eraseHeader(headers_, name);
}

}  // namespace evnode::http
