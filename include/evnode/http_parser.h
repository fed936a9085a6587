// evnode/http_parser.h — HTTP/1.1 responses read out of a byte stream, for clients that do their
// own I/O.
//
// http::ClientRequest is what most programs want. ResponseParser is the strict parser under it,
// for a client that owns its connection: a load generator that pipelines requests (`evnode
// bench` is built on it), a proxy, a test harness. Node keeps its parser internal; this is
// evnode's own.
//
//   http::ResponseParser parser;
//   parser.expect(isHead);                         // before each response, in request order
//   for (;;) switch (parser.execute(pending)) {    // what was consumed leaves `pending`
//     case Step::kNeedMore: read more, append it to `pending`, call again
//     case Step::kHead:  parser.statusCode(), parser.headers() (1xx: a final head follows)
//     case Step::kBody:  parser.body()
//     case Step::kEnd:   parser.trailers(); the next response starts
//     case Step::kError: parser.errorCode(); the connection is unusable
//   }
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string_view>

#include "evnode/buffer.h"

namespace evnode::http {

/// One field line as received: views into the bytes given to the parser.
struct HeaderField {
  std::string_view name;   ///< as sent (compare case-insensitively)
  std::string_view value;  ///< leading and trailing SP/HT removed
};

class ResponseReader;  // internal (src/http/response_reader.h)

/// Reads HTTP/1.1 responses from a connection's bytes, one step at a time, without copying body
/// bytes. Strict as the client is (RFC 9112, as Node's llhttp without lenient flags): a bare LF,
/// a bad Content-Length or Transfer-Encoding, a head over maxHeaderSize are errors with llhttp's
/// names. 1xx heads other than 101 are reported as heads and the final head follows; more than
/// 32 of them before one final head is HPE_TOO_MANY_INFORMATIONAL. After 101, or a 2xx to
/// CONNECT, the connection is no longer HTTP: execute() returns kNeedMore and leaves every byte
/// to the caller.
class ResponseParser {
 public:
  /// What execute() found.
  enum class Step {
    kNeedMore,  ///< nothing more in these bytes: append what the connection reads next
    kHead,      ///< a head: statusCode(), headers(), ...
    kBody,      ///< a piece of the body: body()
    kEnd,       ///< the response is complete (trailers() for a chunked one)
    kError,     ///< malformed: errorCode(); every later call returns kError
  };
  /// The bounds on a head.
  struct Options {
    std::size_t maxHeaderSize = 16384;   ///< bytes in a head (and in the trailers)
    std::size_t maxHeadersCount = 2000;  ///< field lines in a head
  };

  ResponseParser();                                 ///< with the default Options
  explicit ResponseParser(const Options& options);  ///< with these bounds
  ~ResponseParser();
  ResponseParser(ResponseParser&&) noexcept;             ///< moves the parser's state
  ResponseParser& operator=(ResponseParser&&) noexcept;  ///< moves the parser's state

  /// How the request the next response answers was made: HEAD and CONNECT change its framing.
  void expect(bool head, bool connect = false);
  /// Reads from `in`, removing what it consumed (a head, some body bytes, framing).
  Step execute(Buffer& in);
  /// The connection ended: kEnd for a body that runs until the close, kNeedMore between
  /// responses, else kError (HPE_INVALID_EOF_STATE: the response was cut short).
  Step finish();

  /// The last head's status code (100-999).
  int statusCode() const;
  /// The last head's reason phrase (a view, valid until the next execute()).
  std::string_view statusMessage() const;
  /// The last head's minor version: 1 for HTTP/1.1, 0 for HTTP/1.0.
  int httpVersionMinor() const;
  /// The last head's field lines (views, valid until the next execute()).
  std::span<const HeaderField> headers() const;
  /// The last head is a 1xx other than 101: the final head follows.
  bool informational() const;
  /// The connection was taken over (101, or a 2xx to CONNECT).
  bool upgraded() const;
  /// The connection can carry another request after this response.
  bool keepAlive() const;
  /// Some bytes of a response have been read and it is not complete yet.
  bool midResponse() const;
  /// The piece of body the last kBody reported (a slice of the input, no copy).
  const Buffer& body() const;
  /// A chunked body's trailers, after kEnd (views, valid until the next execute()).
  std::span<const HeaderField> trailers() const;
  /// After kError: llhttp's name of what was wrong ("HPE_INVALID_CONSTANT", ...).
  std::string_view errorCode() const;
  /// After kError: a short human reason ("Header overflow", ...).
  std::string_view errorReason() const;

 private:
  std::unique_ptr<ResponseReader> reader_;
};

}  // namespace evnode::http
