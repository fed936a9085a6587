// evnode/fetch.h — Node's fetch() (WHATWG fetch over http/https), and awaitable
// http::request / https::request.
//
//   http::FetchResponse res = co_await http::fetch("http://127.0.0.1:3000/");
//   if (res.ok) std::puts((co_await res.text()).c_str());
//
//   http::FetchOptions post;            // named first: see task.h on GCC 12 and co_await
//   post.method = "POST";
//   post.headers = {{"Content-Type", "application/json"}};
//   post.body = R"({"a":1})";
//   post.signal = AbortSignal::timeout(5000);
//   auto r = co_await http::fetch(url, post);
//
// Requests go through the global Agents (http::globalAgent(), https::globalAgent(): keep-alive,
// one pool per origin), so N sequential fetches to one server share one connection; idle
// pooled sockets are unref'd and never keep the program running. https: URLs are verified as
// https::request verifies them (the system CA store unless FetchOptions::tls says otherwise).
//
// Where it differs from Node's fetch (undici): a failure throws the underlying error itself
// (SystemError "connect ECONNREFUSED 127.0.0.1:1", not TypeError "fetch failed" with it as the
// cause); bodies are not decompressed (no Accept-Encoding is sent); there is no CORS mode.
#pragma once

#include <concepts>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>

#include "evnode/abort.h"
#include "evnode/buffer.h"
#include "evnode/http.h"
#include "evnode/https.h"
#include "evnode/operation.h"
#include "evnode/stream.h"
#include "evnode/stream_promises.h"
#include "evnode/task.h"
#include "evnode/url.h"

namespace evnode::http {

/// A request body: nothing, text, bytes, or a Readable streamed with chunked encoding (Node's
/// BodyInit, without the form types).
class RequestBody {
 public:
  /// No body.
  RequestBody() = default;
  /// Text, sent as its UTF-8 bytes (fetch adds Content-Type: text/plain;charset=UTF-8).
  RequestBody(std::string text) : v_(std::move(text)) {}  // NOLINT: implicit by design
  /// Text.
  RequestBody(std::string_view text) : v_(std::string(text)) {}  // NOLINT
  /// Text.
  RequestBody(const char* text) : v_(std::string(text)) {}  // NOLINT
  /// Bytes.
  RequestBody(Buffer bytes) : v_(std::move(bytes)) {}  // NOLINT
  /// A stream, piped into the request (sent chunked unless Content-Length is set); it can be
  /// sent only once, so a 307/308 redirect of it fails.
  template <class R>
  requires std::derived_from<R, Readable> RequestBody(std::shared_ptr<R> stream)  // NOLINT
      : v_(std::static_pointer_cast<Readable>(std::move(stream))) {}

  /// Whether there is a body.
  bool empty() const { return v_.index() == 0; }
  /// Whether it is a stream.
  bool isStream() const { return v_.index() == 3; }
  /// The text, if it is text.
  const std::string* text() const { return std::get_if<std::string>(&v_); }
  /// The bytes, if they are bytes.
  const Buffer* bytes() const { return std::get_if<Buffer>(&v_); }
  /// The stream, if it is one.
  const std::shared_ptr<Readable>* stream() const {
    return std::get_if<std::shared_ptr<Readable>>(&v_);
  }

 private:
  std::variant<std::monostate, std::string, Buffer, std::shared_ptr<Readable>> v_;
};

/// Node's fetch options (RequestInit): those that mean something outside a browser.
struct FetchOptions {
  std::string method = "GET";  ///< the request method (upper-cased for the standard ones)
  HeaderList headers;          ///< request headers, names as given
  RequestBody body;            ///< the body (none for GET and HEAD: a body there throws)
  /// "follow" (the default: at most 20 redirects; a 301/302 of a POST and a 303 of anything
  /// but HEAD become a GET without body, as the Fetch Standard says), "manual" (the 3xx
  /// response is given as it is) or "error" (a redirect throws).
  std::string redirect = "follow";
  /// Aborts the fetch: before the response the request is destroyed and the await throws
  /// AbortError; after it, the body is destroyed with AbortError (reading it throws).
  std::shared_ptr<AbortSignal> signal;
  /// evnode's: TLS options for https: URLs (a private CA, a client certificate); the global
  /// https Agent keys its pool by them.
  std::shared_ptr<const https::TlsOptions> tls;
};

/// Node's fetch Response.
class FetchResponse {
 public:
  int status = 0;          ///< the status code
  bool ok = false;         ///< status is 200 to 299
  std::string statusText;  ///< the reason phrase as sent
  /// The headers: `headers.get("content-type")` (std::nullopt when absent; duplicates joined
  /// as Node joins them).
  IncomingHeaders headers;
  std::string url;          ///< the final URL, after redirects
  bool redirected = false;  ///< whether a redirect was followed
  /// The body as a Readable (the response IncomingMessage), for reading chunk by chunk (e.g.
  /// with stream::iterator); null for a response that has none (HEAD, 204, 304). Its headers
  /// were moved into `headers` above. When every copy of the response and of `body` is gone
  /// with the body unread and nothing reading it, the body is let go of: read to its end if all
  /// of it has arrived (its keep-alive connection goes back to the pool), otherwise destroyed
  /// with its connection.
  IncomingMessagePtr body;

  /// Node's `await res.text()`: the whole body as UTF-8 text. The body is read once: a second
  /// read throws ERR_INVALID_STATE ("Body is unusable").
  stream::consumers::ConsumeOperation<std::string> text();
  /// Node's `await res.arrayBuffer()`: the whole body's bytes.
  stream::consumers::ConsumeOperation<Buffer> arrayBuffer();
  /// The same as arrayBuffer() (undici's bytes()).
  stream::consumers::ConsumeOperation<Buffer> buffer() { return arrayBuffer(); }
  /// Whether the body was read (Node's bodyUsed).
  bool bodyUsed() const { return used_; }

 private:
  void take();
  bool used_ = false;
};

/// Node's `await fetch(url)`: a GET, following redirects.
Task<FetchResponse> fetch(std::string url);
/// Node's `await fetch(url, options)`. Name the options before the co_await (task.h).
Task<FetchResponse> fetch(std::string url, FetchOptions options);

/// Awaitable forms of http's client calls.
namespace promises {

/// What request() returns: an Operation (operation.h) that makes the request when awaited,
/// sends `body` and ends it, and gives the response at its `response` event (the body unread).
/// An `error` before it throws; an abort or the awaiting coroutine's destruction destroys the
/// request.
class RequestOperation : public Operation<IncomingMessagePtr, RequestOperation> {
 public:
  /// A request made with `options` when awaited, through http::globalAgent() (or, when
  /// `secure`, https::globalAgent(), with `options.tls`) unless options.agent says otherwise.
  RequestOperation(RequestOptions options, bool secure, RequestBody body,
                   std::shared_ptr<AbortSignal> signal);
  /// Moves one not yet awaited.
  RequestOperation(RequestOperation&& o) noexcept;
  ~RequestOperation();
  /// Operation's: makes, sends and ends the request.
  void start();
  /// Operation's: removes the listeners; destroys the request if no response came.
  void stop();
  /// The request, once started (its socket, its head).
  const ClientRequestPtr& req() const { return req_; }

 private:
  RequestOptions opts_;
  RequestBody body_;
  ClientRequestPtr req_;
  ListenerId responseId_ = 0, errorId_ = 0;
  bool secure_, listening_ = false, answered_ = false;
};

/// `co_await http::promises::request(options, body)`: Node's `http.request(options)` written
/// with `body` and ended, awaited until `response`. Name the options before the co_await.
RequestOperation request(RequestOptions options, RequestBody body = {},
                         std::shared_ptr<AbortSignal> signal = nullptr);
/// A GET of a URL.
RequestOperation request(std::string_view url);
/// The same for a URL, whose parts override those of `options`.
RequestOperation request(std::string_view url, RequestOptions options, RequestBody body = {},
                         std::shared_ptr<AbortSignal> signal = nullptr);

}  // namespace promises

}  // namespace evnode::http

/// Awaitable forms of https's client calls.
namespace evnode::https::promises {

/// `co_await https::promises::request(options, body)`: https.request awaited until `response`
/// (see http::promises::request).
http::promises::RequestOperation request(RequestOptions options, http::RequestBody body = {},
                                         std::shared_ptr<AbortSignal> signal = nullptr);
/// The same for a URL.
http::promises::RequestOperation request(std::string_view url);
/// The same, the URL's parts overriding those of `options`.
http::promises::RequestOperation request(std::string_view url, RequestOptions options,
                                         http::RequestBody body = {},
                                         std::shared_ptr<AbortSignal> signal = nullptr);

}  // namespace evnode::https::promises
