// `evnode serve --writable` PUT: the body streams (with backpressure) into a temporary file in
// the target's directory, which is renamed over the target once the whole body arrived, so a
// failed or aborted upload never leaves a half-written file behind. 201 for a new file, 204
// for a replaced one; 409 when the target is a directory or its parent does not exist.
#include <unistd.h>

#include <cinttypes>
#include <cstdio>
#include <random>

#include "evnode/fs.h"
#include "tools/evnode/serve.h"

namespace evnode::cli::serve {

namespace {

constexpr char kTempPrefix[] = ".evnode-upload-";

std::string tempName() {
  static std::mt19937_64 rng(std::random_device{}() ^ static_cast<std::uint64_t>(::getpid()));
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s%016" PRIx64 ".tmp", kTempPrefix, rng());
  return buf;
}

struct Upload {
  ExchangePtr ex;
  std::string temp, target;
  bool replacing = false;
  bool done = false;
  std::shared_ptr<fs::WriteStream> ws;

  // Stops the upload, removes the temporary file, and answers `status` (0: nobody to answer).
  void fail(int status) {
    if (done) return;
    done = true;
    ex->req->unpipe(ws);
    ws->destroy();
    fs::unlink(temp, [](const Error&) {});
    if (status == 0 || ex->req->aborted) return;
    ex->reply(status);
    ex->req->resume();  // let the rest of the body drain, so the connection stays usable
  }

  void commit() {
    if (done) return;
    done = true;
    fs::rename(temp, target, [ex = ex, temp = temp, replacing = replacing](const Error& err) {
      if (err) {
        fs::unlink(temp, [](const Error&) {});
        return ex->replyFsError(err);
      }
      ex->reply(replacing ? 204 : 201);
    });
  }
};

void startUpload(const ExchangePtr& ex, const std::string& dir, const std::string& target,
                 bool replacing) {
  std::string temp = dir + "/" + tempName();
  // "wx": never reuse an existing name.
  fs::open(temp, "wx", [ex, temp, target, replacing](const Error& err, int fd) {
    if (err) return ex->replyFsError(err);
    if (ex->req->aborted || ex->res->destroyed()) {
      fs::close(fd, [temp](const Error&) { fs::unlink(temp, [](const Error&) {}); });
      return;
    }
    auto up = std::make_shared<Upload>();
    up->ex = ex;
    up->temp = temp;
    up->target = target;
    up->replacing = replacing;
    fs::WriteStreamOptions o;
    o.fd = fd;
    up->ws = fs::createWriteStream(temp, o);
    // The listeners own the upload; they are dropped when the streams close.
    ex->req->on(http::IncomingMessage::Events::aborted, [up] { up->fail(0); });
    up->ws->on(Stream::Events::error, [up](const Error& e) { up->fail(up->ex->statusFor(e)); });
    up->ws->on(Writable::Events::finish, [up] { up->commit(); });
    // Only now is the client told to send: the file is ready to take the body.
    if (ex->expectContinue) ex->res->writeContinue();
    ex->req->pipe(up->ws);
  });
}

}  // namespace

void servePut(const ExchangePtr& ex) {
  const Target& t = ex->target;
  if (t.segments.empty() || t.trailingSlash) return ex->reply(409);  // a directory, not a file
  std::vector<std::string> parent(t.segments.begin(), t.segments.end() - 1);
  std::string name = t.segments.back();
  fs::realpath(ex->site->pathOf(parent), [ex, name](const Error& err, const std::string& dir) {
    if (err) {
      // A missing parent is a conflict with the tree, as in WebDAV: we never create folders.
      bool missing = err.code == "ENOENT" || err.code == "ENOTDIR";
      return ex->reply(missing ? 409 : ex->statusFor(err));
    }
    if (!ex->site->contains(dir)) return ex->reply(403);
    fs::stat(dir, [ex, dir, name](const Error& err, const fs::Stats& st) {
      if (err) return ex->replyFsError(err);
      if (!st.isDirectory()) return ex->reply(409);
      std::string target = dir + "/" + name;
      // lstat: a symlink at the target is replaced itself, never written through.
      fs::lstat(target, [ex, dir, target](const Error& err, const fs::Stats& st) {
        if (err && err.code != "ENOENT") return ex->replyFsError(err);
        if (!err && st.isDirectory()) return ex->reply(409);
        startUpload(ex, dir, target, !err);
      });
    });
  });
}

}  // namespace evnode::cli::serve
