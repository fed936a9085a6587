// Tests for the parser's fast paths (src/http/parser.cc): the block scans of targets and field
// values (16 or 8 bytes at a time), the one-pass method and name scans, the word-at-a-time
// recognition of the field names that matter, and the checks of outgoing headers
// (allTokenChars, allFieldValueChars, validateHeaderName/Value). Each is compared with the plain
// byte-by-byte rule at every position and length the blocks can split at.
#include <gtest/gtest.h>

#include <array>
#include <cctype>
#include <string>
#include <string_view>

#include "evnode/error.h"
#include "http/header_rules.h"
#include "http/header_storage.h"
#include "http/parser.h"

namespace evnode::http {
namespace {

using E = ParseError;

// The rules, one byte at a time.
bool refToken(unsigned char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  return c < 128 &&
         std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}
bool refValue(unsigned char c) { return c == '\t' || (c >= 0x20 && c != 0x7f); }
bool refTarget(unsigned char c) { return c > 0x20 && c < 0x7f; }  // VCHAR: ASCII only

struct Parsed {
  std::ptrdiff_t n = 0;
  RequestHead head;
  std::array<Header, 16> fields;
  std::string input;  // the views point here
};

void parse(Parsed& p, std::string input) {
  p.input = std::move(input);
  p.n = parseRequest(p.input, p.head, p.fields);
}

TEST(ParserScan, EveryByteInALongValueAtEveryPosition) {
  // Values of 1..40 bytes (the block scans' edges: 8, 16, 32) with one byte changed.
  for (std::size_t len = 1; len <= 40; ++len) {
    for (std::size_t at = 0; at < len; ++at) {
      for (int c = 0; c < 256; ++c) {
        if (c == '\r' || c == '\n') continue;  // line structure: covered elsewhere
        std::string v(len, 'v');
        v[at] = static_cast<char>(c);
        Parsed p;
        parse(p, "GET / HTTP/1.1\r\nHost: h\r\nX: " + v + "\r\n\r\n");
        if (refValue(static_cast<unsigned char>(c))) {
          ASSERT_GT(p.n, 0) << len << " " << at << " " << c;
          std::string_view want(v);
          while (!want.empty() && (want.front() == ' ' || want.front() == '\t')) {
            want.remove_prefix(1);
          }
          while (!want.empty() && (want.back() == ' ' || want.back() == '\t')) {
            want.remove_suffix(1);
          }
          ASSERT_EQ(p.head.headers[1].value, want);
        } else {
          ASSERT_EQ(p.n, kParseError) << len << " " << at << " " << c;
          EXPECT_EQ(p.head.error, E::HPE_INVALID_HEADER_TOKEN);
          EXPECT_EQ(p.head.errorOffset, 28 + at);
        }
      }
    }
  }
}

TEST(ParserScan, HtBeforeAnInvalidByteDoesNotHideIt) {
  // A scan that stops at HT (allowed) must go on and still find the CTL after it.
  for (std::size_t ht = 0; ht < 36; ++ht) {
    for (std::size_t bad = ht + 1; bad < 40; ++bad) {
      std::string v(40, 'v');
      v[0] = 'a';
      v[ht] = '\t';
      v[bad] = '\x01';
      Parsed p;
      parse(p, "GET / HTTP/1.1\r\nHost: h\r\nX: " + v + "\r\n\r\n");
      ASSERT_EQ(p.n, kParseError) << ht << " " << bad;
      EXPECT_EQ(p.head.errorOffset, 28 + bad);
    }
  }
}

TEST(ParserScan, EveryByteInATargetAtEveryPosition) {
  for (std::size_t len = 2; len <= 40; ++len) {
    for (std::size_t at = 1; at < len; ++at) {
      for (int c = 0; c < 256; ++c) {
        if (c == ' ' || c == '\r' || c == '\n') continue;  // they end the target
        std::string t(len, 'p');
        t[0] = '/';
        t[at] = static_cast<char>(c);
        Parsed p;
        parse(p, "GET " + t + " HTTP/1.1\r\nHost: h\r\n\r\n");
        if (refTarget(static_cast<unsigned char>(c))) {
          ASSERT_GT(p.n, 0) << len << " " << at << " " << c;
          ASSERT_EQ(p.head.target, t);
        } else {
          ASSERT_EQ(p.n, kParseError) << len << " " << at << " " << c;
          EXPECT_EQ(p.head.error, E::HPE_INVALID_URL);
          EXPECT_EQ(p.head.errorOffset, 4 + at) << len << " " << at << " " << c;
        }
      }
    }
  }
}

// Two bad bytes in one block: the first in memory order is the one reported, whichever kinds
// they are (a high byte flagged by its own bit, a CTL or DEL by a borrow-prone subtraction).
TEST(ParserScan, FirstBadByteInATargetIsTheOneReported) {
  const unsigned char bad[] = {0x00, 0x01, 0x1f, 0x7f, 0x80, 0xa0, 0xff};
  for (std::size_t first = 1; first < 39; ++first) {
    for (unsigned char a : bad) {
      for (unsigned char b : bad) {
        std::string t(40, 'p');
        t[0] = '/';
        t[first] = static_cast<char>(a);
        t[first + 1] = static_cast<char>(b);
        Parsed p;
        parse(p, "GET " + t + " HTTP/1.1\r\nHost: h\r\n\r\n");
        ASSERT_EQ(p.n, kParseError) << first << " " << int{a} << " " << int{b};
        EXPECT_EQ(p.head.error, E::HPE_INVALID_URL);
        EXPECT_EQ(p.head.errorOffset, 4 + first) << first << " " << int{a} << " " << int{b};
      }
    }
  }
}

TEST(ParserScan, NonTokenInMethodOrNameIsReportedWhereItIs) {
  for (std::size_t len = 1; len <= 12; ++len) {
    for (std::size_t at = 0; at < len; ++at) {
      for (int c = 0; c < 256; ++c) {
        if (refToken(static_cast<unsigned char>(c))) continue;
        std::string word(len, 'M');
        word[at] = static_cast<char>(c);
        Parsed m;
        parse(m, word + " / HTTP/1.1\r\nHost: h\r\n\r\n");
        Parsed n;
        parse(n, "GET / HTTP/1.1\r\nHost: h\r\n" + word + ": v\r\n\r\n");
        ASSERT_EQ(m.n, kParseError) << len << " " << at << " " << c;
        if (at == 0 && c == '\r') {
          EXPECT_EQ(m.head.error, E::HPE_LF_EXPECTED);  // a bare CR on an empty line
          EXPECT_EQ(n.head.error, E::HPE_LF_EXPECTED);
        } else if (at == 0 && c == '\n') {
          EXPECT_EQ(m.head.error, E::HPE_CR_EXPECTED);  // a bare LF on an empty line
          EXPECT_EQ(n.head.error, E::HPE_CR_EXPECTED);
        } else if (c == ' ' && at > 0) {
          // The method ends at the SP: what follows is taken as the target.
          EXPECT_NE(m.head.error, E::HPE_INVALID_METHOD);
        } else {
          EXPECT_EQ(m.head.error, E::HPE_INVALID_METHOD) << len << " " << at << " " << c;
          EXPECT_EQ(m.head.errorOffset, at);
        }
        if (at == 0 && (c == ' ' || c == '\t')) {
          EXPECT_EQ(n.head.error, E::HPE_UNEXPECTED_SPACE);  // obs-fold
        } else if (c == ':' && at > 0) {
          EXPECT_GT(n.n, 0);  // the name ends there; the rest is the value
        } else if (!(at == 0 && (c == '\r' || c == '\n'))) {
          ASSERT_EQ(n.n, kParseError) << len << " " << at << " " << c;
          EXPECT_EQ(n.head.error, E::HPE_INVALID_HEADER_TOKEN) << len << " " << at << " " << c;
          EXPECT_EQ(n.head.errorOffset, 25 + at);
        }
      }
    }
  }
}

TEST(ParserScan, GetIsNotSpecialExceptAsAToken) {
  Parsed p;
  parse(p, "GETS / HTTP/1.1\r\nHost: h\r\n\r\n");
  ASSERT_GT(p.n, 0);
  EXPECT_EQ(p.head.method, "GETS");
  parse(p, "GET  / HTTP/1.1\r\nHost: h\r\n\r\n");  // two SPs: an empty target
  EXPECT_EQ(p.head.error, E::HPE_INVALID_URL);
  parse(p, "GET\t/ HTTP/1.1\r\nHost: h\r\n\r\n");
  EXPECT_EQ(p.head.error, E::HPE_INVALID_METHOD);
  EXPECT_EQ(p.head.errorOffset, 3u);
  parse(p, "get / HTTP/1.1\r\nHost: h\r\n\r\n");  // case-sensitive: another method
  ASSERT_GT(p.n, 0);
  EXPECT_EQ(p.head.method, "get");
  parse(p, "GET");  // incomplete, whatever comes next
  EXPECT_EQ(p.n, kIncomplete);
  parse(p, "GET ");
  EXPECT_EQ(p.n, kIncomplete);
}

// Each name that means something, in every case mix of one letter, and every one-byte change
// of it to another tchar: only the real name counts.
TEST(ParserScan, KnownNamesAreMatchedExactlyIgnoringCase) {
  struct Known {
    std::string_view name;
    std::string_view value;
    bool (*seen)(const RequestHead&);
  };
  const Known known[] = {
      {"host", "h", [](const RequestHead& h) { return h.hostCount == 2; }},
      {"expect", "100-continue", [](const RequestHead& h) { return h.expectContinue; }},
      {"upgrade", "websocket", [](const RequestHead& h) { return h.hasUpgradeHeader; }},
      {"connection", "close", [](const RequestHead& h) { return h.connectionClose; }},
      {"content-length", "5", [](const RequestHead& h) { return h.hasContentLength; }},
      {"transfer-encoding", "chunked", [](const RequestHead& h) { return h.chunked; }},
  };
  const std::string_view tchars =
      "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
  for (const Known& k : known) {
    std::string shout(k.name);
    for (char& c : shout) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 32 : c);
    Parsed all;
    parse(all, "GET / HTTP/1.1\r\nHost: h\r\n" + shout + ": " + std::string(k.value) + "\r\n\r\n");
    EXPECT_TRUE(k.seen(all.head)) << shout;
    for (std::size_t at = 0; at < k.name.size(); ++at) {
      std::string upper(k.name);
      if (upper[at] >= 'a' && upper[at] <= 'z') upper[at] = static_cast<char>(upper[at] - 32);
      Parsed p;
      parse(p, "GET / HTTP/1.1\r\nHost: h\r\n" + upper + ": " + std::string(k.value) + "\r\n\r\n");
      ASSERT_NE(p.n, kIncomplete) << upper;
      if (k.name != "host") {
        ASSERT_GT(p.n, 0) << upper;  // a second Host is an error, but is counted
      }
      EXPECT_TRUE(k.seen(p.head)) << upper;
      for (char c : tchars) {
        std::string other(k.name);
        if ((c | 0x20) == other[at]) continue;  // the same letter
        other[at] = c;
        parse(p,
              "GET / HTTP/1.1\r\nHost: h\r\n" + other + ": " + std::string(k.value) + "\r\n\r\n");
        ASSERT_GT(p.n, 0) << other;
        EXPECT_FALSE(k.seen(p.head)) << other;
        EXPECT_EQ(p.head.hostCount, 1u) << other;
        EXPECT_FALSE(p.head.hasContentLength || p.head.hasTransferEncoding) << other;
      }
    }
  }
}

TEST(ParserScan, AllTokenCharsMatchesTheRuleAtEveryLengthAndPosition) {
  EXPECT_TRUE(allTokenChars(""));
  for (std::size_t len = 1; len <= 40; ++len) {
    for (std::size_t at = 0; at < len; ++at) {
      for (int c = 0; c < 256; ++c) {
        std::string s(len, 'a');
        s[at] = static_cast<char>(c);
        ASSERT_EQ(allTokenChars(s), refToken(static_cast<unsigned char>(c)))
            << len << " " << at << " " << c;
      }
    }
  }
}

// The names allTokenChars recognises whole (two word compares, case folded on letters only):
// each, in lower, upper and mixed case, with every byte at every position, gets the rule's
// answer. A fold on a non-letter would take 0x0d for '-' ("Content\rType") or 0x10 for '0'.
TEST(ParserScan, AllTokenCharsOnCommonNamesMatchesTheRule) {
  const char* const names[] = {"date",
                               "etag",
                               "vary",
                               "allow",
                               "server",
                               "expires",
                               "trailer",
                               "location",
                               "connection",
                               "set-cookie",
                               "keep-alive",
                               "content-type",
                               "cache-control",
                               "last-modified",
                               "accept-ranges",
                               "content-length",
                               "content-encoding",
                               "transfer-encoding",
                               "x-powered-by"};
  for (const char* name : names) {
    std::string lower = name, upper = name, mixed = name;
    for (std::size_t i = 0; i < lower.size(); ++i) {
      upper[i] = static_cast<char>(std::toupper(static_cast<unsigned char>(upper[i])));
      if (i % 2) mixed[i] = upper[i];
    }
    for (const std::string& base : {lower, upper, mixed}) {
      ASSERT_TRUE(allTokenChars(base)) << base;
      for (std::size_t at = 0; at < base.size(); ++at) {
        for (int c = 0; c < 256; ++c) {
          std::string s = base;
          s[at] = static_cast<char>(c);
          ASSERT_EQ(allTokenChars(s), refToken(static_cast<unsigned char>(c)))
              << base << " " << at << " " << c;
        }
      }
    }
  }
}

TEST(ParserScan, AllFieldValueCharsMatchesTheRuleAtEveryLengthAndPosition) {
  EXPECT_TRUE(allFieldValueChars(""));
  for (std::size_t len = 1; len <= 40; ++len) {
    for (std::size_t at = 0; at < len; ++at) {
      for (int c = 0; c < 256; ++c) {
        std::string s(len, 'a');
        s[at] = static_cast<char>(c);
        ASSERT_EQ(allFieldValueChars(s), refValue(static_cast<unsigned char>(c)))
            << len << " " << at << " " << c;
        // With an HT elsewhere too (the word check flags HT and must look closer).
        s[(at + 1) % len] = '\t';
        if (len > 1) {
          ASSERT_EQ(allFieldValueChars(s), refValue(static_cast<unsigned char>(c)))
              << len << " " << at << " " << c << " with HT";
        }
      }
    }
  }
  // Only the view's bytes count: a CTL just past its end does not.
  std::string buf = "text/plain\x01";
  EXPECT_TRUE(allFieldValueChars(std::string_view(buf).substr(0, 10)));
  EXPECT_FALSE(allFieldValueChars(buf));
}

std::string thrownCode(void (*f)()) {
  try {
    f();
  } catch (const Exception& e) {
    return e.code();
  }
  return "none";
}

TEST(ParserScan, OutgoingHeaderChecksThrowNodesCodes) {
  EXPECT_EQ(thrownCode([] { validateHeaderName("Content-Type"); }), "none");
  EXPECT_EQ(thrownCode([] { validateHeaderName(""); }), "ERR_INVALID_HTTP_TOKEN");
  EXPECT_EQ(thrownCode([] { validateHeaderName("Content Type"); }), "ERR_INVALID_HTTP_TOKEN");
  EXPECT_EQ(thrownCode([] { validateHeaderValue("X", ""); }), "none");
  EXPECT_EQ(thrownCode([] { validateHeaderValue("X", "a\tb"); }), "none");
  EXPECT_EQ(thrownCode([] { validateHeaderValue("X", "a\r\nSet-Cookie: x"); }), "ERR_INVALID_CHAR");
  EXPECT_EQ(thrownCode([] { validateHeaderValue("X", std::string_view("\0", 1)); }),
            "ERR_INVALID_CHAR");
}

TEST(HeaderStorageTest, SetStringCopiesEveryLengthOverAnyOldValue) {
  for (std::size_t from = 0; from <= 40; ++from) {
    for (std::size_t to = 0; to <= 40; ++to) {
      std::string s(from, 'o');
      std::string v;
      for (std::size_t i = 0; i < to; ++i) v += static_cast<char>('a' + i % 26);
      setString(s, v);
      ASSERT_EQ(s, v) << from << " " << to;
      ASSERT_EQ(s.c_str()[s.size()], '\0');
    }
  }
}

}  // namespace
}  // namespace evnode::http
