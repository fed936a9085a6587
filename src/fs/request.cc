// Internal: libuv fs requests with C++ completions, Node-shaped fs errors, Node's open flags.
#include "fs/request.h"

#include <memory>
#include <string>

#include "core/callback_scope.h"
#include "evnode/loop.h"

namespace evnode::fs::detail {

namespace {

struct Request {
  uv_fs_t req{};
  std::function<void(uv_fs_t&)> done;
  // Cleanup in the destructor, so a completion that throws does not leak libuv's allocations.
  ~Request() { uv_fs_req_cleanup(&req); }
};

void complete(Request* r) {
  std::unique_ptr<Request> owner(r);
  auto done = std::move(r->done);
  done(r->req);
}

void onFsDone(uv_fs_t* req) {
  evnode::detail::CallbackScope scope;
  complete(static_cast<Request*>(req->data));
}

}  // namespace

void submit(const std::function<int(uv_loop_t*, uv_fs_t*, uv_fs_cb)>& start,
            std::function<void(uv_fs_t&)> done) {
  auto* r = new Request();
  r->done = std::move(done);
  r->req.data = r;
  int rc = start(Loop::current().uv(), &r->req, onFsDone);
  if (rc < 0) {
    r->req.result = rc;
    nextTick([r] { complete(r); });
  }
}

Error makeError(int status, std::string_view syscall, std::string_view path,
                std::string_view dest) {
  Error e;
  e.code = uv_err_name(status);
  e.errnum = status;
  e.syscall = std::string(syscall);
  e.message = e.code + ": " + uv_strerror(status) + ", " + e.syscall;
  if (!path.empty()) {
    e.message += " '";
    e.message += path;
    e.message += "'";
  }
  if (!dest.empty()) {
    e.message += " -> '";
    e.message += dest;
    e.message += "'";
  }
  return e;
}

int parseFlags(std::string_view f) {
  constexpr int kW = UV_FS_O_TRUNC | UV_FS_O_CREAT | UV_FS_O_WRONLY;
  constexpr int kWplus = UV_FS_O_TRUNC | UV_FS_O_CREAT | UV_FS_O_RDWR;
  constexpr int kA = UV_FS_O_APPEND | UV_FS_O_CREAT | UV_FS_O_WRONLY;
  constexpr int kAplus = UV_FS_O_APPEND | UV_FS_O_CREAT | UV_FS_O_RDWR;
  if (f == "r") return UV_FS_O_RDONLY;
  if (f == "rs" || f == "sr") return UV_FS_O_RDONLY | UV_FS_O_SYNC;
  if (f == "r+") return UV_FS_O_RDWR;
  if (f == "rs+" || f == "sr+") return UV_FS_O_RDWR | UV_FS_O_SYNC;
  if (f == "w") return kW;
  if (f == "wx" || f == "xw") return kW | UV_FS_O_EXCL;
  if (f == "w+") return kWplus;
  if (f == "wx+" || f == "xw+") return kWplus | UV_FS_O_EXCL;
  if (f == "a") return kA;
  if (f == "ax" || f == "xa") return kA | UV_FS_O_EXCL;
  if (f == "as" || f == "sa") return kA | UV_FS_O_SYNC;
  if (f == "a+") return kAplus;
  if (f == "ax+" || f == "xa+") return kAplus | UV_FS_O_EXCL;
  if (f == "as+" || f == "sa+") return kAplus | UV_FS_O_SYNC;
  throw Exception("ERR_INVALID_ARG_VALUE",
                  "The argument 'flags' is invalid. Received '" + std::string(f) + "'");
}

}  // namespace evnode::fs::detail
