// stdio_cat: copies stdin to stdout with an awaited pipeline, whatever they are (terminal,
// pipe, file); with --upper, through a Transform that upper-cases ASCII letters. Node.js:
//
//   const upper = new Transform({
//     transform(chunk, encoding, cb) {
//       cb(null, chunk.map(c => (c >= 97 && c <= 122 ? c - 32 : c)));  // a-z -> A-Z
//     },
//   });
//   await (flag ? pipeline(process.stdin, upper, process.stdout)
//               : pipeline(process.stdin, process.stdout));
//
//   stdio_cat [--upper]
#include <evnode/evnode.h>

#include <cctype>
#include <cstdio>
#include <span>
#include <string_view>

using namespace evnode;

Task<int> amain(bool upper) {
  auto in = process::stdin();
  auto out = process::stdout();
  try {
    if (upper) {
      TransformOptions opts;
      opts.transform = [](Transform&, const Buffer& chunk, TransformCallback cb) {
        Buffer copy = Buffer::from(chunk.data(), chunk.size());
        for (std::uint8_t& c : std::span(copy.data(), copy.size())) {
          c = static_cast<std::uint8_t>(std::toupper(c));
        }
        cb({}, copy);
      };
      co_await stream::promises::pipeline(in, std::make_shared<Transform>(std::move(opts)), out);
    } else {
      co_await stream::promises::pipeline(in, out);
    }
    co_return 0;
  } catch (const SystemError& e) {
    std::fprintf(::stderr, "stdio_cat: %s\n", e.what());
    co_return 1;
  }
}

int main(int argc, char** argv) {
  const bool upper = argc > 1 && std::string_view(argv[1]) == "--upper";
  if (argc > 1 && !upper) {
    std::fprintf(::stderr, "usage: stdio_cat [--upper]\n");
    return 2;
  }
  return run(amain(upper));
}
