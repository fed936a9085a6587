// `evnode serve`: a static file server for one directory — GET/HEAD with caching validators and
// byte ranges, directory listings, PUT uploads with --writable — logging each request on stderr.
// The handlers live in serve_get.cc and serve_put.cc; this file has the command, the dispatch
// by method, the shared replies and the access log.
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "evnode/https.h"
#include "tools/evnode/commands.h"
#include "tools/evnode/serve.h"
#include "tools/evnode/serve_cache.h"
#include "tools/evnode/serve_gzip.h"
#include "tools/evnode/threads.h"

namespace evnode::cli {

namespace serve {

bool Site::contains(const std::string& real) const {
  if (root == "/") return !real.empty() && real.front() == '/';
  return real == root || (real.size() > root.size() && real.compare(0, root.size(), root) == 0 &&
                          real[root.size()] == '/');
}

std::string Site::pathOf(const std::vector<std::string>& segments) const {
  std::string p = root;
  for (const auto& s : segments) {
    if (p.back() != '/') p += '/';
    p += s;
  }
  return p;
}

void Exchange::reply(int status, const http::HeaderList& headers) {
  std::string body = std::to_string(status) + " " + std::string(http::STATUS_CODES(status)) + "\n";
  reply(status, headers, body, "text/plain; charset=utf-8");
}

void Exchange::reply(int status, const http::HeaderList& headers, const std::string& body,
                     const std::string& contentType) {
  if (res->destroyed()) return;  // the client is gone
  if (res->headersSent()) {
    // Too late for a status: cutting the connection is the only honest signal left.
    res->destroy();
    return;
  }
  const bool noBody = status == 204 || status == 304 || status < 200;
  http::HeaderList h = headers;
  if (!noBody) h.emplace_back("Content-Type", contentType);
  res->writeHead(status, h);
  if (noBody) {
    res->end();
    return;
  }
  if (!head) log->bytes += body.size();
  res->end(body);  // HEAD: the same Content-Length, no body
}

int Exchange::statusFor(const Error& err) const {
  const std::string& c = err.code;
  if (c == "ENOENT" || c == "ENOTDIR" || c == "ELOOP" || c == "ENAMETOOLONG") return 404;
  if (c == "EACCES" || c == "EPERM" || c == "EROFS") return 403;
  if (c == "EISDIR" || c == "ENOTEMPTY" || c == "EEXIST") return 409;
  if (c == "ENOSPC" || c == "EDQUOT") return 507;
  return 500;
}

void Exchange::replyFsError(const Error& err) { reply(statusFor(err)); }

namespace {

// The access log: lines gather during a loop iteration and go out in one write at its end
// (and at a stop, and at exit), so a busy server pays one system call per batch, not per line.
// One batch per thread (--threads); each goes out with one fwrite, so lines never interleave.
thread_local std::string pendingLog;
thread_local bool logScheduled = false;

void flushLog() {
  logScheduled = false;
  if (pendingLog.empty()) return;
  std::fwrite(pendingLog.data(), 1, pendingLog.size(), stderr);
  pendingLog.clear();
}

void writeLogLine(LogState& log, const http::ServerResponse& res, bool aborted) {
  if (log.written) return;
  log.written = true;
  double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - log.start)
          .count();
  // 499 (nginx's "client closed request") when the client left before any status went out;
  // a 408 for a stalled body was sent by the server itself (it sets the response's status).
  int status = aborted && !res.headersSent() && res.statusCode != 408 ? 499 : res.statusCode;
  char num[32];
  std::snprintf(num, sizeof num, " %.1fms", ms);
  pendingLog += log.method + " " + log.url + " " + std::to_string(status) + " " +
                std::to_string(log.bytes) + num + (aborted ? " aborted\n" : "\n");
  if (!logScheduled) {
    logScheduled = true;
    setImmediate(flushLog);
  }
}

std::shared_ptr<LogState> startLog(const Site& site, const http::RequestPtr& req,
                                   const http::ResponsePtr& res) {
  auto log = std::make_shared<LogState>();
  if (site.quiet) return log;
  log->method = req->method;
  log->url = req->url;
  log->start = std::chrono::steady_clock::now();
  http::ServerResponse* raw = res.get();  // valid while it emits its own events
  res->on(Writable::Events::finish, [log, raw] { writeLogLine(*log, *raw, false); });
  res->on(Stream::Events::close, [log, raw] { writeLogLine(*log, *raw, true); });
  return log;
}

// A cached file for a request with no validators or range: the head and the body in one write,
// without the bookkeeping of an Exchange.
bool answerFromCache(const std::shared_ptr<const Site>& sitePtr, const http::RequestPtr& req,
                     const http::ResponsePtr& res, bool head) {
  const Site& site = *sitePtr;
  std::string_view url = req->url;
  CachedFilePtr file = site.cache->find(url.substr(0, url.find('?')));
  if (!file) return false;
  const auto& h = req->headers;
  // --gzip: a text-like file's answer depends on Accept-Encoding (serve_get.cc decides).
  if (h.has("if-none-match") || h.has("if-modified-since") || h.has("range") ||
      (site.gzip && compressible(file->contentType))) {
    auto ex = std::make_shared<Exchange>();
    ex->req = req;
    ex->res = res;
    ex->site = sitePtr;
    ex->head = head;
    ex->log = startLog(site, req, res);
    sendCached(ex, file);
    return true;
  }
  if (!site.quiet) startLog(site, req, res)->bytes = head ? 0 : file->size;
  res->writeHead(200, {{"Content-Type", file->contentType},
                       {"Last-Modified", file->lastModified},
                       {"ETag", file->etag},
                       {"Accept-Ranges", "bytes"},
                       {"Content-Length", file->contentLength}});
  if (head) {
    res->end();
  } else {
    res->end(file->body);
  }
  return true;
}

void onRequest(const std::shared_ptr<const Site>& site, const http::RequestPtr& req,
               const http::ResponsePtr& res, bool expectContinue) {
  const bool head = req->method == "HEAD";
  if (site->cache && (head || req->method == "GET") && answerFromCache(site, req, res, head))
    return;
  auto ex = std::make_shared<Exchange>();
  ex->req = req;
  ex->res = res;
  ex->site = site;
  ex->expectContinue = expectContinue;
  ex->head = head;
  ex->log = startLog(*site, req, res);

  // A client that leaves in the middle of a body destroys the request with ECONNRESET; the
  // handlers learn it from `aborted`, so the error itself needs no other listener.
  req->on(Stream::Events::error, [](const Error&) {});

  ex->target = parseTarget(req->url);
  if (ex->target.status) return ex->reply(ex->target.status);
  if (req->method == "GET" || head) return serveGet(ex);
  if (req->method == "PUT" && site->writable) return servePut(ex);
  ex->reply(405, {{"Allow", site->writable ? "GET, HEAD, PUT" : "GET, HEAD"}});
}

const char kUsage[] =
    "usage: evnode serve [DIR] [--port 8080] [--host 127.0.0.1] [--writable]\n"
    "                    [--tls-cert F --tls-key F] [-q] [--body-timeout S] [--send-timeout S]\n"
    "                    [--gzip] [--threads N]\n"
    "Static file server for DIR (default '.'). GET and HEAD, with ETag/Last-Modified (304),\n"
    "byte ranges (206/416), index.html or a listing for directories. --writable accepts PUT\n"
    "uploads (201 new, 204 replaced). With --tls-cert/--tls-key (PEM files) it serves HTTPS.\n"
    "Prints 'listening on http://HOST:PORT' (https://) when ready and\n"
    "one access-log line per request on stderr: METHOD PATH STATUS BYTES TIMEms\n"
    "(-q/--quiet: none).\n"
    "Files up to 256 KiB are kept in memory and watched with inotify: a file changed, renamed,\n"
    "created or deleted is served as it is now on the next request. A directory inotify cannot\n"
    "watch (watch limit reached, a network or FUSE file system) is served without the cache.\n"
    "Timeouts: a request body that sends no byte for --body-timeout seconds (default 30), or\n"
    "averages under 512 bytes/s once it ran a minute (or --body-timeout if longer), ends its\n"
    "connection (408 if nothing was sent yet; an aborted upload leaves no file); a client that\n"
    "takes no byte of a response for --send-timeout seconds (default 60) is disconnected.\n"
    "0 turns either off.\n"
    "--gzip: text-like files (text/*, JSON, JavaScript, SVG, XML) go out compressed with br or\n"
    "gzip when Accept-Encoding accepts it (q-values honoured), chunked, with Vary:\n"
    "Accept-Encoding and an ETag of their own (\"...-gzip\"); cached files are compressed once\n"
    "and kept. FILE.br or FILE.gz next to the file is sent instead when it exists. Range\n"
    "requests get the uncompressed bytes.\n"
    "--threads N: N event loops sharing the port (SO_REUSEPORT; 0 = one per core), each with\n"
    "its own connections and file cache. With --threads (even 1) a second server can start on\n"
    "the same port while this one stops: a restart without refused connections.\n";

}  // namespace

}  // namespace serve

int cmdServe(Args& args) {
  if (args.help()) {
    println(serve::kUsage);
    return 0;
  }
  int port = static_cast<int>(args.number("--port", 8080, 0, 65535));
  std::string host = args.value("--host").value_or("127.0.0.1");
  bool writable = args.flag("--writable");
  bool quiet = args.flag("-q|--quiet");
  bool gzip = args.flag("--gzip");
  // Seconds; 0 turns a timeout off.
  long bodyTimeout = args.number("--body-timeout", 30, 0, 1000000);
  long sendTimeout = args.number("--send-timeout", 60, 0, 1000000);
  auto cert = args.value("--tls-cert");
  auto key = args.value("--tls-key");
  long threads = threadsOption(args);
  std::vector<std::string> pos = args.finish();
  if (pos.size() > 1) fail("serve takes one directory (got '" + pos[1] + "' too)", 2);
  if (cert.has_value() != key.has_value()) fail("--tls-cert and --tls-key go together", 2);

  std::string dir = pos.empty() ? "." : pos[0];
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) fail(dir + ": no such directory");
    fail(dir + ": " + std::strerror(errno));
  }
  if (!S_ISDIR(st.st_mode)) fail(dir + ": not a directory");
  char real[PATH_MAX];
  if (!::realpath(dir.c_str(), real)) fail(dir + ": " + std::strerror(errno));

  std::string tlsCert, tlsKey;
  if (cert) {
    tlsCert = readOptionFile(*cert, "--tls-cert");
    tlsKey = readOptionFile(*key, "--tls-key");
  }

  ThreadsPlan plan;
  plan.threads = threads;
  plan.port = port;
  plan.readyLine = [scheme = std::string(cert ? "https://" : "http://")](const std::string& address,
                                                                         int real) {
    return "listening on " + scheme + hostPort(address, real);
  };
  plan.one = "transfer";
  plan.many = "transfers";
  plan.doing = " in flight";
  // Each thread has its own site: its own file cache (and inotify descriptor) and server.
  return runServerThreads(plan, [&]() -> ServerThread {
    auto site = std::make_shared<serve::Site>();
    site->root = real;
    site->writable = writable;
    site->quiet = quiet;
    site->gzip = gzip;
    site->cache = std::make_unique<serve::FileCache>(site->root);

    http::ServerOptions opts;
    // An upload of a large file may take longer than the 300 s Node allows a request body: it
    // is bounded instead by the body timeouts (a stall, or a trickle below 512 bytes/s once
    // it ran a minute, or --body-timeout if longer); slow heads are still cut by
    // headersTimeout. The minute: a slow body that is never idle for --body-timeout is what
    // that option promises to let through, so the rate (slowhttptest -B) is judged later.
    if (writable) opts.requestTimeout = 0;
    opts.bodyTimeout = static_cast<std::uint64_t>(bodyTimeout) * 1000;
    opts.bodyMinRate = 512;
    opts.bodyMinRateGrace = std::max<std::uint64_t>(opts.bodyTimeout, 60000);
    opts.sendTimeout = static_cast<std::uint64_t>(sendTimeout) * 1000;
    auto onRequest = [site](const http::RequestPtr& req, const http::ResponsePtr& res) {
      serve::onRequest(site, req, res, false);
    };
    std::shared_ptr<http::Server> server;
    if (cert) {
      https::ServerOptions tlsOpts;
      static_cast<http::ServerOptions&>(tlsOpts) = opts;
      tlsOpts.cert = tlsCert;
      tlsOpts.key = tlsKey;
      auto secure = https::createServer(tlsOpts, onRequest);
      // A failed handshake (a scanner, a plain-HTTP client) just closes that connection.
      secure->on(https::Server::Events::tlsClientError,
                 [](const Error&, const std::shared_ptr<tls::TLSSocket>&) {});
      server = secure;
    } else {
      server = http::createServer(opts, onRequest);
    }
    // With a listener here, 100 Continue is ours to send: an upload gets it only once its
    // temporary file is open, and a request that will be refused gets the refusal instead.
    server->on(http::Server::Events::checkContinue,
               [site](const http::RequestPtr& req, const http::ResponsePtr& res) {
                 serve::onRequest(site, req, res, true);
               });
    ServerThread t;
    t.listen = listenServer(server, host);
    // close() lets the connections with no request in progress go at once, so the ones left
    // are the transfers being finished.
    t.stop = [server] {
      serve::flushLog();
      server->close();
    };
    t.inFlight = [raw = server.get()] { return raw->connections(); };
    t.finish = serve::flushLog;
    return t;
  });
}

}  // namespace evnode::cli
