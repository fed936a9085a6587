// Percent-encode sets (URL Standard section 1.3), percent-decoding and UTF-8 repair.
#include "url/percent.h"

#include <array>
#include <cstdint>

namespace evnode::url {

namespace {

constexpr char kHex[] = "0123456789ABCDEF";

// One bit per set, for the 128 ASCII bytes; every byte >= 0x80 is in every set.
constexpr std::array<std::uint8_t, 128> makeTable() {
  std::array<std::uint8_t, 128> t{};
  auto add = [&t](EncodeSet s, std::string_view chars) {
    for (char c : chars) t[static_cast<unsigned char>(c)] |= 1u << static_cast<int>(s);
  };
  auto addAll = [&](EncodeSet s, std::initializer_list<std::string_view> parts) {
    for (int c = 0; c < 0x20; ++c) t[c] |= 1u << static_cast<int>(s);
    t[0x7f] |= 1u << static_cast<int>(s);
    for (auto p : parts) add(s, p);
  };
  const std::string_view query = " \"#<>", path = "?`{}", userinfo = "/:;=@[\\]^|",
                         component = "$%&+,", form = "!'()~";
  addAll(EncodeSet::C0Control, {});
  addAll(EncodeSet::Fragment, {" \"<>`"});
  addAll(EncodeSet::Query, {query});
  addAll(EncodeSet::SpecialQuery, {query, "'"});
  addAll(EncodeSet::Path, {query, path});
  addAll(EncodeSet::Userinfo, {query, path, userinfo});
  addAll(EncodeSet::Component, {query, path, userinfo, component});
  addAll(EncodeSet::Form, {query, path, userinfo, component, form});
  return t;
}

constexpr std::array<std::uint8_t, 128> kSets = makeTable();

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
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

// The Encoding Standard's UTF-8 decoder, re-encoding as it goes; false once it meets an error
// (when out is null); with out, writes the text with each error replaced by U+FFFD.
bool decodeUtf8(std::string_view s, std::string* out) {
  bool ok = true;
  std::uint32_t cp = 0;
  int needed = 0, seen = 0;
  unsigned lower = 0x80, upper = 0xBF;
  for (std::size_t i = 0; i < s.size(); ++i) {
    auto b = static_cast<unsigned char>(s[i]);
    if (needed == 0) {
      if (b < 0x80) {
        if (out) *out += static_cast<char>(b);
      } else if (b >= 0xC2 && b <= 0xDF) {
        needed = 1;
        cp = b & 0x1F;
      } else if (b >= 0xE0 && b <= 0xEF) {
        if (b == 0xE0) lower = 0xA0;
        if (b == 0xED) upper = 0x9F;  // no surrogates
        needed = 2;
        cp = b & 0x0F;
      } else if (b >= 0xF0 && b <= 0xF4) {
        if (b == 0xF0) lower = 0x90;
        if (b == 0xF4) upper = 0x8F;  // nothing above U+10FFFF
        needed = 3;
        cp = b & 0x07;
      } else {
        ok = false;
        if (!out) return false;
        appendUtf8(*out, 0xFFFD);
      }
      continue;
    }
    if (b < lower || b > upper) {
      // The bytes so far are one maximal invalid subpart; b starts over.
      cp = 0;
      needed = seen = 0;
      lower = 0x80;
      upper = 0xBF;
      ok = false;
      if (!out) return false;
      appendUtf8(*out, 0xFFFD);
      --i;
      continue;
    }
    lower = 0x80;
    upper = 0xBF;
    cp = (cp << 6) | (b & 0x3F);
    if (++seen == needed) {
      if (out) appendUtf8(*out, cp);
      cp = 0;
      needed = seen = 0;
    }
  }
  if (needed != 0) {
    ok = false;
    if (out) appendUtf8(*out, 0xFFFD);
  }
  return ok;
}

}  // namespace

bool inEncodeSet(unsigned char c, EncodeSet set) {
  return c >= 0x80 || (kSets[c] >> static_cast<int>(set) & 1u) != 0;
}

void appendEncoded(std::string& out, char ch, EncodeSet set) {
  auto c = static_cast<unsigned char>(ch);
  if (inEncodeSet(c, set)) {
    out += '%';
    out += kHex[c >> 4];
    out += kHex[c & 15];
  } else {
    out += ch;
  }
}

void appendEncoded(std::string& out, std::string_view s, EncodeSet set) {
  for (char c : s) appendEncoded(out, c, set);
}

void appendFormEncoded(std::string& out, std::string_view s) {
  for (char c : s) {
    if (c == ' ') {
      out += '+';
    } else {
      appendEncoded(out, c, EncodeSet::Form);
    }
  }
}

std::string percentDecode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    int hi, lo;
    if (s[i] == '%' && i + 2 < s.size() && (hi = hexValue(s[i + 1])) >= 0 &&
        (lo = hexValue(s[i + 2])) >= 0) {
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::string toUSVString(std::string_view s) {
  bool ascii = true;
  for (char c : s) {
    if (static_cast<unsigned char>(c) >= 0x80) {
      ascii = false;
      break;
    }
  }
  if (ascii || decodeUtf8(s, nullptr)) return std::string(s);
  std::string out;
  out.reserve(s.size() + 8);
  decodeUtf8(s, &out);
  return out;
}

bool isAsciiAlpha(unsigned char c) { return (c | 0x20) >= 'a' && (c | 0x20) <= 'z'; }
bool isAsciiDigit(unsigned char c) { return c >= '0' && c <= '9'; }
bool isAsciiHexDigit(unsigned char c) { return hexValue(static_cast<char>(c)) >= 0; }
char asciiLower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; }

}  // namespace evnode::url
