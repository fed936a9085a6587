// Hosts: IPv6 and IPv4 addresses (with IPv4's hex, octal and short forms), opaque hosts of
// non-special schemes, and domains, which go through IDNA to ASCII.
//
// IDNA: the URL Standard asks for UTS #46 ToASCII (non-transitional, CheckHyphens false,
// CheckBidi and CheckJoiners true, UseSTD3ASCIIRules and VerifyDnsLength false), which Node
// does with its own UTS #46 tables. evnode uses libidn2 (UTS #46 mapping, then IDNA2008 rules),
// label by label and only for labels that are not plain ASCII or that start with "xn--", so an
// ASCII host never pays for it. Where IDNA2008 is stricter than UTS #46 the host is refused
// (Invalid URL) where Node accepts it:
//  - code points IDNA2008 disallows: symbols and emoji ("☃.net", "💩.la", and their "xn--"
//    forms xn--n3h, xn--ls8h);
//  - a non-ASCII or "xn--" label that starts or ends with '-', or has "--" at positions 3-4
//    ("-bücher.de", "xn---bcher-4ya");
//  - a label longer than 63 bytes once encoded (libidn2 checks DNS lengths; Node does not);
//  - "xn--" labels that decode to ASCII only ("xn--abc-"), which Node accepts.
// tests/url/node_differential_test.cc lists these cases as its deliberate differences.
#include "url/host.h"

#include <idn2.h>

#include <array>
#include <cstdint>
#include <cstdlib>
#include <memory>

#include "url/percent.h"

namespace evnode::url {

namespace {

bool isForbiddenHostCodePoint(unsigned char c) {
  switch (c) {
    case 0x00:
    case '\t':
    case '\n':
    case '\r':
    case ' ':
    case '#':
    case '/':
    case ':':
    case '<':
    case '>':
    case '?':
    case '@':
    case '[':
    case '\\':
    case ']':
    case '^':
    case '|':
      return true;
    default:
      return false;
  }
}

bool isForbiddenDomainCodePoint(unsigned char c) {
  return isForbiddenHostCodePoint(c) || c <= 0x1F || c == '%' || c == 0x7F;
}

// --- IPv6 (section 3.5, "IPv6 parser" and "IPv6 serializer") ---

std::optional<std::array<std::uint16_t, 8>> parseIpv6(std::string_view in) {
  std::array<std::uint16_t, 8> address{};
  int pieceIndex = 0;
  int compress = -1;
  std::size_t p = 0;
  auto at = [&](std::size_t i) -> int {
    return i < in.size() ? static_cast<unsigned char>(in[i]) : -1;
  };
  if (at(p) == ':') {
    if (at(p + 1) != ':') return std::nullopt;
    p += 2;
    compress = ++pieceIndex;
  }
  while (at(p) != -1) {
    if (pieceIndex == 8) return std::nullopt;
    if (at(p) == ':') {
      if (compress != -1) return std::nullopt;
      ++p;
      compress = ++pieceIndex;
      continue;
    }
    unsigned value = 0;
    int length = 0;
    while (length < 4 && at(p) != -1 && isAsciiHexDigit(static_cast<unsigned char>(at(p)))) {
      int c = at(p);
      value = value * 16 + (isAsciiDigit(c) ? c - '0' : (c | 0x20) - 'a' + 10);
      ++p;
      ++length;
    }
    if (at(p) == '.') {
      // An IPv4 address in the last 32 bits ("::ffff:1.2.3.4").
      if (length == 0) return std::nullopt;
      p -= length;
      if (pieceIndex > 6) return std::nullopt;
      int numbersSeen = 0;
      while (at(p) != -1) {
        int ipv4Piece = -1;
        if (numbersSeen > 0) {
          if (at(p) == '.' && numbersSeen < 4) {
            ++p;
          } else {
            return std::nullopt;
          }
        }
        if (at(p) == -1 || !isAsciiDigit(static_cast<unsigned char>(at(p)))) return std::nullopt;
        while (at(p) != -1 && isAsciiDigit(static_cast<unsigned char>(at(p)))) {
          int number = at(p) - '0';
          if (ipv4Piece == -1) {
            ipv4Piece = number;
          } else if (ipv4Piece == 0) {
            return std::nullopt;  // no leading zeros
          } else {
            ipv4Piece = ipv4Piece * 10 + number;
          }
          if (ipv4Piece > 255) return std::nullopt;
          ++p;
        }
        address[pieceIndex] = static_cast<std::uint16_t>(address[pieceIndex] * 0x100 + ipv4Piece);
        ++numbersSeen;
        if (numbersSeen == 2 || numbersSeen == 4) ++pieceIndex;
      }
      if (numbersSeen != 4) return std::nullopt;
      break;
    }
    if (at(p) == ':') {
      ++p;
      if (at(p) == -1) return std::nullopt;
    } else if (at(p) != -1) {
      return std::nullopt;
    }
    address[pieceIndex] = static_cast<std::uint16_t>(value);
    ++pieceIndex;
  }
  if (compress != -1) {
    int swaps = pieceIndex - compress;
    pieceIndex = 7;
    while (pieceIndex != 0 && swaps > 0) {
      std::swap(address[pieceIndex], address[compress + swaps - 1]);
      --pieceIndex;
      --swaps;
    }
  } else if (pieceIndex != 8) {
    return std::nullopt;
  }
  return address;
}

std::string serializeIpv6(const std::array<std::uint16_t, 8>& a) {
  // The first longest run of two or more zero pieces becomes "::".
  int compress = -1, bestLen = 1;
  for (int i = 0; i < 8;) {
    if (a[i] != 0) {
      ++i;
      continue;
    }
    int j = i;
    while (j < 8 && a[j] == 0) ++j;
    if (j - i > bestLen) {
      bestLen = j - i;
      compress = i;
    }
    i = j;
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "[";
  for (int i = 0; i < 8; ++i) {
    if (i == compress) {
      out += i == 0 ? "::" : ":";
      i += bestLen - 1;
      continue;
    }
    unsigned v = a[i];
    bool started = false;
    for (int shift = 12; shift >= 0; shift -= 4) {
      unsigned d = (v >> shift) & 15;
      if (d || started || shift == 0) {
        out += kHex[d];
        started = true;
      }
    }
    if (i != 7) out += ':';
  }
  out += ']';
  return out;
}

// --- IPv4 (section 3.5, "IPv4 parser", "IPv4 number parser", "ends in a number") ---

// A number in decimal, octal ("0" prefix) or hex ("0x"), capped just above 2^32 (anything
// larger fails the same way). nullopt for an empty or non-numeric part.
std::optional<std::uint64_t> parseIpv4Number(std::string_view in) {
  if (in.empty()) return std::nullopt;
  int radix = 10;
  if (in.size() >= 2 && in[0] == '0' && (in[1] == 'x' || in[1] == 'X')) {
    in.remove_prefix(2);
    radix = 16;
  } else if (in.size() >= 2 && in[0] == '0') {
    in.remove_prefix(1);
    radix = 8;
  }
  std::uint64_t value = 0;
  constexpr std::uint64_t kCap = (std::uint64_t{1} << 32) + 1;
  for (char ch : in) {
    auto c = static_cast<unsigned char>(ch);
    int d;
    if (isAsciiDigit(c)) {
      d = c - '0';
    } else if (radix == 16 && isAsciiHexDigit(c)) {
      d = (c | 0x20) - 'a' + 10;
    } else {
      return std::nullopt;
    }
    if (d >= radix) return std::nullopt;
    value = value * radix + d;
    if (value > kCap) value = kCap;
  }
  return value;
}

bool endsInANumber(std::string_view s) {
  if (!s.empty() && s.back() == '.') s.remove_suffix(1);  // the last part may be empty once
  auto dot = s.rfind('.');
  std::string_view last = dot == std::string_view::npos ? s : s.substr(dot + 1);
  if (!last.empty()) {
    bool digits = true;
    for (char c : last) digits = digits && isAsciiDigit(static_cast<unsigned char>(c));
    if (digits) return true;
  }
  return parseIpv4Number(last).has_value();
}

std::optional<std::string> parseIpv4(std::string_view s) {
  std::string_view parts[5];
  int count = 0;
  if (!s.empty() && s.back() == '.') s.remove_suffix(1);  // one trailing dot is allowed
  std::size_t start = 0;
  while (true) {
    auto dot = s.find('.', start);
    if (count == 4) return std::nullopt;  // more than four parts
    parts[count++] = s.substr(start, dot == std::string_view::npos ? dot : dot - start);
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  std::uint64_t numbers[4];
  for (int i = 0; i < count; ++i) {
    auto n = parseIpv4Number(parts[i]);
    if (!n) return std::nullopt;
    numbers[i] = *n;
  }
  for (int i = 0; i + 1 < count; ++i) {
    if (numbers[i] > 255) return std::nullopt;
  }
  std::uint64_t limit = std::uint64_t{1} << (8 * (5 - count));
  if (numbers[count - 1] >= limit) return std::nullopt;
  std::uint64_t ipv4 = numbers[count - 1];
  for (int i = 0; i + 1 < count; ++i) ipv4 += numbers[i] << (8 * (3 - i));
  std::string out;
  for (int shift = 24; shift >= 0; shift -= 8) {
    out += std::to_string((ipv4 >> shift) & 255);
    if (shift) out += '.';
  }
  return out;
}

// --- Domains ---

bool startsWithXn(std::string_view label) {
  return label.size() >= 4 && (label[0] | 0x20) == 'x' && (label[1] | 0x20) == 'n' &&
         label[2] == '-' && label[3] == '-';
}

// UTS #46 ToASCII of labels that need it (non-ASCII, or "xn--" to validate), through libidn2.
// The piece may hold several labels when it has non-ASCII full stops ("a。b").
std::optional<std::string> idnaToAscii(std::string_view piece) {
  if (piece.find('\0') != std::string_view::npos) return std::nullopt;  // forbidden anyway
  std::string in(piece);
  std::uint8_t* out = nullptr;
  int rc = idn2_lookup_u8(reinterpret_cast<const std::uint8_t*>(in.c_str()), &out,
                          IDN2_NONTRANSITIONAL | IDN2_NFC_INPUT);
  std::unique_ptr<std::uint8_t, void (*)(void*)> owned(out, idn2_free);
  if (rc != IDN2_OK || out == nullptr) return std::nullopt;
  std::string result(reinterpret_cast<const char*>(out));
  for (char& c : result) c = asciiLower(c);
  return result;
}

}  // namespace

std::optional<std::string> domainToAscii(std::string_view domain) {
  // The fast path: ASCII with no "xn--" label is only lower-cased (UTS #46 maps nothing else
  // in ASCII when UseSTD3ASCIIRules is false).
  std::string result;
  result.reserve(domain.size());
  bool slow = false;
  for (std::size_t i = 0; i < domain.size(); ++i) {
    auto c = static_cast<unsigned char>(domain[i]);
    if (c >= 0x80 || ((i == 0 || domain[i - 1] == '.') && startsWithXn(domain.substr(i)))) {
      slow = true;
      break;
    }
    result += asciiLower(static_cast<char>(c));
  }
  if (slow) {
    result.clear();
    std::size_t start = 0;
    while (true) {
      auto dot = domain.find('.', start);
      std::string_view label =
          domain.substr(start, dot == std::string_view::npos ? dot : dot - start);
      bool ascii = true;
      for (char c : label) ascii = ascii && static_cast<unsigned char>(c) < 0x80;
      if (ascii && !startsWithXn(label)) {
        for (char c : label) result += asciiLower(c);
      } else {
        auto mapped = idnaToAscii(label);
        if (!mapped) return std::nullopt;
        result += *mapped;
      }
      if (dot == std::string_view::npos) break;
      result += '.';
      start = dot + 1;
    }
  }
  if (result.empty()) return std::nullopt;
  for (char c : result) {
    if (isForbiddenDomainCodePoint(static_cast<unsigned char>(c))) return std::nullopt;
  }
  return result;
}

std::optional<std::string> parseHost(std::string_view input, bool isOpaque) {
  if (!input.empty() && input.front() == '[') {
    if (input.size() < 2 || input.back() != ']') return std::nullopt;
    auto address = parseIpv6(input.substr(1, input.size() - 2));
    if (!address) return std::nullopt;
    return serializeIpv6(*address);
  }
  if (isOpaque) {
    std::string out;
    out.reserve(input.size());
    for (char c : input) {
      if (isForbiddenHostCodePoint(static_cast<unsigned char>(c))) return std::nullopt;
      appendEncoded(out, c, EncodeSet::C0Control);
    }
    return out;
  }
  // A domain: percent-decoded, then read as UTF-8 (invalid bytes become U+FFFD, which IDNA
  // refuses).
  std::string domain = toUSVString(percentDecode(input));
  auto ascii = domainToAscii(domain);
  if (!ascii) return std::nullopt;
  if (endsInANumber(*ascii)) return parseIpv4(*ascii);
  return ascii;
}

}  // namespace evnode::url
