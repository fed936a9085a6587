// http_post_chunked: POSTs a body made of pieces (a stream, so it is sent chunked: no
// Content-Length is known up front) with fetch, and prints the status and the response body.
// Node.js:
//
//   const body = Readable.from(['line 1\n', 'line 2\n', 'line 3\n', 'line 4\n', 'line 5\n']);
//   const res = await fetch(url, { method: 'POST', body, duplex: 'half',
//                                  headers: { 'Content-Type': 'text/plain' } });
//   console.log(`STATUS: ${res.status}`);
//   process.stdout.write(await res.text());
//
//   http_post_chunked [URL]   (default http://127.0.0.1:1334/upload)
#include <evnode/evnode.h>

#include <cstdio>
#include <string>
#include <vector>

using namespace evnode;

Task<int> amain(std::string url) {
  std::vector<Buffer> lines;
  for (int i = 1; i <= 5; ++i) lines.push_back(Buffer::from("line " + std::to_string(i) + "\n"));
  http::FetchOptions post;
  post.method = "POST";
  post.headers = {{"Content-Type", "text/plain"}};
  post.body = readableFrom(lines);
  try {
    http::FetchResponse res = co_await http::fetch(url, post);
    std::printf("STATUS: %d\n", res.status);
    std::string body = co_await res.text();
    std::fwrite(body.data(), 1, body.size(), stdout);
    std::fflush(stdout);
    co_return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "problem with request: %s\n", e.what());
    co_return 1;
  }
}

int main(int argc, char** argv) {
  return run(amain(argc > 1 ? argv[1] : "http://127.0.0.1:1334/upload"));
}
