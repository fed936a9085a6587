// `evnode serve` internals shared by its files: the served site, one request being answered
// (with its access-log line), and the GET/HEAD and PUT handlers.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "evnode/http.h"
#include "tools/evnode/serve_target.h"

namespace evnode::cli::serve {

class FileCache;
struct CachedFile;

struct Site {
  std::string root;  // the served directory, canonical (realpath), without a trailing slash
  bool writable = false;
  bool quiet = false;                // no access log
  bool gzip = false;                 // --gzip: text-like files sent br/gzip-coded
  std::unique_ptr<FileCache> cache;  // small files kept fresh with inotify (serve_cache.h)

  // Whether a canonical path is the root or below it (symlinks resolved by the caller).
  bool contains(const std::string& real) const;
  // root + "/" + the segments: the file a URL names, before symlinks are resolved.
  std::string pathOf(const std::vector<std::string>& segments) const;
};

// What the access log needs; separate from Exchange so the response's listeners can hold it
// without keeping the response itself alive.
struct LogState {
  std::string method, url;
  std::chrono::steady_clock::time_point start;
  std::uint64_t bytes = 0;  // body bytes sent
  bool written = false;
};

// One request being answered.
struct Exchange {
  http::RequestPtr req;
  http::ResponsePtr res;
  std::shared_ptr<const Site> site;
  std::shared_ptr<LogState> log;
  Target target;
  bool expectContinue = false;  // the client waits for 100 Continue before sending a body
  bool head = false;            // HEAD: headers as for GET, no body

  // A whole response with a small body (HEAD gets the headers only). Without `body`, a short
  // text/plain line with the status and its reason phrase.
  void reply(int status, const http::HeaderList& headers = {});
  void reply(int status, const http::HeaderList& headers, const std::string& body,
             const std::string& contentType);
  // The answer to a failed file-system call: 404 (ENOENT, ENOTDIR, ELOOP, ENAMETOOLONG),
  // 403 (EACCES, EPERM), 409 (EISDIR, ENOTEMPTY, EEXIST), 507 (ENOSPC, EDQUOT), else 500.
  void replyFsError(const Error& err);
  int statusFor(const Error& err) const;
};
using ExchangePtr = std::shared_ptr<Exchange>;

// GET and HEAD: files (conditional, ranges), directory redirects, index.html, listings.
void serveGet(const ExchangePtr& ex);
// GET and HEAD of a file from the cache, with the same validators and ranges.
void sendCached(const ExchangePtr& ex, const std::shared_ptr<const CachedFile>& file);
// PUT with --writable: the body goes to a temporary file that replaces the target at the end.
void servePut(const ExchangePtr& ex);

}  // namespace evnode::cli::serve
