// `evnode serve` GET and HEAD: a URL resolves (symlinks included) to a path that must stay
// inside the served directory; files go out with validators, conditional 304s and byte
// ranges — small ones from the cache (serve_cache.h), read inline on a miss, larger ones sent
// with sendfile(2) (over TLS read and streamed with backpressure); directories get a redirect
// to their slash form, their index.html, or a listing.
#include <cmath>
#include <functional>

#include "evnode/fs.h"
#include "tools/evnode/serve.h"
#include "tools/evnode/serve_cache.h"
#include "tools/evnode/serve_http.h"
#include "tools/evnode/serve_listing.h"
#include "tools/evnode/serve_mime.h"

namespace evnode::cli::serve {

namespace {

void closeQuietly(int fd) {
  fs::close(fd, [](const Error&) {});
}

// The client is gone: nothing more is worth doing for it.
bool gone(const ExchangePtr& ex) { return ex->res->destroyed(); }

// What the validators and the range of a file response are computed from.
struct FileFacts {
  std::string_view contentType, etag, lastModified;
  std::time_t mtime = 0;
  std::uint64_t size = 0;
};

// The body bytes to send, once the head is out; `done` when the response is complete already
// (304, 416, HEAD, an empty body).
struct BodyPlan {
  bool done = true;
  std::uint64_t first = 0, length = 0;
};

// Conditional requests and ranges (RFC 9110 §13, §14) for a file, and the head.
BodyPlan startFileResponse(const ExchangePtr& ex, const FileFacts& f) {
  const auto& headers = ex->req->headers;
  // RFC 9110 §13.2.2: If-None-Match, when present, decides alone.
  bool notModified = false;
  if (auto inm = headers.get("if-none-match")) {
    notModified = noneMatchHits(*inm, f.etag);
  } else if (auto ims = headers.get("if-modified-since")) {
    auto since = parseHttpDate(*ims);
    notModified = since && f.mtime <= *since;
  }
  if (notModified) {
    ex->reply(304, {{"ETag", std::string(f.etag)}, {"Last-Modified", std::string(f.lastModified)}});
    return {};
  }

  http::HeaderList h{{"Content-Type", std::string(f.contentType)},
                     {"Last-Modified", std::string(f.lastModified)},
                     {"ETag", std::string(f.etag)},
                     {"Accept-Ranges", "bytes"}};
  int status = 200;
  BodyPlan plan{false, 0, f.size};
  auto range = headers.get("range");
  auto ifRange = headers.get("if-range");
  if (range && (!ifRange || ifRangeHolds(*ifRange, f.etag, f.mtime))) {
    ByteRange r = parseRange(*range, f.size);
    if (r.kind == ByteRange::kUnsatisfiable) {
      ex->reply(416, {{"Content-Range", "bytes */" + std::to_string(f.size)}});
      return {};
    }
    if (r.kind == ByteRange::kSatisfiable) {
      status = 206;
      plan.first = r.first;
      plan.length = r.last - r.first + 1;
      h.emplace_back("Content-Range", "bytes " + std::to_string(r.first) + "-" +
                                          std::to_string(r.last) + "/" + std::to_string(f.size));
    }
  }
  h.emplace_back("Content-Length", std::to_string(plan.length));
  ex->res->writeHead(status, std::move(h));
  if (ex->head || plan.length == 0) {
    ex->res->end();
    return {};
  }
  return plan;
}

void sendFile(const ExchangePtr& ex, const std::string& real, int fd, const fs::Stats& st) {
  const std::string etag = makeETag(st.size, st.mtimeMs);
  FileFacts facts;
  facts.mtime = static_cast<std::time_t>(std::floor(st.mtimeMs / 1000));
  const std::string lastModified = formatHttpDate(facts.mtime);
  facts.contentType = contentTypeFor(real.substr(real.rfind('/') + 1));
  facts.etag = etag;
  facts.lastModified = lastModified;
  facts.size = st.size;
  BodyPlan plan = startFileResponse(ex, facts);
  if (plan.done) return closeQuietly(fd);
  const std::uint64_t first = plan.first, length = plan.length;

  // sendfile(2) on a plain connection (the bytes never pass through this process); read and
  // written through over TLS.
  ex->res->sendFile(fd, first, length, [fd, log = ex->log](const Error&, std::uint64_t sent) {
    log->bytes += sent;
    closeQuietly(fd);
  });
}

// Opens a path already known to be a regular file. The checks run again on the open
// descriptor, since the name may have been replaced in between (a PUT renames over files).
void openFile(const ExchangePtr& ex, const std::string& real) {
  fs::open(real, "r", [ex, real](const Error& err, int fd) {
    if (err) return ex->replyFsError(err);
    fs::fstat(fd, [ex, real, fd](const Error& err, const fs::Stats& st) {
      if (err || !st.isFile() || !mayServe(st.mode) || gone(ex)) {
        closeQuietly(fd);
        if (gone(ex)) return;
        return err ? ex->replyFsError(err) : ex->reply(403);
      }
      sendFile(ex, real, fd, st);
    });
  });
}

void listDirectory(const ExchangePtr& ex, const std::string& real) {
  fs::readdir(real, [ex, real](const Error& err, const std::vector<fs::Dirent>& dirents) {
    if (err) return ex->replyFsError(err);
    struct Listing {
      std::vector<ListingEntry> entries;
      std::size_t left = 0;
    };
    auto listing = std::make_shared<Listing>();
    for (const auto& d : dirents) {
      if (d.name.starts_with(".evnode-upload-")) continue;  // a PUT in progress
      ListingEntry e;
      e.name = d.name;
      e.directory = d.isDirectory();
      listing->entries.push_back(std::move(e));
    }
    auto finish = [ex, listing] {
      std::string urlPath = "/" + joinSegments(ex->target.segments);
      if (urlPath.back() != '/') urlPath += '/';
      ex->reply(200, {}, renderListing(urlPath, listing->entries), "text/html; charset=utf-8");
    };
    listing->left = listing->entries.size();
    if (listing->left == 0) return finish();
    // Sizes and times, and whether a symlink leads to a directory: one stat per entry.
    for (std::size_t i = 0; i < listing->entries.size(); ++i) {
      fs::stat(real + "/" + listing->entries[i].name,
               [listing, i, finish](const Error& err, const fs::Stats& st) {
                 ListingEntry& e = listing->entries[i];
                 if (!err) {
                   e.known = true;
                   e.directory = st.isDirectory();
                   e.size = st.size;
                   e.mtimeMs = st.mtimeMs;
                 }
                 if (--listing->left == 0) finish();
               });
    }
  });
}

void serveDirectory(const ExchangePtr& ex, const std::string& real) {
  const Target& t = ex->target;
  if (!t.trailingSlash) {
    // Relative links in the page resolve against the slash form; built from the decoded
    // segments, so "//host" can never come out of it.
    std::string location = encodePath(t.segments, true);
    if (t.hasQuery) location += "?" + t.query;
    return ex->reply(301, {{"Location", location}});
  }
  fs::realpath(real + "/index.html", [ex, real](const Error& err, const std::string& index) {
    if (gone(ex)) return;
    if (err || !ex->site->contains(index)) {
      if (!err || err.code == "ENOENT" || err.code == "ENOTDIR") return listDirectory(ex, real);
      return ex->replyFsError(err);
    }
    fs::stat(index, [ex, real, index](const Error& err, const fs::Stats& st) {
      if (gone(ex)) return;
      if (!err && st.isFile()) return openFile(ex, index);
      listDirectory(ex, real);
    });
  });
}

}  // namespace

void sendCached(const ExchangePtr& ex, const CachedFile& file) {
  FileFacts facts{file.contentType, file.etag, file.lastModified, file.mtime, file.size};
  BodyPlan plan = startFileResponse(ex, facts);
  if (plan.done) return;
  ex->log->bytes += plan.length;
  ex->res->end(file.body.slice(static_cast<std::int64_t>(plan.first),
                               static_cast<std::int64_t>(plan.first + plan.length)));
}

void serveGet(const ExchangePtr& ex) {
  if (ex->site->cache) {
    // A small file is read here and kept: no trip through the thread pool, now or next time.
    std::string_view url = ex->req->url;
    auto file = ex->site->cache->load(url.substr(0, url.find('?')), ex->target.segments,
                                      ex->target.trailingSlash ? "index.html" : nullptr);
    if (file) return sendCached(ex, *file);
  }
  const std::string path = ex->site->pathOf(ex->target.segments);
  fs::realpath(path, [ex](const Error& err, const std::string& real) {
    if (gone(ex)) return;
    if (err) return ex->replyFsError(err);
    // A symlink may lead anywhere; only what resolves inside the directory is served.
    if (!ex->site->contains(real)) return ex->reply(403);
    fs::stat(real, [ex, real](const Error& err, const fs::Stats& st) {
      if (gone(ex)) return;
      if (err) return ex->replyFsError(err);
      if (st.isDirectory()) return serveDirectory(ex, real);
      // FIFOs, sockets and devices: opening one could block a thread forever.
      if (!st.isFile()) return ex->reply(403);
      openFile(ex, real);
    });
  });
}

}  // namespace evnode::cli::serve
