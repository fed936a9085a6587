// http_client: fetch() a URL and print the status, the headers as JSON, then the body, read
// chunk by chunk. Node.js:
//
//   try {
//     const res = await fetch(url);
//     console.log(`STATUS: ${res.status}`);
//     console.log(`HEADERS: ${JSON.stringify(Object.fromEntries(res.headers))}`);
//     for await (const chunk of res.body) process.stdout.write(chunk);
//   } catch (e) { console.error(`problem with request: ${e.message}`); }
//
//   http_client [URL]   (default http://127.0.0.1:1334/)
#include <evnode/evnode.h>

#include <cstdio>
#include <string>

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

Task<int> amain(std::string url) {
  try {
    http::FetchResponse res = co_await http::fetch(url);
    std::printf("STATUS: %d\n", res.status);
    std::string json = "{";
    for (const auto& [name, value] : res.headers.entries()) {
      if (json.size() > 1) json += ",";
      json += quote(name) + ":" + quote(value);
    }
    std::printf("HEADERS: %s}\n", json.c_str());
    if (res.body) {
      auto chunks = stream::iterator(res.body);
      while (auto chunk = co_await chunks.next()) {
        std::fwrite(chunk->data(), 1, chunk->length(), stdout);
      }
    }
    std::fflush(stdout);
    co_return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "problem with request: %s\n", e.what());
    co_return 1;
  }
}

int main(int argc, char** argv) {
  return run(amain(argc > 1 ? argv[1] : "http://127.0.0.1:1334/"));
}
