// Internal: turns a byte stream into text chunks that never split a character (Node's
// StringDecoder), used by Readable::setEncoding.
#pragma once

#include <string>
#include <string_view>

#include "core/encoding.h"
#include "evnode/buffer.h"

namespace evnode::detail {

class StringDecoder {
 public:
  explicit StringDecoder(std::string_view encoding)
      : enc_(parseEncoding(encoding)), name_(canonicalName(enc_)) {}

  // The text for every complete character so far (as bytes of the target encoding's text).
  Buffer write(const Buffer& chunk) {
    std::string_view in = chunk.view();
    if (!pending_.empty()) {
      pending_.append(in);
      in = pending_;
    }
    std::size_t n = completePrefix(in, enc_);
    std::string text = decode(in.substr(0, n), enc_);
    std::string rest(in.substr(n));
    pending_ = std::move(rest);
    return Buffer::from(text.data(), text.size());
  }
  // Whatever is left, decoded as is (an incomplete UTF-8 sequence becomes U+FFFD).
  Buffer end() {
    std::string text = decode(pending_, enc_);
    pending_.clear();
    return Buffer::from(text.data(), text.size());
  }
  const std::string& encodingName() const { return name_; }

 private:
  static std::string canonicalName(Encoding e) {
    switch (e) {
      case Encoding::kUtf8: return "utf8";
      case Encoding::kHex: return "hex";
      case Encoding::kBase64: return "base64";
      case Encoding::kBase64Url: return "base64url";
      case Encoding::kLatin1: return "latin1";
      case Encoding::kAscii: return "ascii";
      case Encoding::kUtf16Le: return "utf16le";
    }
    return "utf8";
  }
  Encoding enc_;
  std::string name_;
  std::string pending_;
};

}  // namespace evnode::detail
