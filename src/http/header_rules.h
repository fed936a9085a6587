// Internal: what outgoing messages (ServerResponse, ClientRequest) share: header checks, header
// list helpers and chunked framing.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "evnode/buffer.h"
#include "evnode/http.h"
#include "http/parser.h"

namespace evnode::http {

// The throwing halves of the checks below, out of line so that the checks stay small enough to
// inline: a response checks its headers on every writeHead.
[[noreturn]] void throwInvalidHeaderName(std::string_view name);
[[noreturn]] void throwInvalidHeaderValue(std::string_view name);

// Throw ERR_INVALID_HTTP_TOKEN / ERR_INVALID_CHAR: a header can never split a message. Inline
// forms of the public validateHeaderName/Value, for the per-response checks.
inline void checkHeaderName(std::string_view name) {
  if (name.empty() || !allTokenChars(name)) [[unlikely]] {
    throwInvalidHeaderName(name);
  }
}
inline void checkHeaderValue(std::string_view name, std::string_view value) {
  // No CR, LF or other controls (HT allowed). Empty values (a status message) are common.
  if (!value.empty() && !allFieldValueChars(value)) [[unlikely]] {
    throwInvalidHeaderValue(name);
  }
}

// A comma-separated list holds `token` (case-insensitive): `Connection: keep-alive, close`.
bool containsToken(std::string_view list, std::string_view token);

// Node's getHeader on a header list: values of every line with that name, joined with ", ".
std::optional<std::string> joinedHeader(const HeaderList& headers, std::string_view name);
bool listHasHeader(const HeaderList& headers, std::string_view name);
std::vector<std::string> lowerCaseNames(const HeaderList& headers);
// Node's getHeaders: every line, its name lower-cased, in order.
HeaderList lowerCasedHeaders(const HeaderList& headers);

// Node's setHeader / removeHeader on a header list (setHeader validates first, then replaces
// every line with that name). `sent` refuses both once the head is out: ERR_HTTP_HEADERS_SENT.
void checkHeadersNotSent(bool sent, const char* what);
void replaceHeader(HeaderList& headers, std::string_view name, std::string_view value);
void replaceHeader(HeaderList& headers, std::string_view name,
                   const std::vector<std::string>& values);
void eraseHeader(HeaderList& headers, std::string_view name);

// Appends one chunk of a chunked body to `out`: the size line, the data, the CRLF.
void appendChunk(std::vector<Buffer>& out, std::vector<Buffer>& chunks, std::size_t total);
// Appends the last chunk and the trailer section to `out` (a string or a byte buffer).
template <class Out>
void appendLastChunk(Out& out, const HeaderList& trailers) {
  out += std::string_view("0\r\n");
  for (const auto& [n, v] : trailers) {
    out += std::string_view(n);
    out += std::string_view(": ");
    out += std::string_view(v);
    out += std::string_view("\r\n");
  }
  out += std::string_view("\r\n");
}

}  // namespace evnode::http
