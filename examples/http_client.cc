// http_client: a GET request that prints the status, the headers as JSON, then the body.
// Node.js:
//
//   const req = http.request(url, res => {
//     console.log(`STATUS: ${res.statusCode}`);
//     console.log(`HEADERS: ${JSON.stringify(res.headers)}`);
//     res.on('data', chunk => process.stdout.write(chunk));
//   });
//   req.on('error', e => console.error(`problem with request: ${e.message}`));
//   req.end();
//
//   http_client [URL]   (default http://127.0.0.1:1334/)
#include <cstdio>
#include <string>

#include <evnode/evnode.h>
#include <evnode/http.h>

using namespace evnode;

// JSON string literal for a header name or value.
static std::string quote(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      char esc[8];
      std::snprintf(esc, sizeof esc, "\\u%04x", c);
      out += esc;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

int main(int argc, char** argv) {
  std::string url = argc > 1 ? argv[1] : "http://127.0.0.1:1334/";
  auto req = http::request(url, [](const http::IncomingMessagePtr& res) {
    std::printf("STATUS: %d\n", res->statusCode);
    std::string json = "{";
    for (const auto& [name, value] : res->headers.entries()) {
      if (json.size() > 1) json += ",";
      json += quote(name) + ":" + quote(value);
    }
    std::printf("HEADERS: %s}\n", json.c_str());
    res->on(http::IncomingMessage::Events::data,
            [](const Buffer& chunk) { std::fwrite(chunk.data(), 1, chunk.length(), stdout); });
    res->on(http::IncomingMessage::Events::end, [] { std::fflush(stdout); });
  });
  req->on(http::ClientRequest::Events::error, [](const Error& err) {
    std::fprintf(stderr, "problem with request: %s\n", err.message.c_str());
  });
  req->end();
  evnode::run();
}
