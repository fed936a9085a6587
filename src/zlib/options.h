// Internal: Node's checks of the zlib and brotli options (thrown at the call, with Node's
// messages), giving what an Engine takes.
#pragma once

#include "zlib/engine.h"

namespace evnode::zlib::detail {

// Throws Exception(ERR_OUT_OF_RANGE) for a value out of Node's range.
Settings checkZlib(Mode mode, const Options& opts);
Settings checkBrotli(Mode mode, const BrotliOptions& opts);
// maxOutputLength: 1 .. 4 GiB (Node's buffer.kMaxLength); unset gives `dflt`.
std::uint64_t checkMaxOutput(std::optional<std::uint64_t> v, std::uint64_t dflt);
void checkRange(const char* name, long long v, long long lo, long long hi);

inline constexpr std::uint64_t kMaxLength = std::uint64_t{1} << 32;

}  // namespace evnode::zlib::detail
