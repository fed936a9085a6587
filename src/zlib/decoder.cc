// createDecoder (a stream for an HTTP Content-Encoding) and crc32.
#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <string>

#include "zlib/engine.h"
#include "zlib/options.h"

namespace evnode::zlib {

namespace {

// Content-Encoding: deflate, whichever of its two forms the server sends.
class HttpDeflateDecoder final : public ZlibBase {
 public:
  explicit HttpDeflateDecoder(std::optional<std::uint64_t> maxOutput)
      : ZlibBase(Mode::Inflate, detail::makeHttpDeflateEngine(), Z_NO_FLUSH, Z_FINISH,
                 constants::Z_DEFAULT_CHUNK, maxOutput) {}
};

}  // namespace

std::shared_ptr<ZlibBase> createDecoder(std::string_view contentEncoding,
                                        std::optional<std::uint64_t> maxOutputLength) {
  std::string c;
  for (char ch : contentEncoding)
    c += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  auto isSpace = [](char ch) { return ch == ' ' || ch == '\t'; };
  while (!c.empty() && isSpace(c.back())) c.pop_back();
  c.erase(c.begin(), std::find_if_not(c.begin(), c.end(), isSpace));
  if (maxOutputLength) detail::checkMaxOutput(maxOutputLength, detail::kMaxLength);
  if (c.empty() || c == "identity") return nullptr;
  if (c == "gzip" || c == "x-gzip") {
    Options o;
    o.maxOutputLength = maxOutputLength;
    return createGunzip(o);
  }
  if (c == "br") {
    BrotliOptions o;
    o.maxOutputLength = maxOutputLength;
    return createBrotliDecompress(o);
  }
  if (c == "deflate") return std::make_shared<HttpDeflateDecoder>(maxOutputLength);
  throwInvalidArg("contentEncoding", "must be gzip, x-gzip, deflate, br or identity. Received '" +
                                         std::string(contentEncoding) + "'");
}

std::uint32_t crc32(const Buffer& data, std::uint32_t value) {
  return static_cast<std::uint32_t>(::crc32_z(value, data.data(), data.size()));
}

std::uint32_t crc32(std::string_view data, std::uint32_t value) {
  return static_cast<std::uint32_t>(
      ::crc32_z(value, reinterpret_cast<const Bytef*>(data.data()), data.size()));
}

}  // namespace evnode::zlib
