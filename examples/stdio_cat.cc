// stdio_cat: copies stdin to stdout as streams, whatever they are (terminal, pipe, file).
// Node.js:
//
//   process.stdin.pipe(process.stdout);
//
// With --upper, the bytes pass through a Transform that upper-cases ASCII letters on the way:
//
//   const upper = new Transform({
//     transform(chunk, encoding, cb) {
//       cb(null, chunk.map(c => (c >= 97 && c <= 122 ? c - 32 : c)));  // a-z -> A-Z
//     },
//   });
//   process.stdin.pipe(upper).pipe(process.stdout);
//
//   stdio_cat [--upper]
#include <cctype>
#include <cstdio>
#include <string_view>

#include "evnode/evnode.h"
#include "evnode/process.h"

using namespace evnode;

int main(int argc, char** argv) {
  const bool upper = argc > 1 && std::string_view(argv[1]) == "--upper";
  if (argc > 1 && !upper) {
    std::fprintf(::stderr, "usage: stdio_cat [--upper]\n");
    return 2;
  }

  auto in = process::stdin();
  auto out = process::stdout();
  if (upper) {
    TransformOptions opts;
    opts.transform = [](Transform&, const Buffer& chunk, TransformCallback cb) {
      Buffer copy = Buffer::from(chunk.data(), chunk.size());
      for (std::uint8_t& c : std::span(copy.data(), copy.size())) {
        c = static_cast<std::uint8_t>(std::toupper(c));
      }
      cb({}, copy);
    };
    in->pipe(std::make_shared<Transform>(std::move(opts)))->pipe(out);
  } else {
    in->pipe(out);
  }
  out->on(Writable::Events::error, [](const Error& err) {
    std::fprintf(::stderr, "stdio_cat: %s\n", err.message.c_str());
    process::exit(1);
  });
  run();
  return 0;
}
