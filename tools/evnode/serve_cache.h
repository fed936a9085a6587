// `evnode serve`: a cache of the small files it serves, kept fresh with inotify, so that a hit
// costs no thread-pool round trip and no open/fstat/read/close — one write of head and body.
//
// Freshness: every directory looked in while resolving a cached path (symlinks followed by
// hand, so the directories holding the links are known) is watched with inotify before the
// name is looked up in it, and each entry remembers the (directory, name) lookups it was built
// from. A change to one of those names — a file written, its attributes changed, the name
// created, deleted or renamed — drops the entries that looked it up (a log file written in the
// tree leaves the rest alone); a watched directory removed, or a lost event, empties the cache.
// The queue of changes is read before every lookup, so a change made before a request arrives
// is seen by that request. A tree inotify cannot watch (no inotify, the watch
// limit reached, a network or FUSE file system, whose changes may come from other machines) is
// served without the cache. One blind spot, as with any directory watch: a file changed
// through a hard link that lives outside the watched directories.
#pragma once

#include <cstdint>
#include <ctime>
#include <functional>
#include <list>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "evnode/buffer.h"

namespace evnode::cli::serve {

// What answering a GET for one regular file needs, computed once.
struct CachedFile {
  std::string real;  // the canonical path, inside the served directory
  std::uint64_t size = 0;
  std::time_t mtime = 0;  // seconds, as Last-Modified and If-Modified-Since compare
  std::string contentType, etag, lastModified, contentLength;
  Buffer body;  // the whole file
  // `serve --gzip`: the body compressed, made on the thread pool by the first request that
  // asks for that coding and kept with the entry (dropped with it when the file changes).
  // Only the loop thread touches them.
  mutable Buffer gzipBody, brBody;
};
using CachedFilePtr = std::shared_ptr<const CachedFile>;

class FileCache {
 public:
  // Files above this size are sent with sendfile from the thread-pool path instead.
  static constexpr std::uint64_t kMaxFileBytes = 256 * 1024;
  static constexpr std::size_t kMaxEntries = 4096;
  static constexpr std::uint64_t kMaxBytes = 64u << 20;

  // A cache for the canonical directory `root`; without inotify (or on a network file system)
  // it stays empty and every find() misses.
  explicit FileCache(std::string root);
  ~FileCache();
  FileCache(const FileCache&) = delete;
  FileCache& operator=(const FileCache&) = delete;

  bool enabled() const { return fd_ >= 0; }

  // The entry for a request path ("/a/b.html", as sent, without the query), after taking in
  // every change reported so far.
  CachedFilePtr find(std::string_view urlPath);

  // Resolves `segments` below the root, as a GET would, and caches the result under urlPath
  // when it is a small regular file that may be served (inside the root, readable, on a
  // watchable file system). `index` names a file to look for when the path is a directory
  // (serving "dir/" as "dir/index.html"). Null when the request needs the general path: a
  // miss it cannot answer (errors, directories, large files) is answered there, with the
  // same rules.
  CachedFilePtr load(std::string_view urlPath, const std::vector<std::string>& segments,
                     const char* index);

 private:
  struct Entry {
    CachedFilePtr file;
    std::list<std::string>::iterator lru;
  };
  // "<watch descriptor>/<name>": one lookup of a name in a watched directory.
  static std::string lookupKey(int wd, std::string_view name);
  // Reads the queued inotify events; any change empties the cache.
  void takeChanges();
  void clear();
  // Watches a directory (a canonical path) unless already watched; false when it cannot be.
  bool watch(const std::string& dir);
  // Follows path components below the root as the kernel would, watching each directory
  // before looking a name up in it (each lookup added to `lookups`). The canonical path, or ""
  // when it does not resolve.
  std::string resolve(const std::vector<std::string>& segments, const char* index,
                      std::vector<std::string>& lookups);
  void forget(const std::string& key);
  void insert(std::string key, CachedFilePtr file, const std::vector<std::string>& lookups);

  std::string root_;
  int fd_ = -1;                                   // inotify
  std::unordered_map<std::string, int> watched_;  // directory -> watch descriptor
  std::unordered_map<int, std::string> byWatch_;
  // Looked up by string_view: a hit builds no std::string.
  struct KeyHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view k) const { return std::hash<std::string_view>{}(k); }
  };
  std::unordered_map<std::string, Entry, KeyHash, std::equal_to<>> entries_;
  std::list<std::string> lru_;  // most recently used first
  // Which entries looked a name up (lookupKey -> their keys). Kept loosely: a key listed here
  // may be gone or rebuilt, which costs at most a needless reload.
  std::unordered_map<std::string, std::vector<std::string>> users_;
  std::size_t userRefs_ = 0;  // the keys listed in users_, all lists together
  std::uint64_t bytes_ = 0;
};

// Whether a file with this mode may be served: root may open any file, but one that no one may
// read is refused as if the server ran as an ordinary user (403).
bool mayServe(std::uint64_t mode);

}  // namespace evnode::cli::serve
