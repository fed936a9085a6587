// Node's string encodings: utf8, hex, base64, base64url, latin1/binary, ascii, utf16le/ucs2.
#include "core/encoding.h"

#include <algorithm>
#include <cctype>
#include <cstdint>

#include "evnode/error.h"

namespace evnode::detail {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

void appendUtf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// Decodes one UTF-8 sequence at s[i]; returns the code point (0xFFFD when invalid) and advances
// i past it. Invalid input becomes one U+FFFD per maximal subpart, as WHATWG's (and so V8's)
// decoder does: a bad lead byte alone, or a lead byte with the continuation bytes that were
// still valid for it. The second byte's range excludes overlongs, surrogates and > U+10FFFF.
std::uint32_t nextCodePoint(std::string_view s, std::size_t& i) {
  auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) {
    ++i;
    return b0;
  }
  int need;
  std::uint32_t cp;
  unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the next byte
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    need = 1, cp = b0 & 0x1F;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    need = 2, cp = b0 & 0x0F;
    if (b0 == 0xE0) lo = 0xA0;
    if (b0 == 0xED) hi = 0x9F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    need = 3, cp = b0 & 0x07;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;
  } else {
    ++i;
    return 0xFFFD;
  }
  std::size_t j = i + 1;
  for (int k = 0; k < need; ++k, ++j) {
    if (j >= s.size()) {
      i = j;  // a truncated but so far valid sequence is one replacement
      return 0xFFFD;
    }
    auto b = static_cast<unsigned char>(s[j]);
    if (b < lo || b > hi) {
      i = j;  // the offending byte starts the next character
      return 0xFFFD;
    }
    lo = 0x80, hi = 0xBF;
    cp = (cp << 6) | (b & 0x3F);
  }
  i = j;
  return cp;
}

bool validUtf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    if (static_cast<unsigned char>(s[i]) < 0x80) {
      ++i;
      continue;
    }
    std::size_t before = i;
    if (nextCodePoint(s, i) == 0xFFFD) {
      // U+FFFD itself is valid input (EF BF BD); anything else that maps to it is not.
      if (s.substr(before, 3) != "\xEF\xBF\xBD") return false;
    }
  }
  return true;
}

int hexVal(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

int b64Val(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+' || c == '-') return 62;
  if (c == '/' || c == '_') return 63;
  return -1;
}

std::string base64Encode(std::string_view in, bool url) {
  static constexpr char kStd[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  static constexpr char kUrl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  const char* tbl = url ? kUrl : kStd;
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  auto byte = [&](std::size_t k) {
    return static_cast<std::uint32_t>(static_cast<unsigned char>(in[k]));
  };
  for (; i + 3 <= in.size(); i += 3) {
    std::uint32_t v = byte(i) << 16 | byte(i + 1) << 8 | byte(i + 2);
    out += tbl[v >> 18];
    out += tbl[(v >> 12) & 63];
    out += tbl[(v >> 6) & 63];
    out += tbl[v & 63];
  }
  std::size_t rest = in.size() - i;
  if (rest) {
    std::uint32_t v = byte(i) << 16 | (rest == 2 ? byte(i + 1) << 8 : 0);
    out += tbl[v >> 18];
    out += tbl[(v >> 12) & 63];
    if (rest == 2) out += tbl[(v >> 6) & 63];
    if (!url) out.append(rest == 1 ? "==" : "=");
  }
  return out;
}

std::string base64Decode(std::string_view in) {
  std::string out;
  out.reserve(in.size() / 4 * 3 + 3);
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    if (c == '=') break;  // padding ends the data, as Node
    int v = b64Val(c);
    if (v < 0) continue;  // whitespace and stray characters are skipped
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  return out;
}

}  // namespace

std::optional<Encoding> tryParseEncoding(std::string_view name) {
  // The default spelling, on every Buffer::from(str) and write(str): no lower-casing copy.
  if (name == "utf8") return Encoding::kUtf8;
  std::string n = lower(name);
  if (n == "utf8" || n == "utf-8") return Encoding::kUtf8;
  if (n == "hex") return Encoding::kHex;
  if (n == "base64") return Encoding::kBase64;
  if (n == "base64url") return Encoding::kBase64Url;
  if (n == "latin1" || n == "binary") return Encoding::kLatin1;
  if (n == "ascii") return Encoding::kAscii;
  if (n == "utf16le" || n == "utf-16le" || n == "ucs2" || n == "ucs-2") return Encoding::kUtf16Le;
  return std::nullopt;
}

Encoding parseEncoding(std::string_view name) {
  if (auto e = tryParseEncoding(name)) return *e;
  throw Exception("ERR_UNKNOWN_ENCODING", "Unknown encoding: " + std::string(name));
}

std::string encode(std::string_view text, Encoding enc) {
  switch (enc) {
    case Encoding::kUtf8:
      return std::string(text);
    case Encoding::kHex: {
      std::string out;
      out.reserve(text.size() / 2);
      for (std::size_t i = 0; i + 1 < text.size(); i += 2) {
        int hi = hexVal(text[i]), lo = hexVal(text[i + 1]);
        if (hi < 0 || lo < 0) break;
        out += static_cast<char>(hi << 4 | lo);
      }
      return out;
    }
    case Encoding::kBase64:
    case Encoding::kBase64Url:
      return base64Decode(text);
    case Encoding::kLatin1:
    case Encoding::kAscii: {
      std::string out;
      out.reserve(text.size());
      for (std::size_t i = 0; i < text.size();)
        out += static_cast<char>(nextCodePoint(text, i) & 0xFF);
      return out;
    }
    case Encoding::kUtf16Le: {
      std::string out;
      out.reserve(text.size() * 2);
      auto unit = [&](std::uint32_t u) {
        out += static_cast<char>(u & 0xFF);
        out += static_cast<char>(u >> 8);
      };
      for (std::size_t i = 0; i < text.size();) {
        std::uint32_t cp = nextCodePoint(text, i);
        if (cp >= 0x10000) {
          cp -= 0x10000;
          unit(0xD800 + (cp >> 10));
          unit(0xDC00 + (cp & 0x3FF));
        } else {
          unit(cp);
        }
      }
      return out;
    }
  }
  return {};
}

std::string decode(std::string_view bytes, Encoding enc) {
  switch (enc) {
    case Encoding::kUtf8: {
      if (validUtf8(bytes)) return std::string(bytes);
      std::string out;
      out.reserve(bytes.size() + 8);
      for (std::size_t i = 0; i < bytes.size();) appendUtf8(out, nextCodePoint(bytes, i));
      return out;
    }
    case Encoding::kHex: {
      static constexpr char kDigits[] = "0123456789abcdef";
      std::string out(bytes.size() * 2, '\0');
      for (std::size_t i = 0; i < bytes.size(); ++i) {
        auto b = static_cast<unsigned char>(bytes[i]);
        out[2 * i] = kDigits[b >> 4];
        out[2 * i + 1] = kDigits[b & 15];
      }
      return out;
    }
    case Encoding::kBase64:
      return base64Encode(bytes, false);
    case Encoding::kBase64Url:
      return base64Encode(bytes, true);
    case Encoding::kLatin1:
    case Encoding::kAscii: {
      std::string out;
      out.reserve(bytes.size());
      for (char c : bytes) {
        auto b = static_cast<unsigned char>(c);
        appendUtf8(out, enc == Encoding::kAscii ? (b & 0x7F) : b);
      }
      return out;
    }
    case Encoding::kUtf16Le: {
      std::string out;
      for (std::size_t i = 0; i + 1 < bytes.size(); i += 2) {
        std::uint32_t u = static_cast<unsigned char>(bytes[i]) |
                          static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8;
        if (u >= 0xD800 && u <= 0xDBFF && i + 3 < bytes.size()) {
          std::uint32_t lo = static_cast<unsigned char>(bytes[i + 2]) |
                             static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 3]))
                                 << 8;
          if (lo >= 0xDC00 && lo <= 0xDFFF) {
            appendUtf8(out, 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00));
            i += 2;
            continue;
          }
        }
        appendUtf8(out, (u >= 0xD800 && u <= 0xDFFF) ? 0xFFFD : u);
      }
      return out;
    }
  }
  return {};
}

std::size_t completePrefix(std::string_view bytes, Encoding enc) {
  switch (enc) {
    case Encoding::kUtf8: {
      // Look back at most 3 bytes for the lead byte of an unfinished sequence.
      std::size_t n = bytes.size();
      for (std::size_t back = 1; back <= std::min<std::size_t>(3, n); ++back) {
        auto b = static_cast<unsigned char>(bytes[n - back]);
        if ((b & 0xC0) == 0x80) continue;  // continuation byte: keep looking
        // 0xF8.. never starts a character: decode it now rather than wait.
        std::size_t need = b >= 0xF8 ? 1 : b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1;
        return need > back ? n - back : n;
      }
      return n;
    }
    case Encoding::kBase64:
    case Encoding::kBase64Url:
      return bytes.size() - bytes.size() % 3;
    case Encoding::kUtf16Le: {
      std::size_t n = bytes.size() & ~std::size_t{1};
      if (n >= 2) {
        auto hi = static_cast<unsigned char>(bytes[n - 1]);
        if (hi >= 0xD8 && hi <= 0xDB) n -= 2;  // a high surrogate waits for its pair
      }
      return n;
    }
    default:
      return bytes.size();
  }
}

}  // namespace evnode::detail
