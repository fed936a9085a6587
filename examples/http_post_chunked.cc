// http_post_chunked: POSTs a body written in pieces (sent chunked: no Content-Length is known up
// front) and prints the status and the response body. Node.js:
//
//   const req = http.request(url, { method: 'POST', headers: { 'Content-Type': 'text/plain' } },
//                            res => res.pipe(process.stdout));
//   req.on('error', e => console.error(`problem with request: ${e.message}`));
//   for (let i = 1; i <= 5; i++) req.write(`line ${i}\n`);
//   req.end();
//
//   http_post_chunked [URL]   (default http://127.0.0.1:1334/upload)
#include <cstdio>
#include <string>

#include <evnode/evnode.h>
#include <evnode/http.h>

using namespace evnode;

int main(int argc, char** argv) {
  std::string url = argc > 1 ? argv[1] : "http://127.0.0.1:1334/upload";
  http::RequestOptions options;
  options.method = "POST";
  options.headers = {{"Content-Type", "text/plain"}};
  auto req = http::request(url, options, [](const http::IncomingMessagePtr& res) {
    std::printf("STATUS: %d\n", res->statusCode);
    res->on(http::IncomingMessage::Events::data,
            [](const Buffer& chunk) { std::fwrite(chunk.data(), 1, chunk.length(), stdout); });
    res->on(http::IncomingMessage::Events::end, [] { std::fflush(stdout); });
  });
  req->on(http::ClientRequest::Events::error, [](const Error& err) {
    std::fprintf(stderr, "problem with request: %s\n", err.message.c_str());
  });
  for (int i = 1; i <= 5; ++i) req->write("line " + std::to_string(i) + "\n");
  req->end();
  evnode::run();
}
