// Percent-encode sets (URL Standard section 1.3), percent-decoding and UTF-8 repair.
#include "url/percent.h"

#include <array>
#include <cstdint>

#include "core/encoding.h"

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

// The Encoding Standard's UTF-8 decoder is Node's too (Buffer's utf8): each invalid
// sequence becomes one U+FFFD.
std::string toUSVString(std::string_view s) { return detail::decode(s, detail::Encoding::kUtf8); }

bool isAsciiAlpha(unsigned char c) { return (c | 0x20) >= 'a' && (c | 0x20) <= 'z'; }
bool isAsciiDigit(unsigned char c) { return c >= '0' && c <= '9'; }
bool isAsciiHexDigit(unsigned char c) { return hexValue(static_cast<char>(c)) >= 0; }
char asciiLower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; }

}  // namespace evnode::url
