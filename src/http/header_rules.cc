// Header checks and chunked framing shared by ServerResponse and ClientRequest.
#include "http/header_rules.h"

#include <algorithm>

#include "http/parser.h"

namespace evnode::http {

namespace {
std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}
}  // namespace

void throwInvalidHeaderName(std::string_view name) {
  throw Exception("ERR_INVALID_HTTP_TOKEN",
                  "Header name must be a valid HTTP token [\"" + std::string(name) + "\"]");
}

void throwInvalidHeaderValue(std::string_view name) {
  throw Exception("ERR_INVALID_CHAR",
                  "Invalid character in header content [\"" + std::string(name) + "\"]");
}

void validateHeaderName(std::string_view name) { checkHeaderName(name); }

void validateHeaderValue(std::string_view name, std::string_view value) {
  checkHeaderValue(name, value);
}

bool containsToken(std::string_view list, std::string_view token) {
  while (!list.empty()) {
    auto comma = list.find(',');
    if (equalsIgnoreCase(trim(list.substr(0, comma)), token)) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

std::optional<std::string> joinedHeader(const HeaderList& headers, std::string_view name) {
  std::optional<std::string> out;
  for (const auto& [n, v] : headers) {
    if (!equalsIgnoreCase(n, name)) continue;
    if (out) {
      *out += ", ";
      *out += v;
    } else {
      out = v;
    }
  }
  return out;
}

bool listHasHeader(const HeaderList& headers, std::string_view name) {
  return std::any_of(headers.begin(), headers.end(),
                     [&](const auto& h) { return equalsIgnoreCase(h.first, name); });
}

std::vector<std::string> lowerCaseNames(const HeaderList& headers) {
  std::vector<std::string> out;
  for (const auto& [n, v] : headers) {
    std::string l(n);
    for (auto& c : l) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
    if (std::find(out.begin(), out.end(), l) == out.end()) out.push_back(l);
  }
  return out;
}

HeaderList lowerCasedHeaders(const HeaderList& headers) {
  HeaderList out = headers;
  for (auto& [n, v] : out) {
    for (auto& c : n) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
  }
  return out;
}

void checkHeadersNotSent(bool sent, const char* what) {
  if (sent) {
    throw Exception("ERR_HTTP_HEADERS_SENT",
                    std::string("Cannot ") + what + " headers after they are sent to the client");
  }
}

void replaceHeader(HeaderList& headers, std::string_view name, std::string_view value) {
  validateHeaderName(name);
  validateHeaderValue(name, value);
  eraseHeader(headers, name);
  headers.emplace_back(name, value);
}

void replaceHeader(HeaderList& headers, std::string_view name,
                   const std::vector<std::string>& values) {
  validateHeaderName(name);
  for (const auto& v : values) validateHeaderValue(name, v);
  eraseHeader(headers, name);
  for (const auto& v : values) headers.emplace_back(name, v);
}

void eraseHeader(HeaderList& headers, std::string_view name) {
  std::erase_if(headers, [&](const auto& h) { return equalsIgnoreCase(h.first, name); });
}

void appendChunk(std::vector<Buffer>& out, std::vector<Buffer>& chunks, std::size_t total) {
  static constexpr char kHex[] = "0123456789abcdef";
  char line[24];
  char* end = line + sizeof line;
  char* p = end - 2;
  p[0] = '\r';
  p[1] = '\n';
  std::size_t n = total;
  do {
    *--p = kHex[n & 15];
    n >>= 4;
  } while (n);
  out.push_back(Buffer::from(p, static_cast<std::size_t>(end - p)));
  for (auto& c : chunks) {
    if (!c.empty()) out.push_back(std::move(c));
  }
  out.push_back(Buffer::from("\r\n"));
}

}  // namespace evnode::http
