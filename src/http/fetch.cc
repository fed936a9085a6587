// fetch() and the awaitable http/https requests it is built on.
#include "evnode/fetch.h"

#include <utility>

#include "core/block_cache.h"
#include "http/header_rules.h"
#include "http/parser.h"

namespace evnode::http {

namespace {

// The Fetch Standard normalises these methods' case.
std::string normalizeMethod(std::string m) {
  for (std::string_view known : {"GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS"}) {
    if (equalsIgnoreCase(m, known)) {
      if (m != known) m = known;
      return m;
    }
  }
  return m;
}

Exception fetchFailed(const std::string& why) {
  return Exception("ERR_FETCH_FAILED", "fetch failed: " + why);
}

}  // namespace

// ---- the awaitable request ----

namespace promises {

RequestOperation::RequestOperation(RequestOptions options, bool secure, RequestBody body,
                                   std::shared_ptr<AbortSignal> signal)
    : Operation(std::move(signal)),
      opts_(std::move(options)),
      body_(std::move(body)),
      secure_(secure) {}

RequestOperation::RequestOperation(RequestOperation&& o) noexcept
    : Operation(std::move(o)),
      opts_(std::move(o.opts_)),
      body_(std::move(o.body_)),
      secure_(o.secure_) {}

RequestOperation::~RequestOperation() { stop(); }

void RequestOperation::start() {
  try {
    // What http::request and https::request do, without a response callback to wrap.
    if (secure_) {
      if (!opts_.tls) opts_.tls = std::make_shared<const https::TlsOptions>();
      req_ = internal::request(std::move(opts_), https::globalAgent(), nullptr);
    } else {
      req_ = internal::request(std::move(opts_), globalAgent(), nullptr);
    }
  } catch (const SystemError& e) {
    return reject(e.error());
  } catch (const Exception& e) {
    return reject(Error(e.code(), e.what()));
  }
  responseId_ = req_->on(ClientRequest::Events::response, [this](const IncomingMessagePtr& res) {
    answered_ = true;
    resolve(res);
  });
  errorId_ = req_->on(ClientRequest::Events::error, [this](const Error& e) { reject(e); });
  listening_ = true;
  if (const std::string* t = body_.text()) {
    req_->end(*t);
  } else if (const Buffer* b = body_.bytes()) {
    req_->end(*b);
  } else if (const std::shared_ptr<Readable>* s = body_.stream()) {
    (*s)->pipe(req_);
  } else {
    req_->end();
  }
}

void RequestOperation::stop() {
  if (!listening_) return;
  listening_ = false;
  req_->removeListeners({responseId_, errorId_});
  if (!answered_) {
    // Nobody waits for it any more: whatever its destruction reports goes nowhere.
    req_->on(ClientRequest::Events::error, [](const Error&) {});
    if (const std::shared_ptr<Readable>* s = body_.stream()) (*s)->unpipe(req_);
    req_->destroy();
  }
}

RequestOperation request(RequestOptions options, RequestBody body,
                         std::shared_ptr<AbortSignal> signal) {
  return RequestOperation(std::move(options), false, std::move(body), std::move(signal));
}

RequestOperation request(std::string_view url) { return promises::request(parseUrl(url)); }

RequestOperation request(std::string_view url, RequestOptions options, RequestBody body,
                         std::shared_ptr<AbortSignal> signal) {
  return promises::request(parseUrl(url, std::move(options)), std::move(body), std::move(signal));
}

}  // namespace promises

// ---- the response ----

void FetchResponse::take() {
  if (used_) {
    throw Exception("ERR_INVALID_STATE", "Body is unusable: Body has already been read");
  }
  used_ = true;
}

stream::consumers::ConsumeOperation<std::string> FetchResponse::text() {
  take();
  if (!body) return stream::consumers::text(readableFrom({}));
  return stream::consumers::text(std::static_pointer_cast<Readable>(body));
}

stream::consumers::ConsumeOperation<Buffer> FetchResponse::arrayBuffer() {
  take();
  if (!body) return stream::consumers::buffer(readableFrom({}));
  return stream::consumers::buffer(std::static_pointer_cast<Readable>(body));
}

// ---- fetch ----

namespace {

// After the response: an abort destroys the body with AbortError, until the body closes.
void abortBodyOnSignal(const IncomingMessagePtr& res, const std::shared_ptr<AbortSignal>& signal) {
  if (!signal || res->destroyed()) return;
  std::weak_ptr<IncomingMessage> weak = res;
  ListenerId id = signal->once(AbortSignal::Events::abort, [weak] {
    if (auto r = weak.lock()) {
      if (r->readableEnded()) return;
      // A reader hears of it through its own listener; an unread body must not report it as
      // an uncaught error.
      r->on(Readable::Events::error, [](const Error&) {});
      r->destroy(AbortError::value());
    }
  });
  std::weak_ptr<AbortSignal> weakSignal = signal;
  res->once(Readable::Events::close, [weakSignal, id] {
    if (auto s = weakSignal.lock()) s->off(AbortSignal::Events::abort, id);
  });
}

// The body as the caller holds it: a pointer of its own, so that when its last copy goes (every
// FetchResponse and `body` copy) with the body unread and nothing reading it, the body is let
// go of, as Node lets go of a collected one. When all of it is here it is read to its end, and
// its connection goes back to the pool; when more is to come it is destroyed, and so is its
// connection (reading an unbounded rest could take any time). Without this, the connection
// and the request would hold each other for the rest of the program.
IncomingMessagePtr callersHandle(IncomingMessagePtr res) {
  IncomingMessage* body = res.get();
  auto letGo = [res = std::move(res)](IncomingMessage*) mutable {
    IncomingMessagePtr keep = std::move(res);
    if (keep->readableEnded() || keep->destroyed()) return;  // (the usual case: it was read)
    if (keep->listenerCount(Readable::Events::data) > 0 ||
        keep->listenerCount(Readable::Events::readable) > 0 ||
        keep->readableFlowing().value_or(false)) {
      return;  // something reads it
    }
    if (keep->complete) {
      keep->resume();
    } else {
      keep->destroy();
    }
  };
  // (Its control block comes from the thread's cache, as the message's own.)
  return IncomingMessagePtr(body, std::move(letGo),
                            evnode::detail::CacheAllocator<IncomingMessage>());
}

// One request of the fetch: the operation for `url` with these options. `headers` are the
// caller's (as redirects left them); the request's list adds the Fetch Standard's defaults,
// Content-Type for a text body and Accept, unless they are there.
promises::RequestOperation oneRequest(const URL& url, const std::string& method,
                                      const HeaderList& headers, const RequestBody& body,
                                      const FetchOptions& opts) {
  RequestOptions base = urlToHttpOptions(url);
  base.method = method;
  base.headers.reserve(headers.size() + 2);
  base.headers = headers;
  if (body.text() && !listHasHeader(headers, "content-type")) {
    base.headers.emplace_back("Content-Type", "text/plain;charset=UTF-8");
  }
  if (!listHasHeader(headers, "accept")) base.headers.emplace_back("Accept", "*/*");
  bool secure = base.protocol == "https:";
  if (secure) base.tls = opts.tls;  // shared, not copied: the agent keys its pool by its value
  return promises::RequestOperation(std::move(base), secure, body, opts.signal);
}

}  // namespace

Task<FetchResponse> fetch(std::string url) { return fetch(std::move(url), FetchOptions{}); }

Task<FetchResponse> fetch(std::string urlText, FetchOptions opts) {
  URL url = [&] {
    try {
      return URL(urlText);
    } catch (const Exception&) {
      throw Exception("ERR_INVALID_URL", "Failed to parse URL from " + urlText);
    }
  }();
  std::string method = normalizeMethod(opts.method);
  const std::string_view redirect = opts.redirect;  // (views: lengths compared first)
  if (redirect != "follow" && redirect != "manual" && redirect != "error") {
    throwInvalidArg("options.redirect", "must be \"follow\", \"manual\" or \"error\"");
  }
  if (!opts.body.empty() && (method == "GET" || method == "HEAD")) {
    throw Exception("ERR_INVALID_ARG_VALUE", "Request with GET/HEAD method cannot have body.");
  }
  // The options are this frame's own copy: what the requests need is moved out of them.
  HeaderList headers = std::move(opts.headers);
  for (const auto& [name, value] : headers) {
    validateHeaderName(name);
    validateHeaderValue(name, value);
  }
  RequestBody body = std::move(opts.body);

  constexpr int kMaxRedirects = 20;
  for (int redirects = 0;; ++redirects) {
    std::string protocol = url.protocol();
    if (std::string_view(protocol) != "http:" && std::string_view(protocol) != "https:") {
      throw fetchFailed("unsupported scheme " + protocol);
    }
    IncomingMessagePtr res = co_await oneRequest(url, method, headers, body, opts);
    int status = res->statusCode;
    bool isRedirect =
        status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
    // Only a redirect's Location matters (a header lookup is a scan of the whole head).
    std::optional<std::string> location;
    if (isRedirect) location = res->headers.get("location");
    if (isRedirect && location && redirect != "manual") {
      res->resume();  // drain it, so its keep-alive connection goes back to the pool
      if (redirect == "error") throw fetchFailed("unexpected redirect");
      if (redirects + 1 > kMaxRedirects) throw fetchFailed("redirect count exceeded");
      URL next = [&] {
        try {
          return URL(*location, url);
        } catch (const Exception&) {
          throw fetchFailed("invalid redirect location " + *location);
        }
      }();
      if (((status == 301 || status == 302) && method == "POST") ||
          (status == 303 && method != "GET" && method != "HEAD")) {
        method = "GET";
        body = RequestBody();
        for (const char* h : {"content-type", "content-length", "content-encoding",
                              "content-language", "content-location", "transfer-encoding"}) {
          eraseHeader(headers, h);
        }
      } else if (body.isStream()) {
        throw fetchFailed("a stream body cannot be sent again to follow a " +
                          std::to_string(status) + " redirect");
      }
      if (next.origin() != url.origin()) eraseHeader(headers, "authorization");
      url = std::move(next);
      continue;
    }
    FetchResponse out;
    out.status = status;
    out.ok = status >= 200 && status <= 299;
    out.statusText = res->statusMessage;
    out.headers = std::move(res->headers);  // FetchResponse::headers is where they are read
    out.url = url.href();
    out.redirected = redirects > 0;
    bool noBody = std::string_view(method) == "HEAD" || status == 204 || status == 304;
    if (noBody) {
      res->resume();
    } else {
      abortBodyOnSignal(res, opts.signal);
      out.body = callersHandle(std::move(res));
    }
    co_return out;
  }
}

}  // namespace evnode::http

namespace evnode::https::promises {

http::promises::RequestOperation request(RequestOptions options, http::RequestBody body,
                                         std::shared_ptr<AbortSignal> signal) {
  http::RequestOptions base = options;
  base.tls = std::make_shared<const TlsOptions>(static_cast<const TlsOptions&>(options));
  return http::promises::RequestOperation(std::move(base), true, std::move(body),
                                          std::move(signal));
}

http::promises::RequestOperation request(std::string_view url) {
  return https::promises::request(url, RequestOptions());
}

http::promises::RequestOperation request(std::string_view url, RequestOptions options,
                                         http::RequestBody body,
                                         std::shared_ptr<AbortSignal> signal) {
  static_cast<http::RequestOptions&>(options) = http::parseUrl(url, options);
  return https::promises::request(std::move(options), std::move(body), std::move(signal));
}

}  // namespace evnode::https::promises
