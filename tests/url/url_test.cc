// evnode::URL and URLSearchParams, case by case: each component from the URL Standard's
// examples, the setters, the link between a URL and its searchParams, and the errors.
// tests/url/node_differential_test.cc compares thousands of generated inputs with Node.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "evnode/error.h"
#include "evnode/url.h"

namespace {

using evnode::URL;
using evnode::URLSearchParams;

std::string errorCode(std::string_view input, std::optional<std::string_view> base = {}) {
  try {
    if (base) {
      URL u(input, *base);
    } else {
      URL u(input);
    }
  } catch (const evnode::Exception& e) {
    return e.code();
  }
  return "";
}

// ---------------------------------------------------------------------------------------------
// Components

TEST(Url, EveryComponent) {
  URL u("https://user:pa%20ss@EXAMPLE.com:8080/p/a/t/h?query=1&x#frag");
  EXPECT_EQ(u.href(), "https://user:pa%20ss@example.com:8080/p/a/t/h?query=1&x#frag");
  EXPECT_EQ(u.origin(), "https://example.com:8080");
  EXPECT_EQ(u.protocol(), "https:");
  EXPECT_EQ(u.username(), "user");
  EXPECT_EQ(u.password(), "pa%20ss");
  EXPECT_EQ(u.host(), "example.com:8080");
  EXPECT_EQ(u.hostname(), "example.com");
  EXPECT_EQ(u.port(), "8080");
  EXPECT_EQ(u.pathname(), "/p/a/t/h");
  EXPECT_EQ(u.search(), "?query=1&x");
  EXPECT_EQ(u.hash(), "#frag");
  EXPECT_EQ(u.toString(), u.href());
  EXPECT_EQ(u.toJSON(), u.href());
}

TEST(Url, DefaultPortsAndEmptyParts) {
  EXPECT_EQ(URL("http://h:80/").port(), "");
  EXPECT_EQ(URL("http://h:80/").host(), "h");
  EXPECT_EQ(URL("https://h:443").href(), "https://h/");
  EXPECT_EQ(URL("ws://h:80/").port(), "");
  EXPECT_EQ(URL("wss://h:443/").port(), "");
  EXPECT_EQ(URL("ftp://h:21/").port(), "");
  EXPECT_EQ(URL("http://h:443/").port(), "443");
  EXPECT_EQ(URL("http://h:0080/").port(), "");  // leading zeros
  EXPECT_EQ(URL("http://h:/").href(), "http://h/");
  EXPECT_EQ(URL("sc://h:80/").port(), "80");  // no default for other schemes
  EXPECT_EQ(URL("http://h/?").search(), "");  // an empty query is no search
  EXPECT_EQ(URL("http://h/?").href(), "http://h/?");
  EXPECT_EQ(URL("http://h/#").hash(), "");
  EXPECT_EQ(URL("http://h/#").href(), "http://h/#");
  EXPECT_EQ(URL("http://@h/").href(), "http://h/");
  EXPECT_EQ(URL("http://:@h/").href(), "http://h/");
  EXPECT_EQ(URL("http://h").pathname(), "/");
  EXPECT_EQ(URL("sc://h").pathname(), "");
}

TEST(Url, Origins) {
  EXPECT_EQ(URL("http://h:81/x").origin(), "http://h:81");
  EXPECT_EQ(URL("ws://h/").origin(), "ws://h");
  EXPECT_EQ(URL("ftp://h/").origin(), "ftp://h");
  EXPECT_EQ(URL("file:///x").origin(), "null");
  EXPECT_EQ(URL("sc://h/").origin(), "null");
  EXPECT_EQ(URL("blob:https://a.com:8/uuid").origin(), "https://a.com:8");
  EXPECT_EQ(URL("blob:ftp://a/x").origin(), "null");
  EXPECT_EQ(URL("data:text/plain,x").origin(), "null");
}

TEST(Url, SchemesAreLowerCasedAndCheckedForSlashes) {
  EXPECT_EQ(URL("HTTP://H/").href(), "http://h/");
  EXPECT_EQ(URL("http:h/x").href(), "http://h/x");  // special: slashes are optional
  EXPECT_EQ(URL("http:\\\\h\\x").href(), "http://h/x");
  EXPECT_EQ(URL("http:////h/").href(), "http://h/");
  EXPECT_EQ(URL("web+demo:/.//not-a-host/").href(), "web+demo:/.//not-a-host/");
  EXPECT_EQ(URL("sc:/..//x").href(), "sc:/.//x");
  EXPECT_EQ(URL("mailto:Joe@Example.COM").pathname(), "Joe@Example.COM");  // opaque path
  EXPECT_EQ(errorCode("1http://h/"), "ERR_INVALID_URL");
  EXPECT_EQ(errorCode("://h"), "ERR_INVALID_URL");
  EXPECT_EQ(errorCode("not a url"), "ERR_INVALID_URL");
  EXPECT_EQ(errorCode(""), "ERR_INVALID_URL");
}

TEST(Url, WhitespaceIsStrippedAndTabsAndNewlinesRemoved) {
  EXPECT_EQ(URL("  \t http://h\n/a\tb\r  ").href(), "http://h/ab");
  EXPECT_EQ(URL("\x01http://h/\x1f").href(), "http://h/");
  EXPECT_EQ(URL("ht\ntp://h/").href(), "http://h/");
  EXPECT_EQ(URL("http://h/a b").pathname(), "/a%20b");  // inner spaces are encoded
}

// ---------------------------------------------------------------------------------------------
// Hosts

TEST(Url, Ipv4InEveryForm) {
  for (const char* in :
       {"http://127.0.0.1/", "http://0x7f.1/", "http://017700000001/", "http://127.1/",
        "http://0x7F000001/", "http://2130706433/", "http://0177.0.0.1/", "http://127.0.0.1./",
        "http://%31%32%37.1/", "http://１２７.０.０.１/"}) {
    EXPECT_EQ(URL(in).hostname(), "127.0.0.1") << in;
  }
  EXPECT_EQ(URL("http://4294967295/").hostname(), "255.255.255.255");
  EXPECT_EQ(URL("http://0x/").hostname(), "0.0.0.0");
  EXPECT_EQ(URL("http://1.2.3.4../").hostname(), "1.2.3.4..");  // not a number at the end
  EXPECT_EQ(URL("http://a.1e/").hostname(), "a.1e");
  for (const char* bad : {"http://4294967296/", "http://1.2.3.256/", "http://1.2.256.3/",
                          "http://1.2.3.4.5/", "http://1.2.3.09/", "http://foo.09/",
                          "http://foo.0x/", "http://a.b.c.d.1/", "http://0xffffffff1/"}) {
    EXPECT_EQ(errorCode(bad), "ERR_INVALID_URL") << bad;
  }
  EXPECT_EQ(URL("sc://0x7f.1/").hostname(), "0x7f.1");  // opaque hosts are not addresses
}

TEST(Url, Ipv6CompressedAndSerialized) {
  EXPECT_EQ(URL("http://[::1]/").hostname(), "[::1]");
  EXPECT_EQ(URL("http://[0:0::1]/").hostname(), "[::1]");
  EXPECT_EQ(URL("http://[::ffff:1.2.3.4]/").hostname(), "[::ffff:102:304]");
  EXPECT_EQ(URL("http://[1:0:0:2:0:0:0:3]/").hostname(), "[1:0:0:2::3]");
  EXPECT_EQ(URL("http://[1:0:0:0:2:0:0:3]/").hostname(), "[1::2:0:0:3]");
  EXPECT_EQ(URL("http://[1::2:3:4:5:6:7]/").hostname(), "[1:0:2:3:4:5:6:7]");
  EXPECT_EQ(URL("http://[ABCD::EF01]:8/").host(), "[abcd::ef01]:8");
  EXPECT_EQ(URL("http://[::]/").hostname(), "[::]");
  EXPECT_EQ(URL("sc://[1:2::3]:8/").host(), "[1:2::3]:8");
  for (const char* bad :
       {"http://[::1/", "http://::1]/", "http://[::1]x/", "http://[1:2:3:4:5:6:7:8:9]/",
        "http://[::ffff:1.2.3]/", "http://[::01.2.3.4]/", "http://[::1%25eth0]/", "http://[1:::2]/",
        "http://[12345::]/", "http://[:1]/", "http://[]/"}) {
    EXPECT_EQ(errorCode(bad), "ERR_INVALID_URL") << bad;
  }
}

TEST(Url, DomainsArePercentDecodedLowerCasedAndChecked) {
  EXPECT_EQ(URL("http://EX%41MPLE.com/").hostname(), "example.com");
  EXPECT_EQ(URL("http://a%2eb/").hostname(), "a.b");
  EXPECT_EQ(URL("http://a_b.c/").hostname(), "a_b.c");
  for (const char* bad :
       {"http://a b/", "http://a<b/", "http://a^b/", "http://a|b/", "http://a%25b/",
        "http://a%2Fb/", "http://a%00b/", "http://%/", "http://a%zz/", "http://u@/", "http:///"}) {
    EXPECT_EQ(errorCode(bad), "ERR_INVALID_URL") << bad;
  }
  // Opaque hosts (non-special schemes) are percent-encoded, not decoded.
  EXPECT_EQ(URL("sc://ü/").hostname(), "%C3%BC");
  EXPECT_EQ(URL("sc://a%zzb/").hostname(), "a%zzb");
  EXPECT_EQ(URL("sc://EXAMPLE/").hostname(), "EXAMPLE");
  EXPECT_EQ(errorCode("sc://a b/"), "ERR_INVALID_URL");
}

TEST(Url, InternationalDomainsBecomePunycode) {
  EXPECT_EQ(URL("http://bücher.de/").hostname(), "xn--bcher-kva.de");
  EXPECT_EQ(URL("http://BÜCHER.de/").hostname(), "xn--bcher-kva.de");
  EXPECT_EQ(URL("http://%C3%BC.de/").hostname(), "xn--tda.de");
  EXPECT_EQ(URL("http://ＡＢＣ．com/").hostname(), "abc.com");   // full-width, mapped to ASCII
  EXPECT_EQ(URL("http://faß.de/").hostname(), "xn--fa-hia.de");  // non-transitional
  EXPECT_EQ(URL("http://ex\u00ADample.com/").hostname(), "example.com");  // soft hyphen: ignored
  EXPECT_EQ(URL("http://XN--BCHER-KVA.de/").hostname(), "xn--bcher-kva.de");
  EXPECT_EQ(URL("http://例え.テスト/").hostname(), "xn--r8jz45g.xn--zckzah");
  for (const char* bad : {"http://xn--/", "http://xn--a/", "http://%FF.de/", "http://\u00AD/",
                          "http://a\u200Db.com/"}) {
    EXPECT_EQ(errorCode(bad), "ERR_INVALID_URL") << bad;
  }
  EXPECT_EQ(evnode::domainToASCII("español.com"), "xn--espaol-zwa.com");
  EXPECT_EQ(evnode::domainToASCII("xn--iñvalid.com"), "");
  EXPECT_EQ(evnode::domainToASCII("127.1"), "127.0.0.1");
}

// ---------------------------------------------------------------------------------------------
// Paths, queries, fragments

TEST(Url, DotSegmentsAreResolved) {
  EXPECT_EQ(URL("http://h/sub/../hello.txt").pathname(), "/hello.txt");
  EXPECT_EQ(URL("http://h/a/./b/../c").pathname(), "/a/c");
  EXPECT_EQ(URL("http://h/../../x").pathname(), "/x");
  EXPECT_EQ(URL("http://h/a/..").pathname(), "/");
  EXPECT_EQ(URL("http://h/a/.").pathname(), "/a/");
  EXPECT_EQ(URL("http://h/%2e%2E/x/.%2E/y/%2e").pathname(), "/y/");
  EXPECT_EQ(URL("http://h/a\\b\\..\\c").pathname(), "/a/c");  // '\' is '/' in special URLs
  EXPECT_EQ(URL("sc://h/a\\b\\..\\c").pathname(), "/a\\b\\..\\c");
  EXPECT_EQ(URL("http://h/.../..a/a..").pathname(), "/.../..a/a..");
  EXPECT_EQ(URL("http://h/%2e%2e%2e").pathname(), "/%2e%2e%2e");
}

TEST(Url, PercentEncodeSets) {
  URL u("http://h/a b\"<>`{}|^%zz?q b\"<>'`{}#f b\"<>`{}");
  EXPECT_EQ(u.pathname(), "/a%20b%22%3C%3E%60%7B%7D|^%zz");
  EXPECT_EQ(u.search(), "?q%20b%22%3C%3E%27`{}");  // ' only in special schemes' queries
  EXPECT_EQ(u.hash(), "#f%20b%22%3C%3E%60{}");
  EXPECT_EQ(URL("sc://h/?'").search(), "?'");
  EXPECT_EQ(URL("http://h/é?é#é").href(), "http://h/%C3%A9?%C3%A9#%C3%A9");
  EXPECT_EQ(URL("http://h/\x01\x7f").pathname(), "/%01%7F");
  EXPECT_EQ(URL("sc:a b\x01é").pathname(), "a b%01%C3%A9");  // opaque: C0 controls and up
  EXPECT_EQ(URL("http://a b:c@d@h/").username(), "a%20b");
  EXPECT_EQ(URL("http://a b:c@d@h/").password(), "c%40d");
  EXPECT_EQ(URL("http://a:b:c@h/").password(), "b%3Ac");
}

TEST(Url, InvalidUtf8BecomesReplacementCharacter) {
  EXPECT_EQ(URL("http://h/\xff").pathname(), "/%EF%BF%BD");
  EXPECT_EQ(URL("http://h/?\xc3").search(), "?%EF%BF%BD");
}

TEST(Url, FileUrls) {
  EXPECT_EQ(URL("file:///C:/x/../..").href(), "file:///C:/");  // the drive stays
  EXPECT_EQ(URL("file:///C|/x").pathname(), "/C:/x");
  EXPECT_EQ(URL("file:c:\\a\\b").href(), "file:///c:/a/b");
  EXPECT_EQ(URL("file://localhost/x").href(), "file:///x");
  EXPECT_EQ(URL("file://LOCALHOST/x").hostname(), "");
  EXPECT_EQ(URL("file://host/share/x").hostname(), "host");
  EXPECT_EQ(URL("file://C:/x").href(), "file:///C:/x");
  EXPECT_EQ(URL("file:///x/../../..").href(), "file:///");
  EXPECT_EQ(URL("/x", "file:///C:/a/b").href(), "file:///C:/x");
  EXPECT_EQ(URL("..", "file:///C:/").href(), "file:///C:/");
  EXPECT_EQ(URL("C|", "file:///x/y").href(), "file:///C:");
  EXPECT_EQ(URL("file:").href(), "file:///");
}

TEST(Url, RelativeReferences) {
  const std::string base = "http://u:p@h.com:8080/a/b/c?q#f";
  EXPECT_EQ(URL("", base).href(), "http://u:p@h.com:8080/a/b/c?q");
  EXPECT_EQ(URL("x", base).href(), "http://u:p@h.com:8080/a/b/x");
  EXPECT_EQ(URL("../x", base).href(), "http://u:p@h.com:8080/a/x");
  EXPECT_EQ(URL("../../../../x", base).href(), "http://u:p@h.com:8080/x");
  EXPECT_EQ(URL("/x", base).href(), "http://u:p@h.com:8080/x");
  EXPECT_EQ(URL("//other/x", base).href(), "http://other/x");
  EXPECT_EQ(URL("\\\\other\\x", base).href(), "http://other/x");
  EXPECT_EQ(URL("?z", base).href(), "http://u:p@h.com:8080/a/b/c?z");
  EXPECT_EQ(URL("#z", base).href(), "http://u:p@h.com:8080/a/b/c?q#z");
  EXPECT_EQ(URL("http:x", base).href(), "http://u:p@h.com:8080/a/b/x");  // same scheme
  EXPECT_EQ(URL("https:x", base).href(), "https://x/");
  EXPECT_EQ(URL("sc:x", base).href(), "sc:x");
  EXPECT_EQ(URL("#f", "sc:opaque").href(), "sc:opaque#f");
  EXPECT_EQ(URL("x", "sc://h/a/b").href(), "sc://h/a/x");
  EXPECT_EQ(URL("x", URL(base)).href(), "http://u:p@h.com:8080/a/b/x");
  EXPECT_EQ(errorCode("x", "sc:opaque"), "ERR_INVALID_URL");
  EXPECT_EQ(errorCode("x#f", "sc:opaque"), "ERR_INVALID_URL");
  EXPECT_EQ(errorCode("x", "not a base"), "ERR_INVALID_URL");
  EXPECT_EQ(errorCode("x"), "ERR_INVALID_URL");
}

TEST(Url, ErrorsLikeNode) {
  try {
    URL u("http://a b/");
    FAIL() << "no throw";
  } catch (const evnode::Exception& e) {
    EXPECT_EQ(e.code(), "ERR_INVALID_URL");
    EXPECT_EQ(std::string(e.what()), "Invalid URL: http://a b/");
  }
  EXPECT_TRUE(URL::canParse("http://h/"));
  EXPECT_FALSE(URL::canParse("http://h:99999/"));
  EXPECT_TRUE(URL::canParse("x", "http://h/"));
  EXPECT_FALSE(URL::canParse("x", "nope"));
  EXPECT_FALSE(URL::canParse("x"));
}

// ---------------------------------------------------------------------------------------------
// Setters

TEST(UrlSetters, Href) {
  URL u("http://h/?a=1");
  u.setHref("https://x/y?b=2");
  EXPECT_EQ(u.host(), "x");
  EXPECT_EQ(u.searchParams().get("b"), "2");
  EXPECT_FALSE(u.searchParams().has("a"));
  EXPECT_THROW(u.setHref("nope"), evnode::Exception);
  EXPECT_EQ(u.href(), "https://x/y?b=2");
}

TEST(UrlSetters, Protocol) {
  URL u("http://h:443/");
  u.setProtocol("https");  // 443 is https's default: the port goes
  EXPECT_EQ(u.href(), "https://h/");
  u.setProtocol("WS:ignored");
  EXPECT_EQ(u.protocol(), "ws:");
  u.setProtocol("sc");  // special to non-special: refused
  EXPECT_EQ(u.protocol(), "ws:");
  u.setProtocol("1x");
  EXPECT_EQ(u.protocol(), "ws:");
  URL s("sc://h/");
  s.setProtocol("http");
  EXPECT_EQ(s.protocol(), "sc:");
  s.setProtocol("other");
  EXPECT_EQ(s.href(), "other://h/");
  URL c("http://u@h/");
  c.setProtocol("file");  // file: cannot have credentials
  EXPECT_EQ(c.protocol(), "http:");
}

TEST(UrlSetters, UsernameAndPassword) {
  URL u("http://h/");
  u.setUsername("a b:@");
  u.setPassword("p/w");
  EXPECT_EQ(u.href(), "http://a%20b%3A%40:p%2Fw@h/");
  u.setUsername("");
  EXPECT_EQ(u.href(), "http://:p%2Fw@h/");
  u.setPassword("");
  EXPECT_EQ(u.href(), "http://h/");
  URL f("file:///x");
  f.setUsername("u");
  EXPECT_EQ(f.href(), "file:///x");
}

TEST(UrlSetters, HostAndHostname) {
  URL u("http://h/p");
  u.setHost("X.com:81");
  EXPECT_EQ(u.href(), "http://x.com:81/p");
  u.setHost("y.com");  // no port given: the port stays
  EXPECT_EQ(u.host(), "y.com:81");
  u.setHost("z:99999");  // the host is set, the port is not (as Node)
  EXPECT_EQ(u.host(), "z:81");
  u.setHost("");
  EXPECT_EQ(u.host(), "z:81");
  u.setHost("a b");
  EXPECT_EQ(u.host(), "z:81");
  u.setHostname("w:1");  // hostname takes no port
  EXPECT_EQ(u.host(), "z:81");
  u.setHostname("[::2]");
  EXPECT_EQ(u.host(), "[::2]:81");
  u.setHost("ü.de/ignored");
  EXPECT_EQ(u.href(), "http://xn--tda.de:81/p");
  URL s("sc://h/");
  s.setHost("");
  EXPECT_EQ(s.href(), "sc:///");
  URL o("sc:opaque");
  o.setHost("x");
  EXPECT_EQ(o.href(), "sc:opaque");
}

TEST(UrlSetters, Port) {
  URL u("http://h/");
  u.setPort("8080abc");
  EXPECT_EQ(u.port(), "8080");
  u.setPort("abc");
  EXPECT_EQ(u.port(), "8080");
  u.setPort("80");
  EXPECT_EQ(u.port(), "");
  u.setPort("65536");
  EXPECT_EQ(u.port(), "");
  u.setPort("81");
  u.setPort("");
  EXPECT_EQ(u.port(), "");
  URL f("file:///x");
  f.setPort("1");
  EXPECT_EQ(f.port(), "");
}

TEST(UrlSetters, PathnameSearchHash) {
  URL u("http://h/x?q#f");
  u.setPathname("a/../b c?d");
  EXPECT_EQ(u.pathname(), "/b%20c%3Fd");
  u.setSearch("?a b#c");
  EXPECT_EQ(u.search(), "?a%20b%23c");
  u.setSearch("??x");
  EXPECT_EQ(u.search(), "??x");
  EXPECT_EQ(u.searchParams().get("?x"), "");
  u.setHash("#a b");
  EXPECT_EQ(u.hash(), "#a%20b");
  u.setSearch("");
  u.setHash("");
  EXPECT_EQ(u.href(), "http://h/b%20c%3Fd");
  // An opaque path drops its trailing spaces once nothing follows it.
  URL d("data:a b ?x");
  d.setSearch("");
  EXPECT_EQ(d.href(), "data:a b");
  URL o("sc:opaque");
  o.setPathname("x");
  EXPECT_EQ(o.pathname(), "opaque");
}

// ---------------------------------------------------------------------------------------------
// URLSearchParams

TEST(UrlSearchParams, ParsesAndSerializes) {
  URLSearchParams p("?a=1&b=x+y&c=%20%zz&&d&=e&f=g=h");
  std::vector<std::pair<std::string, std::string>> expected = {
      {"a", "1"}, {"b", "x y"}, {"c", " %zz"}, {"d", ""}, {"", "e"}, {"f", "g=h"}};
  EXPECT_EQ(p.entries(), expected);
  EXPECT_EQ(p.size(), 6u);
  EXPECT_EQ(p.toString(), "a=1&b=x+y&c=+%25zz&d=&=e&f=g%3Dh");
  EXPECT_EQ(URLSearchParams("a=%FF").get("a"), "\xEF\xBF\xBD");
  EXPECT_EQ(URLSearchParams({{"~!*'()", "é &+="}}).toString(), "%7E%21*%27%28%29=%C3%A9+%26%2B%3D");
  EXPECT_EQ(
      URLSearchParams(std::vector<URLSearchParams::value_type>{{"a", "1"}, {"a", "2"}}).toString(),
      "a=1&a=2");
}

TEST(UrlSearchParams, Methods) {
  URLSearchParams p{{"a", "1"}, {"b", "2"}, {"a", "3"}};
  EXPECT_EQ(p.get("a"), "1");
  EXPECT_EQ(p.get("z"), std::nullopt);
  EXPECT_EQ(p.getAll("a"), (std::vector<std::string>{"1", "3"}));
  EXPECT_TRUE(p.has("b"));
  EXPECT_TRUE(p.has("a", "3"));
  EXPECT_FALSE(p.has("a", "2"));
  p.append("c", "4");
  p.set("a", "5");  // the first stays in place, the others go
  EXPECT_EQ(p.toString(), "a=5&b=2&c=4");
  p.set("d", "6");
  EXPECT_EQ(p.toString(), "a=5&b=2&c=4&d=6");
  p.delete_("b");
  p.append("c", "7");
  p.delete_("c", "4");
  EXPECT_EQ(p.toString(), "a=5&d=6&c=7");
  EXPECT_EQ(p.keys(), (std::vector<std::string>{"a", "d", "c"}));
  EXPECT_EQ(p.values(), (std::vector<std::string>{"5", "6", "7"}));
  std::string seen;
  p.forEach([&](const std::string& value, const std::string& name) { seen += name + value; });
  EXPECT_EQ(seen, "a5d6c7");
  std::string iterated;
  for (const auto& [name, value] : p) iterated += name + "=" + value + ";";
  EXPECT_EQ(iterated, "a=5;d=6;c=7;");
}

TEST(UrlSearchParams, SortIsStableByUtf16CodeUnits) {
  URLSearchParams p("b=1&a=2&a=1&B=0&\xef\xbf\xbd=3&\xf0\x9f\x98\x80=4&\xc3\xa9=5&a=0");
  p.sort();
  // U+1F600 (surrogates D83D DE00) sorts before U+FFFD, unlike by code point or UTF-8 bytes.
  EXPECT_EQ(p.toString(), "B=0&a=2&a=1&a=0&b=1&%C3%A9=5&%F0%9F%98%80=4&%EF%BF%BD=3");
}

TEST(UrlSearchParams, LinkedToItsUrl) {
  URL u("http://h/p?a=1&b=2#f");
  u.searchParams().append("c", "x y");
  EXPECT_EQ(u.href(), "http://h/p?a=1&b=2&c=x+y#f");
  u.searchParams().delete_("a");
  EXPECT_EQ(u.search(), "?b=2&c=x+y");
  u.setSearch("z=9");
  EXPECT_EQ(u.searchParams().get("z"), "9");
  EXPECT_EQ(u.searchParams().size(), 1u);
  u.searchParams().delete_("z");  // empty list: no query at all
  EXPECT_EQ(u.href(), "http://h/p#f");
  u.searchParams() = URLSearchParams("k=v");
  EXPECT_EQ(u.href(), "http://h/p?k=v#f");

  // A copy of the URL has its own, linked list; a copy of the list is detached.
  URL copy = u;
  copy.searchParams().set("k", "w");
  EXPECT_EQ(copy.search(), "?k=w");
  EXPECT_EQ(u.search(), "?k=v");
  URLSearchParams detached = u.searchParams();
  detached.append("x", "1");
  EXPECT_EQ(u.search(), "?k=v");
  URL moved = std::move(copy);
  moved.searchParams().append("m", "1");
  EXPECT_EQ(moved.search(), "?k=w&m=1");
}

}  // namespace
