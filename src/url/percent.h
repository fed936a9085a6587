// The URL Standard's percent-encode sets, percent-decoding, and the UTF-8 handling around them.
#pragma once

#include <string>
#include <string_view>

namespace evnode::url {

// The spec's percent-encode sets. Each holds every byte >= 0x80 (so UTF-8 percent-encoding a
// code point is encoding its bytes one by one) and the C0 controls.
enum class EncodeSet {
  C0Control,     // C0 controls and > U+007E: opaque paths and hosts
  Fragment,      // + space " < > `
  Query,         // + space " # < >
  SpecialQuery,  // query + '
  Path,          // query + ? ` { }
  Userinfo,      // path + / : ; = @ [ \ ] ^ |
  Component,     // userinfo + $ % & + ,
  Form,          // component + ! ' ( ) ~ (application/x-www-form-urlencoded; space is '+')
};

bool inEncodeSet(unsigned char c, EncodeSet set);

// Appends c, or "%XX" if c is in set.
void appendEncoded(std::string& out, char c, EncodeSet set);
void appendEncoded(std::string& out, std::string_view s, EncodeSet set);
// application/x-www-form-urlencoded: the form set, with space as '+'.
void appendFormEncoded(std::string& out, std::string_view s);

// Replaces every "%XX" (hex digits) by its byte; other '%' stay as they are.
std::string percentDecode(std::string_view s);

// The bytes as UTF-8, each maximal invalid subsequence replaced by U+FFFD (the Encoding
// Standard's UTF-8 decoder, without BOM handling): what Node gets when it turns bytes, or
// a string with lone surrogates, into a USVString. Valid input comes back unchanged.
std::string toUSVString(std::string_view s);

bool isAsciiAlpha(unsigned char c);
bool isAsciiDigit(unsigned char c);
bool isAsciiHexDigit(unsigned char c);
char asciiLower(char c);

}  // namespace evnode::url
