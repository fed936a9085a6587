// `evnode serve` GET and HEAD: a URL resolves (symlinks included) to a path that must stay
// inside the served directory; files go out with validators, conditional 304s and byte
// ranges — small ones from the cache (serve_cache.h), read inline on a miss, larger ones sent
// with sendfile(2) (over TLS read and streamed with backpressure); directories get a redirect
// to their slash form, their index.html, or a listing. With --gzip, text-like files are sent
// coded (br or gzip, as Accept-Encoding prefers): a precompressed FILE.br / FILE.gz when there
// is one, else compressed on the fly and sent chunked.
#include <cmath>
#include <functional>

#include "evnode/fs.h"
#include "evnode/zlib.h"
#include "tools/evnode/serve.h"
#include "tools/evnode/serve_cache.h"
#include "tools/evnode/serve_gzip.h"
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
  // --gzip: the coding of the body sent ("" none), whether the response varies with
  // Accept-Encoding, and whether its length is unknown (compressed on the fly: chunked).
  std::string_view contentEncoding;
  bool vary = false;
  bool lengthUnknown = false;
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
    http::HeaderList h{{"ETag", std::string(f.etag)},
                       {"Last-Modified", std::string(f.lastModified)}};
    if (f.vary) h.emplace_back("Vary", "Accept-Encoding");
    ex->reply(304, h);
    return {};
  }

  http::HeaderList h{{"Content-Type", std::string(f.contentType)}};
  if (!f.contentEncoding.empty())
    h.emplace_back("Content-Encoding", std::string(f.contentEncoding));
  h.emplace_back("Last-Modified", std::string(f.lastModified));
  h.emplace_back("ETag", std::string(f.etag));
  if (f.vary) h.emplace_back("Vary", "Accept-Encoding");
  int status = 200;
  BodyPlan plan{false, 0, f.size};
  if (!f.contentEncoding.empty()) {
    // A coded body is sent whole: ranges are answered from the identity representation.
    if (!f.lengthUnknown) h.emplace_back("Content-Length", std::to_string(f.size));
    ex->res->writeHead(200, std::move(h));
    if (ex->head || (plan.length == 0 && !f.lengthUnknown)) {
      // HEAD of a body compressed on the fly: its length is not known, so none is announced
      // (an end() alone would say Content-Length: 0).
      if (f.lengthUnknown) ex->res->flushHeaders();
      ex->res->end();
      return {};
    }
    return plan;
  }
  h.emplace_back("Accept-Ranges", "bytes");
  auto range = headers.get("range");
  auto ifRange = headers.get("if-range");
  if (range && (!ifRange || ifRangeHolds(*ifRange, f.etag, f.mtime))) {
    ByteRange r = parseRange(*range, f.size);
    if (r.kind == ByteRange::kUnsatisfiable) {
      http::HeaderList rh{{"Content-Range", "bytes */" + std::to_string(f.size)}};
      if (f.vary) rh.emplace_back("Vary", "Accept-Encoding");
      ex->reply(416, rh);
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

// A file under --gzip negotiation, owned across the asynchronous steps: its facts (a cache
// entry, or one made for this request) and its bytes, an open descriptor (closed when done
// with) or the cached body.
struct FileSource {
  std::shared_ptr<const CachedFile> file;
  int fd = -1;
};

FileFacts factsOf(const CachedFile& c) {
  FileFacts f;
  f.contentType = c.contentType;
  f.etag = c.etag;
  f.lastModified = c.lastModified;
  f.mtime = c.mtime;
  f.size = c.size;
  f.vary = true;
  return f;
}

void release(const FileSource& src) {
  if (src.fd >= 0) closeQuietly(src.fd);
}

// The identity representation (also for every Range request under --gzip).
void sendIdentity(const ExchangePtr& ex, const FileFacts& f, const FileSource& src) {
  BodyPlan plan = startFileResponse(ex, f);
  if (plan.done) return release(src);
  if (src.fd < 0) {
    ex->log->bytes += plan.length;
    ex->res->end(src.file->body.slice(static_cast<std::int64_t>(plan.first),
                                      static_cast<std::int64_t>(plan.first + plan.length)));
    return;
  }
  ex->res->sendFile(src.fd, plan.first, plan.length,
                    [fd = src.fd, log = ex->log](const Error&, std::uint64_t sent) {
                      log->bytes += sent;
                      closeQuietly(fd);
                    });
}

zlib::BrotliOptions brotliOptions(std::uint64_t size) {
  // Quality 5: most of brotli's gain at a speed fit for compressing on every request.
  zlib::BrotliOptions o;
  o.params[zlib::constants::BROTLI_PARAM_QUALITY] = 5;
  o.params[zlib::constants::BROTLI_PARAM_MODE] = zlib::constants::BROTLI_MODE_TEXT;
  o.params[zlib::constants::BROTLI_PARAM_SIZE_HINT] =
      static_cast<std::uint32_t>(std::min<std::uint64_t>(size, UINT32_MAX));
  return o;
}

// A cached file, coded: compressed once, on the thread pool, and the coded body kept in the
// entry for the requests after (a 304 or a HEAD needs none). It goes out chunked, as one
// compressed while read does: the agreed CLI (../shared/CLI.md) promises coded responses
// without Content-Length, whichever path made them.
void sendCachedCoded(const ExchangePtr& ex, FileFacts f, const FileSource& src,
                     const std::string& coding) {
  const std::string etag = codedETag(f.etag, coding);
  f.etag = etag;
  f.contentEncoding = coding;
  f.lengthUnknown = true;
  BodyPlan plan = startFileResponse(ex, f);
  if (plan.done) return;
  auto send = [ex](const Buffer& body) {
    ex->log->bytes += body.size();
    ex->res->write(body);
    ex->res->end();
  };
  const CachedFile& file = *src.file;
  const Buffer& kept = coding == "br" ? file.brBody : file.gzipBody;
  if (!kept.empty()) return send(kept);
  auto done = [ex, src, coding, send](const Error& err, Buffer out) {
    if (gone(ex)) return;
    if (err) return ex->res->destroy();  // the head is out: cutting it short is all there is
    (coding == "br" ? src.file->brBody : src.file->gzipBody) = out;
    send(out);
  };
  if (coding == "br") {
    zlib::brotliCompress(file.body, brotliOptions(file.size), std::move(done));
  } else {
    zlib::gzip(file.body, std::move(done));
  }
}

// Compressed now, with the first coding the client prefers; chunked, as its length is not known
// before the end.
void sendCompressed(const ExchangePtr& ex, FileFacts f, const FileSource& src,
                    const std::string& coding) {
  if (src.fd < 0) return sendCachedCoded(ex, f, src, coding);
  const std::string etag = codedETag(f.etag, coding);
  f.etag = etag;
  f.contentEncoding = coding;
  f.lengthUnknown = true;
  BodyPlan plan = startFileResponse(ex, f);
  if (plan.done) return release(src);
  std::shared_ptr<zlib::ZlibBase> encoder;
  if (coding == "br") {
    encoder = zlib::createBrotliCompress(brotliOptions(f.size));
  } else {
    encoder = zlib::createGzip();
  }
  encoder->on(Readable::Events::data, [log = ex->log](const Buffer& b) { log->bytes += b.size(); });
  fs::ReadStreamOptions ro;
  ro.fd = src.fd;
  ro.start = 0;
  std::shared_ptr<Readable> source = fs::createReadStream(src.file->real, ro);
  http::ServerResponse* res = ex->res.get();
  pipeline({source, encoder, ex->res}, [res](const Error& err) {
    // A client gone or a read failed halfway: the response cannot be completed honestly.
    if (err && !res->destroyed()) res->destroy();
  });
}

// A precompressed sibling (FILE.br, FILE.gz) for codings[i..], in the client's order; the
// first that exists inside the served directory is sent as it is. None: compressed now.
void trySibling(const ExchangePtr& ex, const FileSource& src, std::vector<std::string> codings,
                std::size_t i) {
  if (i == codings.size()) return sendCompressed(ex, factsOf(*src.file), src, codings[0]);
  const std::string path = src.file->real + (codings[i] == "br" ? ".br" : ".gz");
  fs::realpath(path, [ex, src, codings, i](const Error& err, const std::string& real) {
    if (gone(ex)) return release(src);
    if (err || !ex->site->contains(real)) return trySibling(ex, src, codings, i + 1);
    fs::open(real, "r", [ex, src, codings, i](const Error& err, int fd) {
      if (gone(ex)) {
        if (!err) closeQuietly(fd);
        return release(src);
      }
      if (err) return trySibling(ex, src, codings, i + 1);
      fs::fstat(fd, [ex, src, codings, i, fd](const Error& err, const fs::Stats& st) {
        if (err || !st.isFile() || !mayServe(st.mode) || gone(ex)) {
          closeQuietly(fd);
          if (gone(ex)) return release(src);
          return trySibling(ex, src, codings, i + 1);
        }
        release(src);
        // The sibling's own validators: a new FILE.gz is a new representation.
        FileFacts g = factsOf(*src.file);
        const std::string etag = codedETag(makeETag(st.size, st.mtimeMs), codings[i]);
        g.mtime = static_cast<std::time_t>(std::floor(st.mtimeMs / 1000));
        const std::string lastModified = formatHttpDate(g.mtime);
        g.etag = etag;
        g.lastModified = lastModified;
        g.size = st.size;
        g.contentEncoding = codings[i];
        BodyPlan plan = startFileResponse(ex, g);
        if (plan.done) return closeQuietly(fd);
        ex->res->sendFile(fd, 0, st.size, [fd, log = ex->log](const Error&, std::uint64_t sent) {
          log->bytes += sent;
          closeQuietly(fd);
        });
      });
    });
  });
}

// --gzip, a text-like file: the representation Accept-Encoding asks for, Vary always.
void sendNegotiated(const ExchangePtr& ex, const FileSource& src) {
  const FileFacts f = factsOf(*src.file);
  const auto& headers = ex->req->headers;
  AcceptedCodings accepted = acceptedCodings(headers.get("accept-encoding"));
  if (accepted.codings.empty() && !accepted.identityOk) {
    release(src);
    return ex->reply(406, {{"Vary", "Accept-Encoding"}});
  }
  if (accepted.codings.empty() || headers.has("range")) return sendIdentity(ex, f, src);
  trySibling(ex, src, std::move(accepted.codings), 0);
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
  if (ex->site->gzip && compressible(facts.contentType)) {
    auto file = std::make_shared<CachedFile>();
    file->real = real;
    file->size = st.size;
    file->mtime = facts.mtime;
    file->contentType = facts.contentType;
    file->etag = etag;
    file->lastModified = lastModified;
    return sendNegotiated(ex, FileSource{std::move(file), fd});
  }
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

void sendCached(const ExchangePtr& ex, const CachedFilePtr& entry) {
  const CachedFile& file = *entry;
  FileFacts facts = factsOf(file);
  facts.vary = false;  // the negotiated path below says Vary
  if (ex->site && ex->site->gzip && compressible(file.contentType)) {
    return sendNegotiated(ex, FileSource{entry, -1});
  }
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
    if (file) return sendCached(ex, file);
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
      // "/a.txt/" names a directory, which a file is not (nginx: 404 too); served, its page's
      // relative links would resolve under "/a.txt/".
      if (ex->target.trailingSlash) return ex->reply(404);
      // FIFOs, sockets and devices: opening one could block a thread forever.
      if (!st.isFile()) return ex->reply(403);
      openFile(ex, real);
    });
  });
}

}  // namespace evnode::cli::serve
