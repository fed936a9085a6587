// `evnode serve` GET and HEAD: a URL resolves (symlinks included) to a path that must stay
// inside the served directory; files go out with validators, conditional 304s and byte
// ranges, sent with sendfile(2) (over TLS read and streamed with backpressure); directories get
// a redirect to their slash form, their index.html, or a listing.
#include <cmath>
#include <functional>

#include "evnode/fs.h"
#include "http/send_file.h"
#include "tools/evnode/serve.h"
#include "tools/evnode/serve_http.h"
#include "tools/evnode/serve_listing.h"
#include "tools/evnode/serve_mime.h"

namespace evnode::cli::serve {

namespace {

// Each read of a file is this big: fewer trips to the thread pool and fewer, larger socket
// writes, while a download still holds only a few chunks in memory.
constexpr std::size_t kChunk = 256 * 1024;

void closeQuietly(int fd) {
  fs::close(fd, [](const Error&) {});
}

// The client is gone: nothing more is worth doing for it.
bool gone(const ExchangePtr& ex) { return ex->res->destroyed(); }

void sendFile(const ExchangePtr& ex, const std::string& real, int fd, const fs::Stats& st) {
  const auto mtime = static_cast<std::time_t>(std::floor(st.mtimeMs / 1000));
  const std::string etag = makeETag(st.size, st.mtimeMs);
  const std::string lastModified = formatHttpDate(mtime);
  const auto& headers = ex->req->headers;

  // RFC 9110 §13.2.2: If-None-Match, when present, decides alone.
  bool notModified = false;
  if (auto inm = headers.get("if-none-match")) {
    notModified = noneMatchHits(*inm, etag);
  } else if (auto ims = headers.get("if-modified-since")) {
    auto since = parseHttpDate(*ims);
    notModified = since && mtime <= *since;
  }
  if (notModified) {
    closeQuietly(fd);
    return ex->reply(304, {{"ETag", etag}, {"Last-Modified", lastModified}});
  }

  http::HeaderList h{
      {"Content-Type", std::string(contentTypeFor(real.substr(real.rfind('/') + 1)))},
      {"Last-Modified", lastModified},
      {"ETag", etag},
      {"Accept-Ranges", "bytes"}};
  int status = 200;
  std::uint64_t first = 0, length = st.size;
  auto range = headers.get("range");
  auto ifRange = headers.get("if-range");
  if (range && (!ifRange || ifRangeHolds(*ifRange, etag, mtime))) {
    ByteRange r = parseRange(*range, st.size);
    if (r.kind == ByteRange::kUnsatisfiable) {
      closeQuietly(fd);
      return ex->reply(416, {{"Content-Range", "bytes */" + std::to_string(st.size)}});
    }
    if (r.kind == ByteRange::kSatisfiable) {
      status = 206;
      first = r.first;
      length = r.last - r.first + 1;
      h.emplace_back("Content-Range", "bytes " + std::to_string(r.first) + "-" +
                                          std::to_string(r.last) + "/" + std::to_string(st.size));
    }
  }
  h.emplace_back("Content-Length", std::to_string(length));
  ex->res->writeHead(status, h);
  if (ex->head || length == 0) {
    closeQuietly(fd);
    ex->res->end();
    return;
  }

  if (http::detail::canSendFile(*ex->res)) {
    // A plain TCP connection: the kernel copies the file into the socket (sendfile), so the
    // bytes never pass through this process.
    http::detail::sendFile(ex->res, fd, first, length,
                           [fd, log = ex->log](const Error&, std::uint64_t sent) {
                             log->bytes += sent;
                             closeQuietly(fd);
                           });
    return;
  }
  // TLS: the bytes must be encrypted here, so the file is read and written through.
  fs::ReadStreamOptions o;
  o.fd = fd;  // the stream closes it when done or destroyed
  o.start = first;
  o.end = first + length - 1;
  o.highWaterMark = kChunk;
  auto rs = fs::createReadStream(real, o);
  rs->on(Readable::Events::data, [log = ex->log](const Buffer& b) { log->bytes += b.length(); });
  // pipeline, not pipe: a client that disconnects must also stop (and close) the file.
  pipeline({rs, ex->res}, [](const Error&) {});
}

// Opens a path already known to be a regular file. The checks run again on the open
// descriptor, since the name may have been replaced in between (a PUT renames over files).
void openFile(const ExchangePtr& ex, const std::string& real) {
  fs::open(real, "r", [ex, real](const Error& err, int fd) {
    if (err) return ex->replyFsError(err);
    fs::fstat(fd, [ex, real, fd](const Error& err, const fs::Stats& st) {
      if (err || !st.isFile() || gone(ex)) {
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

void serveGet(const ExchangePtr& ex) {
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
