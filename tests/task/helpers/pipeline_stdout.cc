// A child program for tests/task/stream_promises_test.cc: a pipeline into process::stdout(),
// which a pipe never ends. It writes a pattern through the pipeline (awaited, or with the
// callback form), then "|after" with a plain write once the pipeline has completed (stdout is
// still open), and exits 0. Were the pipeline never to complete, run() would throw
// ERR_UNSETTLED_TASK once the loop ran out of work (a non-zero exit, no "|after").
//
//   pipeline_stdout promise|callback BYTES
//   pipeline_stdout failing    (a source that fails after "abc": prints "rejected CODE")
#include <evnode/evnode.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

using namespace evnode;

namespace {

// BYTES of a pattern, in chunks of up to 65536 bytes.
std::shared_ptr<Readable> source(std::size_t bytes) {
  std::vector<Buffer> chunks;
  for (std::size_t at = 0; at < bytes; at += 65536) {
    std::string chunk;
    for (std::size_t i = at; i < bytes && i < at + 65536; ++i) {
      chunk.push_back(static_cast<char>('a' + i % 26));
    }
    chunks.push_back(Buffer::from(chunk));
  }
  return readableFrom(std::move(chunks));
}

Task<int> viaPromise(std::size_t bytes) {
  auto out = process::stdout();
  co_await stream::promises::pipeline(source(bytes), out);
  co_await stream::promises::write(*out, std::string_view("|after"));
  co_return 0;
}

// What the callback form's completion emits, so that the task can await it.
struct Done : EventEmitter {
  struct Events : EventEmitter::Events {
    static constexpr Event<> done{"done"};
  };
};

Task<int> viaCallback(std::size_t bytes) {
  auto out = process::stdout();
  std::optional<Error> result;
  auto done = std::make_shared<Done>();
  pipeline({source(bytes), out}, [&result, done](const Error& err) {
    result = err;
    done->emit(Done::Events::done);
  });
  co_await events::once(*done, Done::Events::done);
  if (*result) throw SystemError(*result);
  co_await stream::promises::write(*out, std::string_view("|after"));
  co_return 0;
}

// A source that gives "abc", then fails: the pipeline must reject with its error (and not wait
// for stdout, which a failed pipeline destroys as Node's does) and the program then exits.
Task<int> viaFailingSource() {
  ReadableOptions o;
  o.read = [step = 0](Readable& r, std::size_t) mutable {
    if (step++ == 0) {
      r.push(Buffer::from("abc"));
    } else {
      r.destroy(Error("EFAKE", "the source failed"));
    }
  };
  auto src = std::make_shared<Readable>(std::move(o));
  Result<void> r = co_await stream::promises::pipeline(src, process::stdout()).result();
  std::fprintf(::stderr, "rejected %s\n", r ? "-" : r.error().code.c_str());
  co_return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 2 && std::string_view(argv[1]) == "failing") return run(viaFailingSource());
  if (argc != 3) {
    std::fprintf(::stderr, "usage: pipeline_stdout promise|callback BYTES | failing\n");
    return 2;
  }
  std::string_view mode = argv[1];
  std::size_t bytes = std::strtoull(argv[2], nullptr, 10);
  return run(mode == "promise" ? viaPromise(bytes) : viaCallback(bytes));
}
