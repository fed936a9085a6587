// Buffer: encodings in both directions with known vectors, allocation, zero-copy slices,
// concat/compare/indexOf/copy/write, and the fixed-width integer accessors.
#include "evnode/buffer.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "evnode/error.h"

namespace evnode {
namespace {

std::vector<std::uint8_t> bytes(const Buffer& b) { return {b.begin(), b.end()}; }
using Bytes = std::vector<std::uint8_t>;

// Runs `f` and returns the code of the evnode::Exception it throws ("" if none).
template <class F>
std::string thrownCode(F&& f) {
  try {
    f();
  } catch (const Exception& e) {
    return e.code();
  }
  return "";
}

// --- encoding: string -> bytes ---------------------------------------------------------------

TEST(BufferTest, FromUtf8) {
  EXPECT_EQ(bytes(Buffer::from("hi")), (Bytes{'h', 'i'}));
  EXPECT_EQ(bytes(Buffer::from("\xE2\x82\xAC", "utf8")), (Bytes{0xE2, 0x82, 0xAC}));  // €
  EXPECT_EQ(bytes(Buffer::from("\xF0\x9F\x98\x80", "utf-8")), (Bytes{0xF0, 0x9F, 0x98, 0x80}));
  EXPECT_EQ(Buffer::from("", "utf8").length(), 0u);
  // The string is the byte sequence: embedded NULs are kept.
  EXPECT_EQ(bytes(Buffer::from(std::string_view("a\0b", 3))), (Bytes{'a', 0, 'b'}));
}

TEST(BufferTest, FromHex) {
  EXPECT_EQ(bytes(Buffer::from("68656c6C6F", "hex")), (Bytes{'h', 'e', 'l', 'l', 'o'}));
  EXPECT_EQ(bytes(Buffer::from("abc", "hex")), (Bytes{0xAB}));     // odd digit dropped
  EXPECT_EQ(bytes(Buffer::from("12zz34", "hex")), (Bytes{0x12}));  // stops at the bad pair
  EXPECT_TRUE(Buffer::from("zz", "hex").empty());
  EXPECT_TRUE(Buffer::from("", "hex").empty());
}

TEST(BufferTest, FromBase64) {
  EXPECT_EQ(Buffer::from("aGVsbG8=", "base64").toString(), "hello");
  EXPECT_EQ(Buffer::from("aGVsbG8", "base64").toString(), "hello");  // padding optional
  EXPECT_EQ(Buffer::from("aGVs\nbG8g d29y bGQ=", "base64").toString(), "hello world");
  EXPECT_EQ(Buffer::from("", "base64").length(), 0u);
  EXPECT_EQ(bytes(Buffer::from("+/8=", "base64")), (Bytes{0xFB, 0xFF}));
  EXPECT_EQ(bytes(Buffer::from("-_8", "base64")), (Bytes{0xFB, 0xFF}));  // url alphabet too
  EXPECT_EQ(Buffer::from("Zm9vYmFy", "base64").toString(), "foobar");
  EXPECT_EQ(Buffer::from("Zm9vYg==", "base64").toString(), "foob");
  EXPECT_EQ(Buffer::from("Zm9vYmE=", "base64").toString(), "fooba");
}

TEST(BufferTest, FromBase64Url) {
  EXPECT_EQ(bytes(Buffer::from("-_8", "base64url")), (Bytes{0xFB, 0xFF}));
  EXPECT_EQ(bytes(Buffer::from("+/8=", "base64url")), (Bytes{0xFB, 0xFF}));  // std too
  EXPECT_EQ(Buffer::from("aGVsbG8", "base64url").toString(), "hello");
}

TEST(BufferTest, FromLatin1AndBinary) {
  // "é" (U+00E9) is one byte in latin1; the C++ string holds its UTF-8 form.
  EXPECT_EQ(bytes(Buffer::from("caf\xC3\xA9", "latin1")), (Bytes{'c', 'a', 'f', 0xE9}));
  EXPECT_EQ(bytes(Buffer::from("\xC3\xBF", "binary")), (Bytes{0xFF}));
  // Characters above U+00FF keep their low byte, as Node does: "€" (U+20AC) → 0xAC.
  EXPECT_EQ(bytes(Buffer::from("\xE2\x82\xAC", "latin1")), (Bytes{0xAC}));
}

TEST(BufferTest, FromAscii) {
  EXPECT_EQ(bytes(Buffer::from("abc", "ascii")), (Bytes{'a', 'b', 'c'}));
  EXPECT_EQ(bytes(Buffer::from("\xC3\xA9", "ascii")), (Bytes{0xE9}));  // same as latin1
}

TEST(BufferTest, FromUtf16le) {
  EXPECT_EQ(bytes(Buffer::from("ab", "utf16le")), (Bytes{'a', 0, 'b', 0}));
  EXPECT_EQ(bytes(Buffer::from("\xE2\x82\xAC", "ucs2")), (Bytes{0xAC, 0x20}));
  // U+1F600 becomes the surrogate pair D83D DE00.
  EXPECT_EQ(bytes(Buffer::from("\xF0\x9F\x98\x80", "utf-16le")), (Bytes{0x3D, 0xD8, 0x00, 0xDE}));
}

TEST(BufferTest, EncodingNamesAreCaseInsensitive) {
  EXPECT_EQ(bytes(Buffer::from("ff", "HEX")), (Bytes{0xFF}));
  EXPECT_EQ(Buffer::from("hi", "UTF8").toString("Utf-8"), "hi");
  EXPECT_TRUE(Buffer::isEncoding("utf8"));
  EXPECT_TRUE(Buffer::isEncoding("UCS-2"));
  EXPECT_TRUE(Buffer::isEncoding("Binary"));
  EXPECT_TRUE(Buffer::isEncoding("base64url"));
  EXPECT_FALSE(Buffer::isEncoding("utf7"));
  EXPECT_FALSE(Buffer::isEncoding(""));
}

TEST(BufferTest, UnknownEncodingThrows) {
  EXPECT_EQ(thrownCode([] { Buffer::from("x", "utf7"); }), "ERR_UNKNOWN_ENCODING");
  EXPECT_EQ(thrownCode([] { Buffer::from("x").toString("nope"); }), "ERR_UNKNOWN_ENCODING");
  EXPECT_EQ(thrownCode([] { Buffer::from("x").toString("nope", 0, 1); }), "ERR_UNKNOWN_ENCODING");
  EXPECT_EQ(thrownCode([] { Buffer::byteLength("x", "nope"); }), "ERR_UNKNOWN_ENCODING");
  EXPECT_EQ(thrownCode([] {
              Buffer b = Buffer::alloc(4);
              b.write("x", 0, "nope");
            }),
            "ERR_UNKNOWN_ENCODING");
  try {
    Buffer::from("x", "klingon");
    FAIL() << "no throw";
  } catch (const Exception& e) {
    EXPECT_NE(std::string(e.what()).find("klingon"), std::string::npos);
  }
}

// --- decoding: bytes -> string ---------------------------------------------------------------

TEST(BufferTest, ToStringUtf8) {
  EXPECT_EQ(Buffer::from({0xE2, 0x82, 0xAC}).toString(), "\xE2\x82\xAC");
  EXPECT_EQ(Buffer::from({0xF0, 0x9F, 0x98, 0x80}).toString("utf8"), "\xF0\x9F\x98\x80");
  EXPECT_EQ(Buffer().toString(), "");
  // U+FFFD in the input is valid and kept.
  EXPECT_EQ(Buffer::from({0xEF, 0xBF, 0xBD}).toString(), "\xEF\xBF\xBD");
}

#define FFFD "\xEF\xBF\xBD"

TEST(BufferTest, ToStringUtf8ReplacesInvalidSequences) {
  EXPECT_EQ(Buffer::from({'a', 0xFF, 'b'}).toString(), "a" FFFD "b");
  EXPECT_EQ(Buffer::from({0x80}).toString(), FFFD);                 // lone continuation
  EXPECT_EQ(Buffer::from({'a', 0xE2, 0x82}).toString(), "a" FFFD);  // truncated: one U+FFFD
  EXPECT_EQ(Buffer::from({0xE2, 0x82, 'x'}).toString(), FFFD "x");
  EXPECT_EQ(Buffer::from({0xC0, 0x80}).toString(), FFFD FFFD);             // overlong NUL
  EXPECT_EQ(Buffer::from({0xE0, 0x80, 0x80}).toString(), FFFD FFFD FFFD);  // overlong
  EXPECT_EQ(Buffer::from({0xED, 0xA0, 0x80}).toString(), FFFD FFFD FFFD);  // surrogate D800
  EXPECT_EQ(Buffer::from({0xF4, 0x90, 0x80, 0x80}).toString(), FFFD FFFD FFFD FFFD);  // >10FFFF
  EXPECT_EQ(Buffer::from({0xF5}).toString(), FFFD);
}

// WHATWG's decoder (V8's, so Node's) replaces each maximal subpart: a lead byte whose second
// byte is out of its allowed range is one U+FFFD on its own, even at the end of the input.
TEST(BufferTest, ToStringUtf8ReplacesMaximalSubpartsAtTheEnd) {
  EXPECT_EQ(Buffer::from({0xF0, 0x80, 0x80}).toString(), FFFD FFFD FFFD);
  EXPECT_EQ(Buffer::from({0xE0, 0x80}).toString(), FFFD FFFD);
  EXPECT_EQ(Buffer::from({0xED, 0xA0}).toString(), FFFD FFFD);
  EXPECT_EQ(Buffer::from({0xF4, 0x90}).toString(), FFFD FFFD);
  EXPECT_EQ(Buffer::from({0xF0, 0x9F, 0x98}).toString(), FFFD);  // a valid prefix: one
  EXPECT_EQ(Buffer::from({0xF0, 0x9F, 'a'}).toString(), FFFD "a");
}

TEST(BufferTest, ToStringHex) {
  EXPECT_EQ(Buffer::from({0x00, 0x0F, 0xA0, 0xFF}).toString("hex"), "000fa0ff");
  EXPECT_EQ(Buffer().toString("hex"), "");
}

TEST(BufferTest, ToStringBase64AndBase64Url) {
  EXPECT_EQ(Buffer::from("f").toString("base64"), "Zg==");
  EXPECT_EQ(Buffer::from("fo").toString("base64"), "Zm8=");
  EXPECT_EQ(Buffer::from("foo").toString("base64"), "Zm9v");
  EXPECT_EQ(Buffer::from("foobar").toString("base64"), "Zm9vYmFy");
  EXPECT_EQ(Buffer::from({0xFB, 0xFF}).toString("base64"), "+/8=");
  EXPECT_EQ(Buffer::from({0xFB, 0xFF}).toString("base64url"), "-_8");  // no padding
  EXPECT_EQ(Buffer::from("f").toString("base64url"), "Zg");
  EXPECT_EQ(Buffer().toString("base64"), "");
}

TEST(BufferTest, ToStringLatin1AndAscii) {
  EXPECT_EQ(Buffer::from({'c', 'a', 'f', 0xE9}).toString("latin1"), "caf\xC3\xA9");
  EXPECT_EQ(Buffer::from({0xFF}).toString("binary"), "\xC3\xBF");
  // ascii clears the high bit (Node's documented behaviour): 0xE9 → 0x69 'i'.
  EXPECT_EQ(Buffer::from({'a', 0xE9}).toString("ascii"), "ai");
}

TEST(BufferTest, ToStringUtf16le) {
  EXPECT_EQ(Buffer::from({'a', 0, 'b', 0}).toString("utf16le"), "ab");
  EXPECT_EQ(Buffer::from({0xAC, 0x20}).toString("ucs2"), "\xE2\x82\xAC");
  EXPECT_EQ(Buffer::from({0x3D, 0xD8, 0x00, 0xDE}).toString("utf16le"), "\xF0\x9F\x98\x80");
  EXPECT_EQ(Buffer::from({'a', 0, 'b'}).toString("utf16le"), "a");  // odd byte dropped
  EXPECT_EQ(Buffer::from({0x3D, 0xD8}).toString("utf16le"), FFFD);  // lone surrogate
}

TEST(BufferTest, ToStringRange) {
  Buffer b = Buffer::from("hello world");
  EXPECT_EQ(b.toString("utf8", 6, 11), "world");
  EXPECT_EQ(b.toString("utf8", 6, 100), "world");  // end clamped
  EXPECT_EQ(b.toString("utf8", 5, 2), "");
  EXPECT_EQ(b.toString("hex", 0, 2), "6865");
}

TEST(BufferTest, RoundTripsEveryByteThroughEachBinaryEncoding) {
  Buffer all = Buffer::allocUnsafe(256);
  for (int i = 0; i < 256; ++i) all[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(i);
  for (const char* enc : {"hex", "base64", "base64url", "latin1", "binary"}) {
    EXPECT_TRUE(Buffer::from(all.toString(enc), enc).equals(all)) << enc;
  }
  // utf16le round-trips whole code units that are not surrogates.
  Buffer text = Buffer::from("h\xC3\xA9llo \xE2\x82\xAC \xF0\x9F\x98\x80");
  EXPECT_EQ(Buffer::from(text.toString(), "utf16le").toString("utf16le"), text.toString());
}

TEST(BufferTest, ByteLength) {
  EXPECT_EQ(Buffer::byteLength("\xE2\x82\xAC"), 3u);
  EXPECT_EQ(Buffer::byteLength("abcd", "hex"), 2u);
  EXPECT_EQ(Buffer::byteLength("aGVsbG8=", "base64"), 5u);
  EXPECT_EQ(Buffer::byteLength("\xE2\x82\xAC", "utf16le"), 2u);
  EXPECT_EQ(Buffer::byteLength("caf\xC3\xA9", "latin1"), 4u);
}

// --- allocation ------------------------------------------------------------------------------

TEST(BufferTest, AllocZeroFillsOrFills) {
  Buffer z = Buffer::alloc(5);
  EXPECT_EQ(bytes(z), (Bytes{0, 0, 0, 0, 0}));
  EXPECT_EQ(bytes(Buffer::alloc(3, 0xAB)), (Bytes{0xAB, 0xAB, 0xAB}));
  Buffer u = Buffer::allocUnsafe(7);
  EXPECT_EQ(u.length(), 7u);
  EXPECT_EQ(bytes(u.fill(0x5A)), (Bytes(7, 0x5A)));
  EXPECT_TRUE(Buffer::alloc(0).empty());
  EXPECT_TRUE(Buffer::allocUnsafe(0).empty());
  EXPECT_TRUE(Buffer().empty());
  EXPECT_EQ(Buffer().size(), 0u);
}

TEST(BufferTest, FromCopiesItsInput) {
  std::vector<std::uint8_t> src{1, 2, 3};
  Buffer b = Buffer::from(src);
  src[0] = 9;
  EXPECT_EQ(bytes(b), (Bytes{1, 2, 3}));
  const char raw[] = "xyz";
  Buffer c = Buffer::from(raw, 3);
  EXPECT_EQ(c.toString(), "xyz");
  EXPECT_EQ(c.view(), "xyz");
}

// --- slices ----------------------------------------------------------------------------------

TEST(BufferTest, SliceSharesStorageBothWays) {
  Buffer b = Buffer::from("hello world");
  Buffer s = b.subarray(6);
  EXPECT_EQ(s.toString(), "world");
  EXPECT_EQ(s.storage(), b.storage());
  EXPECT_EQ(s.data(), b.data() + 6);
  EXPECT_EQ(b.useCount(), 2);
  s[0] = 'W';
  EXPECT_EQ(b.toString(), "hello World");
  b[10] = 'D';
  EXPECT_EQ(s.toString(), "WorlD");
  // A slice of a slice still shares the same storage.
  Buffer ss = s.slice(1, 3);
  ss.fill('_');
  EXPECT_EQ(b.toString(), "hello W__lD");
  EXPECT_EQ(b.useCount(), 3);
  // Copies of a Buffer are views too.
  Buffer copy = b;
  copy[0] = 'H';
  EXPECT_EQ(b.toString(), "Hello W__lD");
}

TEST(BufferTest, SliceOutlivesTheOriginal) {
  Buffer s;
  {
    Buffer b = Buffer::from("temporary data");
    s = b.slice(10);
  }
  EXPECT_EQ(s.toString(), "data");
  EXPECT_EQ(s.useCount(), 1);
}

TEST(BufferTest, SliceNegativeIndicesAndClamping) {
  Buffer b = Buffer::from("hello world");
  EXPECT_EQ(b.subarray(-5).toString(), "world");
  EXPECT_EQ(b.subarray(-5, -1).toString(), "worl");
  EXPECT_EQ(b.slice(3, 100).toString(), "lo world");
  EXPECT_EQ(b.slice(-100, 2).toString(), "he");
  EXPECT_TRUE(b.slice(100).empty());
  EXPECT_TRUE(b.slice(5, 2).empty());
  EXPECT_TRUE(b.slice(-1, -3).empty());
  EXPECT_EQ(b.slice().toString(), "hello world");
  EXPECT_EQ(b.slice(0, -6).toString(), "hello");
  EXPECT_TRUE(Buffer().slice(-3, 3).empty());
}

// --- concat / compare / search ---------------------------------------------------------------

TEST(BufferTest, Concat) {
  Buffer a = Buffer::from("abc"), b = Buffer::from("de"), c = Buffer::from("fgh");
  EXPECT_EQ(Buffer::concat({a, b, c}).toString(), "abcdefgh");
  std::vector<Buffer> list{a, Buffer(), b};
  EXPECT_EQ(Buffer::concat(list).toString(), "abcde");
  EXPECT_EQ(Buffer::concat(list, 4).toString(), "abcd");  // truncated
  EXPECT_EQ(bytes(Buffer::concat(std::vector<Buffer>{a}, 5)), (Bytes{'a', 'b', 'c', 0, 0}));
  EXPECT_TRUE(Buffer::concat(std::vector<Buffer>{}).empty());
  EXPECT_TRUE(Buffer::concat(list, 0).empty());
  // The result is a copy.
  Buffer joined = Buffer::concat({a, b});
  joined[0] = 'X';
  EXPECT_EQ(a.toString(), "abc");
}

TEST(BufferTest, EqualsAndCompare) {
  Buffer abc = Buffer::from("abc");
  EXPECT_TRUE(abc.equals(Buffer::from("abc")));
  EXPECT_TRUE(abc == Buffer::from("abc"));
  EXPECT_FALSE(abc.equals(Buffer::from("abd")));
  EXPECT_EQ(abc.compare(Buffer::from("abc")), 0);
  EXPECT_EQ(abc.compare(Buffer::from("abd")), -1);
  EXPECT_EQ(abc.compare(Buffer::from("abb")), 1);
  EXPECT_EQ(abc.compare(Buffer::from("ab")), 1);  // longer after equal prefix
  EXPECT_EQ(abc.compare(Buffer::from("abcd")), -1);
  EXPECT_EQ(Buffer::from({0x80}).compare(Buffer::from({0x7F})), 1);  // unsigned bytes
  EXPECT_EQ(Buffer().compare(Buffer()), 0);
  EXPECT_EQ(Buffer().compare(abc), -1);
  EXPECT_TRUE(Buffer().equals(Buffer::alloc(0)));
}

TEST(BufferTest, IndexOf) {
  Buffer b = Buffer::from("hello world");
  EXPECT_EQ(b.indexOf("o"), 4);
  EXPECT_EQ(b.indexOf("o", 5), 7);
  EXPECT_EQ(b.indexOf("o", -4), 7);
  EXPECT_EQ(b.indexOf("o", -100), 4);  // clamped to 0
  EXPECT_EQ(b.indexOf("world"), 6);
  EXPECT_EQ(b.indexOf("worlds"), -1);
  EXPECT_EQ(b.indexOf("xyz"), -1);
  EXPECT_EQ(b.indexOf("h", 100), -1);
  EXPECT_EQ(b.indexOf(Buffer::from("wor")), 6);
  EXPECT_EQ(b.indexOf(Buffer::from("lo"), 4), -1);
  EXPECT_EQ(b.indexOf(std::uint8_t{'w'}), 6);
  EXPECT_EQ(b.indexOf(std::uint8_t{'l'}, 4), 9);
  EXPECT_EQ(b.indexOf(std::uint8_t{0}), -1);
  EXPECT_TRUE(b.includes("lo w"));
  EXPECT_FALSE(b.includes("hello", 1));
  EXPECT_EQ(Buffer::from({1, 0, 2}).indexOf(std::uint8_t{0}), 1);
  // A slice searches its own range and reports offsets relative to itself.
  EXPECT_EQ(b.slice(6).indexOf("o"), 1);
}

// Node: an empty needle is found at byteOffset, or at length when byteOffset is past the end.
TEST(BufferTest, IndexOfEmptyNeedle) {
  Buffer b = Buffer::from("abc");
  EXPECT_EQ(b.indexOf(""), 0);
  EXPECT_EQ(b.indexOf("", 2), 2);
  EXPECT_EQ(b.indexOf("", 3), 3);
  EXPECT_EQ(b.indexOf("", 10), 3);
  EXPECT_EQ(b.indexOf(Buffer(), 1), 1);
}

// --- copy / write / fill ---------------------------------------------------------------------

TEST(BufferTest, Copy) {
  Buffer src = Buffer::from("abcdef");
  Buffer dst = Buffer::alloc(8, '.');
  EXPECT_EQ(src.copy(dst), 6u);
  EXPECT_EQ(dst.toString(), "abcdef..");
  dst.fill('.');
  EXPECT_EQ(src.copy(dst, 4), 4u);  // truncated at the target's end
  EXPECT_EQ(dst.toString(), "....abcd");
  dst.fill('.');
  EXPECT_EQ(src.copy(dst, 1, 2, 4), 2u);
  EXPECT_EQ(dst.toString(), ".cd.....");
  EXPECT_EQ(src.copy(dst, 8), 0u);
  EXPECT_EQ(src.copy(dst, 0, 4, 2), 0u);
  EXPECT_EQ(src.copy(dst, 0, 3, 100), 3u);  // sourceEnd clamped
  EXPECT_EQ(dst.toString(), "def.....");
}

TEST(BufferTest, CopyWithinTheSameStorageOverlaps) {
  Buffer b = Buffer::from("abcdefgh");
  Buffer tail = b.subarray(2);
  EXPECT_EQ(b.copy(tail, 0, 0, 4), 4u);  // memmove semantics
  EXPECT_EQ(b.toString(), "ababcdgh");
}

TEST(BufferTest, Write) {
  Buffer b = Buffer::alloc(8, '.');
  EXPECT_EQ(b.write("abc", 2), 3u);
  EXPECT_EQ(b.toString(), "..abc...");
  EXPECT_EQ(b.write("hello", 6), 2u);  // truncated
  EXPECT_EQ(b.toString(), "..abc.he");
  EXPECT_EQ(b.write("ffee", 0, "hex"), 2u);
  EXPECT_EQ(b[0], 0xFF);
  EXPECT_EQ(b[1], 0xEE);
  EXPECT_EQ(b.write("aGk=", 4, "base64"), 2u);
  EXPECT_EQ(b.toString("latin1", 4, 6), "hi");
  EXPECT_EQ(b.write("x", 8), 0u);  // offset == length: nothing to write
  EXPECT_EQ(thrownCode([&] { b.write("x", 9); }), "ERR_OUT_OF_RANGE");
}

// Node never writes part of a character: what does not fit whole is left out.
TEST(BufferTest, WriteDoesNotSplitACharacter) {
  Buffer b = Buffer::alloc(4, '.');
  EXPECT_EQ(b.write("ab\xE2\x82\xAC"), 2u);  // "€" needs 3 bytes, only 2 left
  EXPECT_EQ(b.toString("latin1"), "ab..");
  Buffer c = Buffer::alloc(3, '.');
  EXPECT_EQ(c.write("\xF0\x9F\x98\x80"), 0u);
  EXPECT_EQ(c.toString(), "...");
  Buffer d = Buffer::alloc(3, '.');
  EXPECT_EQ(d.write("abc", 0, "utf16le"), 2u);  // whole code units only
  EXPECT_EQ(bytes(d), (Bytes{'a', 0, '.'}));
}

TEST(BufferTest, Fill) {
  Buffer b = Buffer::from("hello");
  b.subarray(1, 4).fill('*');
  EXPECT_EQ(b.toString(), "h***o");
  EXPECT_EQ(Buffer().fill(1).length(), 0u);
}

// --- fixed-width integers --------------------------------------------------------------------

TEST(BufferTest, ReadUInt) {
  Buffer b = Buffer::from({0x12, 0x34, 0x56, 0x78, 0x9A});
  EXPECT_EQ(b.readUInt8(), 0x12);
  EXPECT_EQ(b.readUInt8(4), 0x9A);
  EXPECT_EQ(b.readUInt16BE(), 0x1234);
  EXPECT_EQ(b.readUInt16LE(), 0x3412);
  EXPECT_EQ(b.readUInt16BE(3), 0x789A);
  EXPECT_EQ(b.readUInt32BE(), 0x12345678u);
  EXPECT_EQ(b.readUInt32LE(), 0x78563412u);
  EXPECT_EQ(b.readUInt32BE(1), 0x3456789Au);
  EXPECT_EQ(Buffer::from({0xFF, 0xFF, 0xFF, 0xFF}).readUInt32BE(), 0xFFFFFFFFu);
}

TEST(BufferTest, WriteUInt) {
  Buffer b = Buffer::alloc(8);
  EXPECT_EQ(b.writeUInt8(0xAB, 0), 1u);
  EXPECT_EQ(b.writeUInt16BE(0x1234, 1), 3u);
  EXPECT_EQ(b.writeUInt16LE(0x1234, 3), 5u);
  EXPECT_EQ(bytes(b.slice(0, 5)), (Bytes{0xAB, 0x12, 0x34, 0x34, 0x12}));
  EXPECT_EQ(b.writeUInt32BE(0xDEADBEEF, 0), 4u);
  EXPECT_EQ(b.writeUInt32LE(0xDEADBEEF, 4), 8u);
  EXPECT_EQ(b.toString("hex"), "deadbeefefbeadde");
  EXPECT_EQ(b.readUInt32BE(0), 0xDEADBEEFu);
  EXPECT_EQ(b.readUInt32LE(4), 0xDEADBEEFu);
}

TEST(BufferTest, ReadAndWriteUIntOutOfRangeThrow) {
  Buffer b = Buffer::alloc(4);
  EXPECT_EQ(thrownCode([&] { b.readUInt8(4); }), "ERR_OUT_OF_RANGE");
  EXPECT_EQ(thrownCode([&] { b.readUInt16BE(3); }), "ERR_OUT_OF_RANGE");
  EXPECT_EQ(thrownCode([&] { b.readUInt16LE(3); }), "ERR_OUT_OF_RANGE");
  EXPECT_EQ(thrownCode([&] { b.readUInt32BE(1); }), "ERR_OUT_OF_RANGE");
  EXPECT_EQ(thrownCode([&] { b.readUInt32LE(1); }), "ERR_OUT_OF_RANGE");
  EXPECT_EQ(thrownCode([&] { b.writeUInt8(1, 4); }), "ERR_OUT_OF_RANGE");
  EXPECT_EQ(thrownCode([&] { b.writeUInt16BE(1, 3); }), "ERR_OUT_OF_RANGE");
  EXPECT_EQ(thrownCode([&] { b.writeUInt16LE(1, 3); }), "ERR_OUT_OF_RANGE");
  EXPECT_EQ(thrownCode([&] { b.writeUInt32BE(1, 1); }), "ERR_OUT_OF_RANGE");
  EXPECT_EQ(thrownCode([&] { b.writeUInt32LE(1, 1); }), "ERR_OUT_OF_RANGE");
  EXPECT_EQ(thrownCode([&] { b.readUInt32BE(static_cast<std::size_t>(-1)); }), "ERR_OUT_OF_RANGE");
  EXPECT_EQ(thrownCode([] { Buffer().readUInt8(); }), "ERR_OUT_OF_RANGE");
  EXPECT_EQ(thrownCode([] { Buffer::alloc(3).readUInt32LE(); }), "ERR_OUT_OF_RANGE");
  EXPECT_EQ(thrownCode([&] { b.readUInt32BE(0); }), "");  // the last valid offset
  try {
    b.readUInt16BE(3);
  } catch (const Exception& e) {
    EXPECT_EQ(std::string(e.what()),
              "The value of \"offset\" is out of range. It must be >= 0 and <= 2. Received 3");
  }
  EXPECT_EQ(bytes(b), (Bytes{0, 0, 0, 0}));  // failed writes wrote nothing
}

}  // namespace
}  // namespace evnode
