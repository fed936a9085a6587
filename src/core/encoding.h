// Internal: Node's string encodings, between C++ strings (UTF-8 text) and bytes.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace evnode::detail {

enum class Encoding { kUtf8, kHex, kBase64, kBase64Url, kLatin1, kAscii, kUtf16Le };

std::optional<Encoding> tryParseEncoding(std::string_view name);
// Throws Exception(ERR_UNKNOWN_ENCODING) for names Node does not know.
Encoding parseEncoding(std::string_view name);

// Text → bytes. Hex stops at the first pair that is not hex (as Node); base64 accepts both
// alphabets and skips whitespace and padding.
std::string encode(std::string_view text, Encoding enc);
// Bytes → text. Invalid UTF-8 becomes U+FFFD, as in Node.
std::string decode(std::string_view bytes, Encoding enc);

// Length of the longest prefix of `bytes` that does not end inside a character of `enc`
// (what a streaming decoder may decode now; the rest waits for more bytes).
std::size_t completePrefix(std::string_view bytes, Encoding enc);

}  // namespace evnode::detail
