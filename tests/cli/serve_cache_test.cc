// `evnode serve`'s small-file cache (tools/evnode/serve_cache.h) as a client sees it: every
// change to the tree — a rewrite in place of the same size within the same second, a rename
// over, a delete and a create, a symlink retargeted, a directory replaced by a file, a
// permission dropped — is served on the very next request of the same keep-alive connection,
// with validators that follow the content; ranges and 304s from cached files; the descriptor
// count and memory bounded over 10,000 distinct files; and byte-exact bodies under load while
// files are replaced underneath. The client is Python's http.client (one keep-alive
// connection, so nothing but the cache's freshness makes the answers right).
#include <dirent.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <vector>

#include "cli/http_peers.h"
#include "support/testing.h"

namespace {

namespace et = evnode::testing;
using namespace evnode::clitest;

#define NEED_PYTHON() \
  if (!et::haveCommand("python3")) GTEST_SKIP() << "python3 is not installed"

// Runs a Python script with `get(path, headers={})` -> (status, headers, body) over one
// keep-alive connection to PORT, the served directory as ROOT (cwd), and `show(label, r)`
// printing "label status body" (body as text, or its length for big ones).
et::ProcResult runClient(const std::string& root, int port, const std::string& script,
                         int timeoutSec = 60) {
  const std::string prelude = R"PY(
import http.client, os, sys, time, shutil
ROOT, PORT = sys.argv[1], int(sys.argv[2])
os.chdir(ROOT)
conn = http.client.HTTPConnection('127.0.0.1', PORT, timeout=10)
def get(path, headers={}, method='GET'):
    conn.request(method, path, headers=headers)
    r = conn.getresponse()
    body = r.read()
    assert not r.will_close, 'the connection must stay open'
    return r.status, {k.lower(): v for k, v in r.getheaders()}, body
def show(label, r):
    print(label, r[0], r[2].decode('latin-1') if len(r[2]) < 200 else len(r[2]), flush=True)
def write(name, data):
    with open(name, 'wb') as f:
        f.write(data.encode() if isinstance(data, str) else data)
)PY";
  return et::runProcess({"python3", "-c", prelude + script, root, std::to_string(port)}, "",
                        timeoutSec);
}

TEST(ServeCache, EveryChangeIsServedOnTheNextRequest) {
  EVNODE_WATCHDOG(90);
  NEED_PYTHON();
  et::TempDir tmp;
  ServeServer server(tmp.path());
  ASSERT_GT(server.port, 0);
  auto r = runClient(tmp.path(), server.port, R"PY(
write('f.txt', 'aaaa')
show('first', get('/f.txt'))
show('again', get('/f.txt'))
write('f.txt', 'bbbb')                     # in place, same size, same second
show('rewritten', get('/f.txt'))
write('new.tmp', 'cccc'); os.rename('new.tmp', 'f.txt')
show('renamed-over', get('/f.txt'))
os.unlink('f.txt')
show('deleted', get('/f.txt'))
write('f.txt', 'created again')
show('created', get('/f.txt'))
write('a.txt', 'A'); write('b.txt', 'B'); os.symlink('a.txt', 'link')
show('link-a', get('/link'))
os.unlink('link'); os.symlink('b.txt', 'link')
show('link-b', get('/link'))
os.mkdir('d'); write('d/x.txt', 'in d')
show('dir-file', get('/d/x.txt'))
shutil.rmtree('d'); write('d', 'now a file')
show('dir-gone', get('/d/x.txt'))
show('dir-is-file', get('/d'))
write('p.txt', 'private')
show('readable', get('/p.txt'))
os.chmod('p.txt', 0)
show('unreadable', get('/p.txt'))
os.chmod('p.txt', 0o644)
show('readable-again', get('/p.txt'))
os.mkdir('s'); write('s/index.html', 'index one')
show('index', get('/s/'))
write('s/index.html', 'index two')
show('index-changed', get('/s/'))
)PY");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out,
            "first 200 aaaa\n"
            "again 200 aaaa\n"
            "rewritten 200 bbbb\n"
            "renamed-over 200 cccc\n"
            "deleted 404 404 Not Found\n\n"
            "created 200 created again\n"
            "link-a 200 A\n"
            "link-b 200 B\n"
            "dir-file 200 in d\n"
            "dir-gone 404 404 Not Found\n\n"
            "dir-is-file 200 now a file\n"
            "readable 200 private\n"
            "unreadable 403 403 Forbidden\n\n"
            "readable-again 200 private\n"
            "index 200 index one\n"
            "index-changed 200 index two\n");
}

// Last-Modified and the ETag follow the file; a cached file answers 304s and ranges as any.
TEST(ServeCache, ValidatorsAndRangesFollowTheContent) {
  EVNODE_WATCHDOG(60);
  NEED_PYTHON();
  et::TempDir tmp;
  ServeServer server(tmp.path());
  ASSERT_GT(server.port, 0);
  auto r = runClient(tmp.path(), server.port, R"PY(
write('v.txt', 'version one')
os.utime('v.txt', (1000000000, 1000000000))
s, h1, b = get('/v.txt')
print(s, h1['last-modified'], h1['content-length'], b.decode())
s, h, b = get('/v.txt', {'If-None-Match': h1['etag']})
print(s, len(b))
s, h, b = get('/v.txt', {'If-Modified-Since': h1['last-modified']})
print(s, len(b))
s, h, b = get('/v.txt', {'Range': 'bytes=8-'})
print(s, h['content-range'], b.decode())
s, h, b = get('/v.txt', {'Range': 'bytes=50-'})
print(s, h['content-range'])
s, h, b = get('/v.txt', method='HEAD')
print(s, h['content-length'], len(b))
write('v.txt', 'version two')
os.utime('v.txt', (1000000001, 1000000001))
s, h2, b = get('/v.txt', {'If-None-Match': h1['etag']})
print(s, h2['last-modified'], b.decode(), h2['etag'] != h1['etag'])
)PY");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out,
            "200 Sun, 09 Sep 2001 01:46:40 GMT 11 version one\n"
            "304 0\n"
            "304 0\n"
            "206 bytes 8-10/11 one\n"
            "416 bytes */11\n"
            "200 11 0\n"
            "200 Sun, 09 Sep 2001 01:46:41 GMT version two True\n");
}

int countOpenDescriptors(int pid) {
  int n = 0;
  if (DIR* d = ::opendir(("/proc/" + std::to_string(pid) + "/fd").c_str())) {
    while (dirent* e = ::readdir(d)) n += e->d_name[0] != '.';
    ::closedir(d);
  }
  return n;
}

long residentKiB(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
  }
  return -1;
}

// 10,000 distinct files, each fetched twice: the cache holds a bounded number of them, no
// descriptor stays open for any, and the memory stays bounded.
TEST(ServeCache, TenThousandFilesKeepDescriptorsAndMemoryBounded) {
  EVNODE_WATCHDOG(120);
  NEED_PYTHON();
  et::TempDir tmp;
  ServeServer server(tmp.path());
  ASSERT_GT(server.port, 0);
  auto r = runClient(tmp.path(), server.port, R"PY(
for d in range(100):
    os.mkdir('d%d' % d)
    for f in range(100):
        write('d%d/f%d.bin' % (d, f), ('%d/%d ' % (d, f)) * 200)
bad = 0
for rnd in range(2):
    for d in range(100):
        for f in range(100):
            s, h, b = get('/d%d/f%d.bin' % (d, f))
            bad += s != 200 or b != (('%d/%d ' % (d, f)) * 200).encode()
print('bad', bad)
)PY",
                     100);
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "bad 0\n");
  int pid = server.proc.pid();
  EXPECT_LT(countOpenDescriptors(pid), 64);
  long rss = residentKiB(pid);
  EXPECT_GT(rss, 0);
  // The cache holds at most 4,096 files here (a few MiB); the sanitizer tree's shadow memory
  // and quarantine of freed blocks come on top.
#ifdef EVNODE_SANITIZE
  const long limitKiB = 1024 * 1024;
#else
  const long limitKiB = 64 * 1024;
#endif
  EXPECT_LT(rss, limitKiB) << rss << " KiB";
}

// Readers on four keep-alive connections while a writer replaces files by rename: every body
// is one whole version (byte-exact, its length its Content-Length), and once the writer stops,
// the next request sees the last version.
TEST(ServeCache, ByteExactUnderLoadWhileFilesAreReplaced) {
  EVNODE_WATCHDOG(120);
  NEED_PYTHON();
  et::TempDir tmp;
  ServeServer server(tmp.path());
  ASSERT_GT(server.port, 0);
  auto r = runClient(tmp.path(), server.port, R"PY(
import threading
def version(n, i):
    line = ('file %d version %d|' % (i, n)).encode()
    return line * (1 + (n * 37 + i) % 300)   # sizes vary with the version
def put(i, n):
    write('.tmp%d' % i, version(n, i)); os.rename('.tmp%d' % i, 'f%d.txt' % i)
for i in range(8):
    put(i, 0)
stop = False
latest = [0] * 8
def writer():
    n = 0
    while not stop:
        n += 1
        for i in range(8):
            put(i, n)
            latest[i] = n
        time.sleep(0.002)
errors = []
counts = [0]
def reader(k):
    c = http.client.HTTPConnection('127.0.0.1', PORT, timeout=10)
    while not stop:
        for i in range(8):
            c.request('GET', '/f%d.txt' % i)
            r = c.getresponse()
            b = r.read()
            line = b[:b.index(b'|') + 1]
            n = int(line.split()[3].rstrip(b'|'))
            if r.status != 200 or b != version(n, i) or int(r.getheader('content-length')) != len(b):
                errors.append((i, n, len(b)))
            counts[0] += 1
w = threading.Thread(target=writer); w.start()
rs = [threading.Thread(target=reader, args=(k,)) for k in range(4)]
for t in rs: t.start()
time.sleep(3)
stop = True
w.join()
for t in rs: t.join()
fresh = all(get('/f%d.txt' % i)[2] == version(latest[i], i) for i in range(8))
print('errors', len(errors), errors[:3], 'fresh', fresh, 'enough', counts[0] > 500)
)PY",
                     90);
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "errors 0 [] fresh True enough True\n");
}

}  // namespace
