// Throughput of the HTTP/1.1 parser (src/http/parser.h): request heads (one browser request,
// 16 pipelined small requests, a head arriving in two reads) and chunked bodies.
#include <benchmark/benchmark.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "http/parser.h"

namespace http = evnode::http;

namespace {

// What a desktop browser sends for a page: 12 fields, about 500 bytes.
constexpr std::string_view kBrowserRequest =
    "GET /articles/http-parsing?ref=home HTTP/1.1\r\n"
    "Host: www.example.com\r\n"
    "Connection: keep-alive\r\n"
    "Cache-Control: max-age=0\r\n"
    "Upgrade-Insecure-Requests: 1\r\n"
    "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36\r\n"
    "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n"
    "Sec-Fetch-Site: same-origin\r\n"
    "Sec-Fetch-Mode: navigate\r\n"
    "Referer: https://www.example.com/\r\n"
    "Accept-Encoding: gzip, deflate, br\r\n"
    "Accept-Language: en-US,en;q=0.9\r\n"
    "Cookie: session=8f14e45fceea167a; theme=dark\r\n"
    "\r\n";

void fail(const char* what) {
  std::fprintf(stderr, "bench_parser: %s\n", what);
  std::abort();
}

void BM_BrowserRequest(benchmark::State& state) {
  std::array<http::Header, 64> headers;
  http::RequestHead req;
  if (http::parseRequest(kBrowserRequest, req, headers) !=
          static_cast<std::ptrdiff_t>(kBrowserRequest.size()) ||
      req.headers.size() != 12) {
    fail("browser request does not parse");
  }
  for (auto _ : state) {
    std::string_view in = kBrowserRequest;
    benchmark::DoNotOptimize(in.data());
    std::ptrdiff_t n = http::parseRequest(in, req, headers);
    benchmark::DoNotOptimize(n);
    benchmark::DoNotOptimize(req);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * kBrowserRequest.size()));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.counters["bytes"] = static_cast<double>(kBrowserRequest.size());
}
BENCHMARK(BM_BrowserRequest);

// The same request arriving in two reads: an incomplete parse, then the rest with lastLen.
void BM_BrowserRequestTwoReads(benchmark::State& state) {
  std::array<http::Header, 64> headers;
  http::RequestHead req;
  std::size_t half = kBrowserRequest.size() / 2;
  for (auto _ : state) {
    std::string_view in = kBrowserRequest;
    benchmark::DoNotOptimize(in.data());
    std::ptrdiff_t a = http::parseRequest(in.substr(0, half), req, headers);
    std::ptrdiff_t b = http::parseRequest(in, req, headers, http::kDefaultLimits, half);
    benchmark::DoNotOptimize(a);
    benchmark::DoNotOptimize(b);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * kBrowserRequest.size()));
}
BENCHMARK(BM_BrowserRequestTwoReads);

std::string pipelined(int count) {
  std::string buf;
  for (int i = 0; i < count; ++i) {
    buf += "GET /api/items/" + std::to_string(i) +
           " HTTP/1.1\r\nHost: api.example.com\r\nAccept: */*\r\n\r\n";
  }
  return buf;
}

// 16 small GETs in one read, parsed back to back as a server does.
void BM_Pipelined16(benchmark::State& state) {
  const std::string buf = pipelined(16);
  std::array<http::Header, 64> headers;
  http::RequestHead req;
  for (auto _ : state) {
    std::string_view in = buf;
    benchmark::DoNotOptimize(in.data());
    int parsed = 0;
    while (!in.empty()) {
      std::ptrdiff_t n = http::parseRequest(in, req, headers);
      if (n <= 0) fail("pipelined request does not parse");
      in.remove_prefix(static_cast<std::size_t>(n));
      ++parsed;
    }
    benchmark::DoNotOptimize(parsed);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * buf.size()));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * 16));
}
BENCHMARK(BM_Pipelined16);

std::string chunkedBody(std::size_t chunkSize, std::size_t total) {
  std::string body;
  char size[32];
  for (std::size_t done = 0; done < total; done += chunkSize) {
    std::snprintf(size, sizeof size, "%zx\r\n", chunkSize);
    body += size;
    body.append(chunkSize, 'd');
    body += "\r\n";
  }
  body += "0\r\n\r\n";
  return body;
}

// A 256 KiB chunked body, decoded from one buffer; arg = chunk size.
void BM_ChunkedDecode(benchmark::State& state) {
  const std::size_t chunk = static_cast<std::size_t>(state.range(0));
  const std::string body = chunkedBody(chunk, 256 * 1024);
  for (auto _ : state) {
    http::ChunkedDecoder dec;
    std::size_t data = 0;
    std::size_t used = dec.decodeAll(body, [&](std::string_view d) { data += d.size(); });
    if (!dec.done() || used != body.size()) fail("chunked body does not decode");
    benchmark::DoNotOptimize(data);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * body.size()));
}
BENCHMARK(BM_ChunkedDecode)->Arg(16)->Arg(256)->Arg(4096)->Arg(65536);

// The same body arriving in 1400-byte reads (one TCP segment each).
void BM_ChunkedDecodeSegments(benchmark::State& state) {
  const std::string body = chunkedBody(1024, 256 * 1024);
  constexpr std::size_t kSegment = 1400;
  for (auto _ : state) {
    http::ChunkedDecoder dec;
    std::size_t data = 0;
    for (std::size_t off = 0; off < body.size(); off += kSegment) {
      std::string_view in = std::string_view(body).substr(off, kSegment);
      std::size_t used = dec.decodeAll(in, [&](std::string_view d) { data += d.size(); });
      if (used != in.size()) fail("segment not consumed (trailers split across segments)");
    }
    if (!dec.done()) fail("segmented chunked body does not decode");
    benchmark::DoNotOptimize(data);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * body.size()));
}
BENCHMARK(BM_ChunkedDecodeSegments);

}  // namespace
