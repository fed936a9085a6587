// The small-file cache of `evnode serve` (see serve_cache.h for the freshness rules).
#include "tools/evnode/serve_cache.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cmath>
#include <cstring>
#include <deque>

#include "tools/evnode/serve_http.h"
#include "tools/evnode/serve_mime.h"

namespace evnode::cli::serve {

namespace {

// What can change how a path resolves or what a file holds, seen from its directory.
constexpr std::uint32_t kWatchMask = IN_ONLYDIR | IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE |
                                     IN_MOVED_FROM | IN_MOVED_TO | IN_CREATE | IN_DELETE |
                                     IN_DELETE_SELF | IN_MOVE_SELF;
// Our share of the per-user inotify watches (fs.inotify.max_user_watches is 8192 or more).
constexpr std::size_t kMaxWatches = 2048;
constexpr int kMaxSymlinks = 40;  // as the kernel's ELOOP limit

// File systems whose files may change without this kernel knowing (so without inotify).
bool remoteFileSystem(long type) {
  switch (static_cast<unsigned long>(type)) {
    case NFS_SUPER_MAGIC:
    case SMB_SUPER_MAGIC:
    case 0xFF534D42:  // CIFS
    case 0xFE534D42:  // SMB2
    case 0x65735546:  // FUSE
    case CODA_SUPER_MAGIC:
    case AFS_SUPER_MAGIC:
    case 0x00C36400:  // Ceph
    case V9FS_MAGIC:
      return true;
    default:
      return false;
  }
}

double toMs(const timespec& t) {
  return static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_nsec) / 1e6;
}

std::string parentOf(const std::string& dir) {
  auto slash = dir.rfind('/');
  return slash == 0 || slash == std::string::npos ? "/" : dir.substr(0, slash);
}

}  // namespace

bool mayServe(std::uint64_t mode) { return ::geteuid() != 0 || (mode & 0444) != 0; }

FileCache::FileCache(std::string root) : root_(std::move(root)) {
  struct statfs fs {};
  if (::statfs(root_.c_str(), &fs) == 0 && remoteFileSystem(fs.f_type)) return;
  fd_ = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
}

FileCache::~FileCache() {
  if (fd_ >= 0) ::close(fd_);
}

std::string FileCache::lookupKey(int wd, std::string_view name) {
  std::string key = std::to_string(wd);
  key += '/';
  key += name;
  return key;
}

void FileCache::clear() {
  entries_.clear();
  lru_.clear();
  users_.clear();
  userRefs_ = 0;
  bytes_ = 0;
}

void FileCache::forget(const std::string& key) {
  auto it = entries_.find(key);
  if (it == entries_.end()) return;
  bytes_ -= it->second.file->size;
  lru_.erase(it->second.lru);
  entries_.erase(it);
}

void FileCache::takeChanges() {
  alignas(inotify_event) char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd_, buf, sizeof buf);
    if (n <= 0) break;  // EAGAIN: nothing (more) queued
    for (char* p = buf; p < buf + n;) {
      auto* ev = reinterpret_cast<inotify_event*>(p);
      p += sizeof(inotify_event) + ev->len;
      if (ev->mask & IN_IGNORED) {  // the watch is gone with its directory
        if (auto it = byWatch_.find(ev->wd); it != byWatch_.end()) {
          watched_.erase(it->second);
          byWatch_.erase(it);
        }
      }
      if (ev->len == 0) {
        // About a watched directory itself (removed, moved, its permissions changed), or an
        // overflowed queue that lost events: anything may have changed.
        clear();
        continue;
      }
      auto users = users_.find(lookupKey(ev->wd, ev->name));
      if (users == users_.end()) continue;
      for (const auto& key : users->second) forget(key);
      users_.erase(users);
    }
  }
}

bool FileCache::watch(const std::string& dir) {
  if (watched_.count(dir)) return true;
  if (watched_.size() >= kMaxWatches) return false;
  int wd = ::inotify_add_watch(fd_, dir.c_str(), kWatchMask);
  if (wd < 0) return false;
  // Two paths may name one directory (a bind mount): the second replaces the first's name.
  if (auto old = byWatch_.find(wd); old != byWatch_.end()) watched_.erase(old->second);
  watched_[dir] = wd;
  byWatch_[wd] = dir;
  return true;
}

std::string FileCache::resolve(const std::vector<std::string>& segments, const char* index,
                               std::vector<std::string>& lookups) {
  std::deque<std::string> todo(segments.begin(), segments.end());
  std::string cur = root_;
  bool curIsDir = true, indexAdded = false;
  int links = 0;
  for (;;) {
    if (todo.empty()) {
      if (!index || indexAdded) break;
      if (!curIsDir) return "";  // "/a.txt/": a file named as a directory is not served
      todo.emplace_back(index);
      indexAdded = true;
    }
    std::string name = std::move(todo.front());
    todo.pop_front();
    if (name.empty() || name == ".") continue;
    if (name == "..") {
      cur = parentOf(cur);
      curIsDir = true;
      continue;
    }
    // The watch comes before the lookup: a change made after it is reported.
    if (!watch(cur)) return "";
    lookups.push_back(lookupKey(watched_[cur], name));
    std::string next = cur == "/" ? "/" + name : cur + "/" + name;
    struct stat st {};
    if (::lstat(next.c_str(), &st) != 0) return "";
    if (S_ISLNK(st.st_mode)) {
      if (++links > kMaxSymlinks) return "";
      char target[PATH_MAX];
      ssize_t n = ::readlink(next.c_str(), target, sizeof target);
      if (n <= 0 || n == static_cast<ssize_t>(sizeof target)) return "";
      std::string_view t(target, static_cast<std::size_t>(n));
      if (t.front() == '/') cur = "/";
      // The link's components go first, in order.
      std::vector<std::string> parts;
      while (!t.empty()) {
        auto slash = t.find('/');
        parts.emplace_back(t.substr(0, slash));
        if (slash == std::string_view::npos) break;
        t.remove_prefix(slash + 1);
      }
      todo.insert(todo.begin(), parts.begin(), parts.end());
      continue;
    }
    cur = std::move(next);
    curIsDir = S_ISDIR(st.st_mode);
    if (!curIsDir && !todo.empty()) return "";  // ENOTDIR: the general path says so
  }
  return cur;
}

CachedFilePtr FileCache::find(std::string_view urlPath) {
  if (fd_ < 0) return nullptr;
  takeChanges();
  auto it = entries_.find(urlPath);
  if (it == entries_.end()) return nullptr;
  lru_.splice(lru_.begin(), lru_, it->second.lru);
  return it->second.file;
}

CachedFilePtr FileCache::load(std::string_view urlPath, const std::vector<std::string>& segments,
                              const char* index) {
  if (fd_ < 0) return nullptr;
  takeChanges();
  std::vector<std::string> lookups;
  std::string real = resolve(segments, index, lookups);
  bool inside = real == root_ || root_ == "/" ||
                (real.size() > root_.size() && real.compare(0, root_.size(), root_) == 0 &&
                 real[root_.size()] == '/');
  if (real.empty() || !inside) return nullptr;
  // O_NONBLOCK: a FIFO put there since the lookup cannot block the loop; O_NOFOLLOW: nor can a
  // symlink put there lead elsewhere.
  int fd = ::open(real.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW);
  if (fd < 0) return nullptr;
  struct stat st {};
  struct statfs fs {};
  auto file = std::make_shared<CachedFile>();
  bool ok = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && mayServe(st.st_mode) &&
            static_cast<std::uint64_t>(st.st_size) <= kMaxFileBytes && ::fstatfs(fd, &fs) == 0 &&
            !remoteFileSystem(fs.f_type);
  if (ok) {
    std::string data(static_cast<std::size_t>(st.st_size), '\0');
    std::size_t got = 0;
    while (got < data.size()) {
      ssize_t n = ::read(fd, data.data() + got, data.size() - got);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      got += static_cast<std::size_t>(n);
    }
    // A file that shrank while read is being written: its change empties the cache anyway,
    // and what was read is served meanwhile with its own length.
    data.resize(got);
    file->body = Buffer::from(data);
  }
  ::close(fd);
  if (!ok) return nullptr;
  file->real = real;
  file->size = file->body.length();
  file->mtime = st.st_mtim.tv_sec;
  file->contentType = contentTypeFor(real.substr(real.rfind('/') + 1));
  file->etag = makeETag(static_cast<std::uint64_t>(st.st_size), toMs(st.st_mtim));
  file->lastModified = formatHttpDate(file->mtime);
  file->contentLength = std::to_string(file->size);
  insert(std::string(urlPath), file, lookups);
  return file;
}

void FileCache::insert(std::string key, CachedFilePtr file,
                       const std::vector<std::string>& lookups) {
  forget(key);
  while (!lru_.empty() && (entries_.size() >= kMaxEntries || bytes_ + file->size > kMaxBytes))
    forget(lru_.back());
  // The lists of users only grow (a reloaded entry is listed again); when they hold many times
  // more names than there are entries, starting afresh is cheaper than sorting them out.
  if (userRefs_ > 8 * kMaxEntries) clear();
  for (const auto& l : lookups) users_[l].push_back(key);
  userRefs_ += lookups.size();
  bytes_ += file->size;
  lru_.push_front(key);
  entries_.emplace(std::move(key), Entry{std::move(file), lru_.begin()});
}

}  // namespace evnode::cli::serve
