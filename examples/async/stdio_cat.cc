// stdio_cat: copies stdin to stdout chunk by chunk, whatever they are (terminal, pipe, file),
// awaiting `drain` when stdout is full; with --upper, ASCII letters are upper-cased on the way.
// Node.js:
//
//   const upper = chunk => chunk.map(c => (c >= 97 && c <= 122 ? c - 32 : c));  // a-z -> A-Z
//   for await (const chunk of process.stdin) {
//     if (!process.stdout.write(flag ? upper(chunk) : chunk)) await once(process.stdout, 'drain');
//   }
//
//   stdio_cat [--upper]
#include <evnode/evnode.h>

#include <cctype>
#include <cstdio>
#include <span>
#include <string_view>

using namespace evnode;

Task<int> amain(bool upper) {
  auto out = process::stdout();
  try {
    auto chunks = stream::iterator(process::stdin());
    while (auto chunk = co_await chunks.next()) {
      if (upper) {
        Buffer copy = Buffer::from(chunk->data(), chunk->size());
        for (std::uint8_t& c : std::span(copy.data(), copy.size())) {
          c = static_cast<std::uint8_t>(std::toupper(c));
        }
        *chunk = copy;
      }
      co_await stream::promises::write(*out, *chunk);
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
