// `evnode get URL`: a curl-like HTTP client on http::request. The body goes to stdout or a file
// with backpressure; redirects are followed with -L; the exit status is curl's where curl has
// one (../shared/CLI.md), each failure one line naming its code.
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>

#include "evnode/fs.h"
#include "evnode/http.h"
#include "evnode/https.h"
#include "evnode/loop.h"
#include "evnode/process.h"
#include "evnode/url.h"
#include "evnode/version.h"
#include "evnode/zlib.h"
#include "tools/evnode/commands.h"

namespace evnode::cli {

namespace {

const char kUsage[] =
    "usage: evnode get URL [-X METHOD] [-H 'Name: value']... [-d DATA | --data-file F]\n"
    "                  [-o FILE | -O] [-i] [-I] [-L] [-s] [-S] [-v] [--unix-socket PATH]\n"
    "                  [--cacert F] [-k] [--resolve HOST:PORT:ADDRESS]... [--timeout SECONDS]\n"
    "                  [--fail] [--compressed]\n"
    "Sends one request and writes the response body to stdout, or to FILE with -o (-O: the\n"
    "URL's last path segment); a progress bar then goes to stderr when it is a terminal.\n"
    "  -i  print the status line and headers first      -I  send HEAD, print the headers\n"
    "  -L  follow redirects (at most 20)                 -v  print both heads on stderr\n"
    "  -s  no progress bar, no error text (-S: but errors)\n"
    "--compressed asks for deflate, gzip or br (Accept-Encoding) and decodes the body; -i and\n"
    "-v show the headers as they came.\n"
    "-d (or --data-file, '-' for stdin) sends a body and implies POST unless -X is given.\n"
    "--timeout bounds the whole request (seconds, fractions allowed). --resolve (as curl's)\n"
    "connects to ADDRESS for HOST:PORT; Host, SNI and the certificate check keep HOST.\n"
    "URLs are WHATWG URLs, as Node's new URL(): dot segments are removed, odd bytes encoded.\n"
    "Exit status (curl's): 0 a response arrived, 3 malformed URL, 6 name not resolved,\n"
    "7 connect failed, 18 body cut short, 22 --fail and status >= 400, 23 writing the output\n"
    "failed, 28 timeout, 35 TLS handshake failed, 47 too many redirects, 60 certificate\n"
    "rejected, 61 a body that does not decode (--compressed), 1 anything else.\n";

// curl's exit statuses, where curl has one.
enum Exit : int {
  kFailed = 1,
  kUsageError = 2,
  kBadUrl = 3,
  kNotResolved = 6,
  kConnectFailed = 7,
  kPartial = 18,
  kHttpError = 22,
  kWriteError = 23,
  kTimedOut = 28,
  kTlsHandshake = 35,
  kTooManyRedirects = 47,
  kCertificate = 60,
  kBadContentEncoding = 61,
};
constexpr int kMaxRedirects = 20;
// Bytes kept to print the heads as received: 32 interim heads and a final one of the default
// 16 KiB limit each, with room to spare (past it, a head is rebuilt from its parsed fields).
constexpr std::size_t kMaxRawHeads = 1 << 20;

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) ==
           std::tolower(static_cast<unsigned char>(y));
  });
}

// "CODE: message" unless the message already names the code (Node's system errors do).
std::string describe(const Error& err) {
  if (err.code.empty() || err.message.find(err.code) != std::string::npos) return err.message;
  return err.code + ": " + err.message;
}

// The exit status for a request's `error` event.
int exitFor(const Error& err) {
  const std::string& c = err.code;
  if (err.syscall == "getaddrinfo" || c == "ENOTFOUND" || c == "EAI_AGAIN" || c == "EAI_FAIL")
    return kNotResolved;
  if (err.syscall == "connect") return kConnectFailed;
  // OpenSSL's own failures, and the alerts a server sends, break the handshake.
  if (c.starts_with("ERR_SSL_") || c.starts_with("ERR_OSSL_")) return kTlsHandshake;
  // The certificate check: OpenSSL's X509_V_ERR_ names (as Node reports them) and the name
  // check.
  for (const char* prefix :
       {"UNABLE_TO_", "CERT_", "CRL_", "ERROR_IN_", "DEPTH_ZERO_", "SELF_SIGNED_"}) {
    if (c.starts_with(prefix)) return kCertificate;
  }
  if (c == "INVALID_CA" || c == "PATH_LENGTH_EXCEEDED" || c == "INVALID_PURPOSE" ||
      c == "HOSTNAME_MISMATCH" || c == "ERR_TLS_CERT_ALTNAME_INVALID") {
    return kCertificate;
  }
  if (c.starts_with("ERR_TLS_")) return kTlsHandshake;
  return kFailed;
}

std::string humanBytes(double n) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (n >= 1024 && u < 4) {
    n /= 1024;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, u ? "%.1f %s" : "%.0f %s", n, units[u]);
  return buf;
}

// A one-line progress bar on stderr, redrawn at most every 100 ms.
class Progress {
 public:
  explicit Progress(std::optional<std::uint64_t> total) : total_(total) {}
  void add(std::size_t n) {
    got_ += n;
    std::uint64_t t = Loop::current().now();
    if (t - last_ >= 100) {
      last_ = t;
      draw();
    }
  }
  void finish() {
    draw();
    lineEnd();
  }
  // Whatever is printed next starts on its own line.
  void lineEnd() {
    if (!open_) return;
    open_ = false;
    std::fputc('\n', ::stderr);
  }

 private:
  void draw() {
    std::string line = "\r";
    if (total_ && *total_ > 0) {
      int pct = static_cast<int>(std::min<double>(
          100.0, 100.0 * static_cast<double>(got_) / static_cast<double>(*total_)));
      int fill = pct * 30 / 100;
      line += "[" + std::string(fill, '#') + std::string(30 - fill, ' ') + "] " +
              std::to_string(pct) + "% ";
      line +=
          humanBytes(static_cast<double>(got_)) + " / " + humanBytes(static_cast<double>(*total_));
    } else {
      line += humanBytes(static_cast<double>(got_)) + " received";
    }
    line += "   ";
    std::fwrite(line.data(), 1, line.size(), ::stderr);
    std::fflush(::stderr);
    open_ = true;
  }
  std::optional<std::uint64_t> total_;
  std::uint64_t got_ = 0;
  std::uint64_t last_ = 0;
  bool open_ = false;  // the bar is drawn and no newline ended it
};

std::string headBlock(int status, const std::string& message, const std::string& version,
                      const http::IncomingHeaders& headers) {
  std::string out = "HTTP/" + version + " " + std::to_string(status);
  if (!message.empty()) out += " " + message;
  out += "\r\n";
  for (const auto& [n, v] : headers.raw()) out += n + ": " + v + "\r\n";
  out += "\r\n";
  return out;
}

// -v: each line of a head on stderr behind "> " or "< ", as curl prints them.
void traceHead(std::string_view head, const char* prefix) {
  std::string out;
  while (!head.empty()) {
    auto eol = head.find('\n');
    std::string_view line = head.substr(0, eol == std::string_view::npos ? head.size() : eol + 1);
    out += prefix;
    out += line;
    head.remove_prefix(line.size());
  }
  std::fwrite(out.data(), 1, out.size(), ::stderr);
  std::fflush(::stderr);
}

// What the command line asked for.
struct Options {
  std::string method;
  http::HeaderList headers;
  std::vector<std::string> unsent;  // -H 'Name:': headers evnode would add, not sent
  std::optional<std::string> data;
  std::optional<std::string> dataFile;
  std::optional<std::string> output;
  bool include = false, head = false, follow = false, verbose = false;
  bool silent = false, showErrors = false, failOnError = false;
  bool compressed = false;  // --compressed: ask for and decode deflate, gzip, br
  std::optional<std::string> unixSocket;
  std::optional<std::string> ca;  // --cacert's contents
  bool insecure = false;
  struct Resolve {
    std::string host;
    int port;
    std::string address;
  };
  std::vector<Resolve> resolves;
  double timeoutMs = 0;  // 0: none
  std::string timeoutText;
};

// A --timeout in seconds, any size: 0 (or inf) is no limit.
double parseTimeout(const std::string& text) {
  char* end = nullptr;
  double s = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || std::isnan(s) || s < 0)
    fail("invalid value '" + text + "' for --timeout (expected seconds >= 0)", kUsageError);
  return std::isinf(s) ? 0 : s * 1000;
}

// --resolve HOST:PORT:ADDRESS, the address possibly in brackets ("[::1]").
Options::Resolve parseResolve(const std::string& arg) {
  std::size_t c1 = arg.find(':');
  std::size_t c2 = c1 == std::string::npos ? c1 : arg.find(':', c1 + 1);
  Options::Resolve r;
  r.host = arg.substr(0, c1);
  std::string portText = c2 == std::string::npos ? "" : arg.substr(c1 + 1, c2 - c1 - 1);
  r.address = c2 == std::string::npos ? "" : arg.substr(c2 + 1);
  if (r.address.size() > 2 && r.address.front() == '[' && r.address.back() == ']')
    r.address = r.address.substr(1, r.address.size() - 2);
  char* end = nullptr;
  long port = std::strtol(portText.c_str(), &end, 10);
  if (r.host.empty() || portText.empty() || *end != '\0' || port < 1 || port > 65535 ||
      net::isIP(r.address) == 0) {
    fail("invalid value '" + arg + "' for --resolve (expected HOST:PORT:ADDRESS)", kUsageError);
  }
  r.port = static_cast<int>(port);
  return r;
}

// -H as curl reads it: 'Name: value' sends the header; 'Name:' with no value sends none (not
// even one evnode would add, as User-Agent), 'Name;' sends it with an empty value.
void parseHeaders(const std::vector<std::string>& args, http::HeaderList& out,
                  std::vector<std::string>& unsent) {
  for (const auto& h : args) {
    if (h.size() > 1 && h.back() == ';' && h.find(':') == std::string::npos) {
      out.emplace_back(h.substr(0, h.size() - 1), "");
      continue;
    }
    auto colon = h.find(':');
    if (colon == std::string::npos || colon == 0)
      fail("invalid header '" + h + "' (expected 'Name: value')", kUsageError);
    std::string value = h.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.erase(0, 1);
    if (value.empty()) {
      unsent.push_back(h.substr(0, colon));
    } else {
      out.emplace_back(h.substr(0, colon), value);
    }
  }
}

bool hasHeader(const http::HeaderList& headers, std::string_view name) {
  return std::any_of(headers.begin(), headers.end(),
                     [&](const auto& h) { return equalsIgnoreCase(h.first, name); });
}

void removeHeader(http::HeaderList& headers, std::string_view name) {
  std::erase_if(headers, [&](const auto& h) { return equalsIgnoreCase(h.first, name); });
}

// The file name -O saves under: the URL's last path segment, as curl takes it.
std::string remoteName(const std::string& url) {
  std::string path;
  try {
    path = URL(url).pathname();
  } catch (const Exception&) {
    fail("malformed URL '" + url + "' (ERR_INVALID_URL)", kBadUrl);
  }
  std::string name = path.substr(path.rfind('/') + 1);
  if (name.empty() || name == "." || name == "..")
    fail("the URL has no file name to save under (-O): " + url, kWriteError);
  return name;
}

// One run of the command: a request, and with -L the requests its redirects lead to.
class Fetch {
 public:
  explicit Fetch(Options o) : o_(std::move(o)) {}

  // Returns the exit status; the one-line error goes through fail().
  int run(const std::string& url) {
    send(url, o_.method, true);
    if (o_.timeoutMs > 0 && !done_) armDeadline(o_.timeoutMs);
    evnode::run();
    if (!done_) finish("the request ended without a response (ECONNRESET)", kFailed);
    if (status_ != 0) fail(o_.silent && !o_.showErrors ? "" : failure_, status_);
    return 0;
  }

 private:
  void send(const std::string& url, const std::string& method, bool withBody) {
    // https::RequestOptions: http's options plus the TLS ones, used only for an https: URL.
    https::RequestOptions r;
    try {
      static_cast<http::RequestOptions&>(r) = http::parseUrl(url);
    } catch (const Exception& e) {
      return finish("malformed URL '" + url + "' (ERR_INVALID_URL)", kBadUrl);
    }
    if (r.protocol != "http:" && r.protocol != "https:") {
      return finish("unsupported protocol '" + r.protocol + "' (expected http: or https:)",
                    kFailed);
    }
    url_ = url;
    // As with curl, --cacert and -k are accepted (and ignored) for plain HTTP.
    if (o_.ca) r.ca = {*o_.ca};
    if (o_.insecure) r.rejectUnauthorized = false;
    applyResolves(r);
    r.method = method;
    r.noAgent = true;
    if (o_.unixSocket) r.socketPath = *o_.unixSocket;
    r.headers = o_.headers;
    if (!withBody) {
      // A redirect that turned the request into a GET drops the body and what described it.
      removeHeader(r.headers, "content-type");
      removeHeader(r.headers, "content-length");
    } else if (o_.data && !hasHeader(r.headers, "content-type")) {
      r.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
    }
    // What curl sends unless told otherwise (some servers refuse a request with no
    // User-Agent).
    if (!hasHeader(r.headers, "user-agent"))
      r.headers.emplace_back("User-Agent", "evnode/" EVNODE_VERSION_STRING);
    if (!hasHeader(r.headers, "accept")) r.headers.emplace_back("Accept", "*/*");
    // curl's list, unless the command line gave its own.
    if (o_.compressed && !hasHeader(r.headers, "accept-encoding"))
      r.headers.emplace_back("Accept-Encoding", "deflate, gzip, br");
    for (const auto& name : o_.unsent) removeHeader(r.headers, name);

    std::shared_ptr<fs::ReadStream> bodyFile;
    if (withBody && o_.dataFile && *o_.dataFile != "-") {
      try {
        fs::Stats st = fs::statSync(*o_.dataFile);
        if (!hasHeader(r.headers, "content-length"))
          r.headers.emplace_back("Content-Length", std::to_string(st.size));
      } catch (const Exception& e) {
        return finish(e.what(), kFailed);
      }
      bodyFile = fs::createReadStream(*o_.dataFile);
    }

    try {
      if (r.protocol == "https:") {
        req_ = https::request(r);
      } else {
        req_ = http::request(static_cast<const http::RequestOptions&>(r));
      }
    } catch (const Exception& e) {
      return finish(std::string(e.what()) + " (" + e.code() + ")", kUsageError);
    }
    http::ClientRequest* req = req_.get();
    headTraced_ = false;
    rawIn_.clear();
    rawAt_ = 0;
    rawDone_ = false;
    trailerText_.clear();
    const unsigned attempt = ++attempts_;
    if (o_.include || o_.verbose) {
      // -i and -v print the heads as received (the parsed fields lose the spacing around
      // values): the socket's bytes are kept, seen before the client parses them, until the
      // final head. (Only this request's: a redirect's socket says nothing after it.)
      req->on(http::ClientRequest::Events::socket, [this, attempt](const http::SocketPtr& s) {
        s->prependListener(net::Socket::Events::data, [this, attempt](const Buffer& b) {
          if (attempt == attempts_ && !rawDone_ && rawIn_.size() < kMaxRawHeads)
            rawIn_.append(b.view());
        });
      });
    }
    req->on(http::ClientRequest::Events::error,
            [this](const Error& err) { finish(describe(err), exitFor(err)); });
    if (o_.verbose) req->on(Writable::Events::finish, [this, req] { traceRequest(*req); });
    if (o_.include || o_.verbose) {
      req->on(http::ClientRequest::Events::information, [this](const http::InformationInfo& i) {
        std::string head =
            rawHead(headBlock(i.statusCode, i.statusMessage, i.httpVersion, i.headers), false);
        if (o_.verbose) traceHead(head, "< ");
        if (o_.include) output(head);
      });
    }
    req->on(http::ClientRequest::Events::response,
            [this, method, withBody](const http::IncomingMessagePtr& res) {
              onResponse(res, method, withBody);
            });
    if (!withBody) {
      req->end();
    } else if (o_.data) {
      req->end(*o_.data);
    } else if (bodyFile) {
      bodyFile->on(fs::ReadStream::Events::error, [this](const Error& err) {
        finish(describe(err), kFailed);
        req_->destroy();
      });
      bodyFile->pipe(req_);
    } else if (o_.dataFile) {  // "-": standard input, sent chunked
      if (stdinUsed_) return finish("cannot send standard input again after a redirect", kFailed);
      stdinUsed_ = true;
      process::stdin()->pipe(req_);
    } else {
      req->end();
    }
  }

  void applyResolves(http::RequestOptions& r) {
    for (const auto& to : o_.resolves) {
      // For another URL, as with curl.
      if (!equalsIgnoreCase(to.host, r.connectHost()) || to.port != r.effectivePort()) continue;
      r.lookup = [address = to.address](
                     const std::string&, int,
                     std::function<void(const Error&, const std::string&, int)> cb) {
        cb({}, address, net::isIP(address));
      };
    }
  }

  // The next head as received, from rawIn_ (`parsed`, rebuilt from the parsed fields, if the
  // bytes kept do not hold it); `final`: the last one wanted.
  std::string rawHead(std::string parsed, bool final) {
    const std::size_t end = rawIn_.find("\r\n\r\n", rawAt_);
    if (end != std::string::npos && rawIn_.compare(rawAt_, 5, "HTTP/") == 0) {
      parsed = rawIn_.substr(rawAt_, end + 4 - rawAt_);
      rawAt_ = end + 4;
    }
    if (final) {
      rawDone_ = true;
      std::string().swap(rawIn_);
    }
    return parsed;
  }

  void traceRequest(const http::ClientRequest& req) {
    if (headTraced_) return;
    headTraced_ = true;
    const Buffer& h = req.header();
    traceHead({reinterpret_cast<const char*>(h.data()), h.length()}, "> ");
  }

  void onResponse(const http::IncomingMessagePtr& res, const std::string& method, bool withBody) {
    std::string head = rawHead(
        headBlock(res->statusCode, res->statusMessage, res->httpVersion, res->headers), true);
    if (o_.verbose) {
      traceRequest(*req_);
      traceHead(head, "< ");
    }
    auto location = res->headers.get("location");
    int code = res->statusCode;
    if (o_.follow && location &&
        (code == 301 || code == 302 || code == 303 || code == 307 || code == 308)) {
      if (o_.include) output(head);
      return redirect(res, *location, method, withBody);
    }
    if (o_.failOnError && code >= 400) {
      finish("the server answered " + std::to_string(code) +
                 (res->statusMessage.empty() ? "" : " " + res->statusMessage),
             kHttpError);
      req_->destroy();
      return;
    }
    if (o_.include) output(head);
    if (o_.output && !o_.silent && ::isatty(2)) {
      std::optional<std::uint64_t> total;
      if (auto cl = res->headers.get("content-length"))
        total = std::strtoull(cl->c_str(), nullptr, 10);
      progress_ = std::make_shared<Progress>(total);
    }
    http::IncomingMessage* raw = res.get();
    // --compressed: the body goes through a decoder for its Content-Encoding, made with the
    // first byte (an empty body, as HEAD's, has nothing to decode).
    std::string coding;
    if (o_.compressed) {
      if (auto ce = res->headers.get("content-encoding")) coding = *ce;
      try {
        if (!zlib::createDecoder(coding)) coding.clear();
      } catch (const Exception&) {
        finish("unrecognized content encoding '" + coding +
                   "' (--compressed decodes deflate, gzip and br)",
               kBadContentEncoding);
        return;
      }
    }
    res->on(http::IncomingMessage::Events::data, [this, raw, coding](const Buffer& chunk) {
      if (progress_) progress_->add(chunk.length());
      Writable* to = sink();
      if (!coding.empty()) {
        if (!decoder_) startDecoder(raw, coding);
        to = decoder_.get();
      }
      if (!to->write(chunk)) {
        raw->pause();
        to->once(Writable::Events::drain, [raw] { raw->resume(); });
      }
    });
    res->on(http::IncomingMessage::Events::error, [this](const Error& err) {
      // A body that breaks the protocol is not one cut short.
      if (err.code.starts_with("HPE_")) return finish(describe(err), kFailed);
      finish(describe(err) + " (the response body was cut short)", kPartial);
    });
    if (o_.output) sink();  // even an empty body makes the file
    res->on(http::IncomingMessage::Events::end, [this, raw] {
      // -i: the trailers after the body, as curl prints them.
      if (o_.include) {
        for (const auto& [n, v] : raw->trailers.raw()) trailerText_ += n + ": " + v + "\r\n";
      }
      if (progress_) progress_->finish();
      if (decoder_) {
        decoder_->end();  // its own `end` finishes the run (bodyDone)
        return;
      }
      bodyDone();
    });
  }

  // The decoded body goes to the sink with backpressure; a body that does not decode is
  // curl's exit 61.
  void startDecoder(http::IncomingMessage* raw, const std::string& coding) {
    decoder_ = zlib::createDecoder(coding);
    zlib::ZlibBase* d = decoder_.get();
    d->on(Readable::Events::data, [this, d](const Buffer& out) {
      if (!sink()->write(out)) {
        d->pause();
        sink()->once(Writable::Events::drain, [d] { d->resume(); });
      }
    });
    d->on(Readable::Events::end, [this] { bodyDone(); });
    d->on(Stream::Events::error, [this, raw, coding](const Error& err) {
      raw->resume();
      finish("the " + coding + " body does not decode: " + describe(err), kBadContentEncoding);
    });
  }

  // The whole body is out (decoded if it was encoded).
  void bodyDone() {
    if (!trailerText_.empty()) output(trailerText_);
    if (file_) {
      // The exit waits for the file's last write: a failed one is still exit 23.
      file_->end([this](const Error& err) {
        if (!err) finish("", 0);  // a failed write is the file's `error` event: exit 23
      });
    } else {
      finish("", 0);
    }
  }

  void redirect(const http::IncomingMessagePtr& res, const std::string& location,
                const std::string& method, bool withBody) {
    res->resume();  // the redirect's own body is not wanted
    req_->destroy();
    if (++redirects_ > kMaxRedirects) {
      return finish("maximum (" + std::to_string(kMaxRedirects) + ") redirects followed",
                    kTooManyRedirects);
    }
    std::string next;
    try {
      next = URL(location, url_).href();
    } catch (const Exception&) {
      return finish("malformed redirect location '" + location + "' (ERR_INVALID_URL)", kBadUrl);
    }
    // As curl: 301/302/303 turn a POST into a GET, and 303 anything but HEAD.
    int code = res->statusCode;
    std::string nextMethod = method;
    if ((code <= 303 && method == "POST") || (code == 303 && method != "HEAD")) {
      nextMethod = "GET";
      withBody = false;
    }
    // Credentials go only to the origin they were given for (curl's rule since 7.58).
    URL from(url_), to(next);
    if (from.protocol() != to.protocol() || from.host() != to.host()) {
      removeHeader(o_.headers, "authorization");
      removeHeader(o_.headers, "cookie");
    }
    setImmediate([this, next, nextMethod, withBody] {
      if (!done_) send(next, nextMethod, withBody);
    });
  }

  // Where the output goes: -o's file, opened with the first byte for it (no file for a request
  // that failed before any, as curl), or stdout.
  Writable* sink() {
    if (o_.output) {
      if (!file_) {
        file_ = fs::createWriteStream(*o_.output);
        file_->on(fs::WriteStream::Events::error, [this](const Error& err) {
          finish("writing " + *o_.output + ": " + describe(err), kWriteError);
          req_->destroy();
        });
      }
      return file_.get();
    }
    if (!stdoutWatched_) {
      stdoutWatched_ = true;
      // The reader went away (`evnode get URL | head -c 10`): nothing more can be delivered,
      // and as curl that ends the run with 23, quietly for a closed pipe.
      process::stdout()->on(Writable::Events::error, [this](const Error& err) {
        finish(err.code == "EPIPE" ? "" : "writing the body to stdout: " + describe(err),
               kWriteError);
        if (req_) req_->destroy();
      });
    }
    return process::stdout().get();
  }

  void output(const std::string& text) { sink()->write(text); }

  // --timeout of any size: libuv's timers take 32-bit delays in Node's API, so a long one is
  // a chain of shorter ones.
  void armDeadline(double ms) {
    constexpr double kLongest = 2147483647.0;
    double step = std::min(ms, kLongest);
    deadline_ = setTimeout(
        [this, rest = ms - step] {
          if (rest >= 1) return armDeadline(rest);
          finish("timeout: no complete response within " + o_.timeoutText + " s (ETIMEDOUT)",
                 kTimedOut);
          if (req_) req_->destroy();
        },
        static_cast<std::uint64_t>(std::ceil(step)));
  }

  void finish(const std::string& failure, int status) {
    if (done_) return;
    done_ = true;
    failure_ = failure;
    status_ = status;
    if (progress_ && status != 0) progress_->lineEnd();
    if (deadline_) clearTimeout(deadline_);
    deadline_ = nullptr;
    // A failure ends the request; the loop then drains, flushing what was written.
    if (status != 0) {
      if (req_) req_->destroy();
      if (file_) file_->destroy();
    }
  }

  Options o_;
  std::string url_;
  http::ClientRequestPtr req_;
  std::shared_ptr<fs::WriteStream> file_;
  std::shared_ptr<Progress> progress_;
  std::shared_ptr<zlib::ZlibBase> decoder_;
  TimeoutPtr deadline_;
  int redirects_ = 0;
  bool headTraced_ = false;
  std::string rawIn_;  // the response's bytes as received, up to its final head (-i, -v)
  std::size_t rawAt_ = 0;
  bool rawDone_ = false;
  unsigned attempts_ = 0;    // requests sent (redirects included): whose bytes rawIn_ holds
  std::string trailerText_;  // -i: the trailers, written after the body
  bool stdoutWatched_ = false;
  bool stdinUsed_ = false;
  bool done_ = false;
  std::string failure_;
  int status_ = 0;
};

}  // namespace

int cmdGet(Args& args) {
  if (args.help()) {
    std::fputs(kUsage, ::stdout);
    return 0;
  }
  Options o;
  auto method = args.value("-X|--request");
  parseHeaders(args.values("-H|--header"), o.headers, o.unsent);
  o.data = args.value("-d|--data");
  o.dataFile = args.value("--data-file");
  o.output = args.value("-o|--output");
  bool saveUnderRemoteName = args.flag("-O|--remote-name");
  o.include = args.flag("-i|--include");
  o.head = args.flag("-I|--head");
  o.follow = args.flag("-L|--location");
  o.silent = args.flag("-s|--silent");
  o.showErrors = args.flag("-S|--show-error");
  o.verbose = args.flag("-v|--verbose");
  o.compressed = args.flag("--compressed");
  o.unixSocket = args.value("--unix-socket");
  auto cacert = args.value("--cacert");
  o.insecure = args.flag("-k|--insecure");
  for (const auto& r : args.values("--resolve")) o.resolves.push_back(parseResolve(r));
  auto timeoutText = args.value("--timeout");
  o.failOnError = args.flag("-f|--fail");
  auto pos = args.finish();
  if (pos.size() != 1) fail("get needs exactly one URL (see 'evnode get --help')", kUsageError);
  if (o.data && o.dataFile) fail("use either -d or --data-file, not both", kUsageError);
  if (o.head && (o.data || o.dataFile))
    fail("-I sends HEAD, which has no body: drop -d/--data-file", kUsageError);
  if (o.output && saveUnderRemoteName) fail("use either -o or -O, not both", kUsageError);
  if (timeoutText) {
    o.timeoutMs = parseTimeout(*timeoutText);
    o.timeoutText = *timeoutText;
  }
  if (cacert) o.ca = readOptionFile(*cacert, "--cacert");
  o.method = method.value_or(o.head ? "HEAD" : (o.data || o.dataFile ? "POST" : "GET"));
  if (o.head) o.include = true;
  if (saveUnderRemoteName) o.output = remoteName(pos[0]);
  if (o.output == "-") o.output.reset();  // curl's "-o -": standard output
  return Fetch(std::move(o)).run(pos[0]);
}

}  // namespace evnode::cli
