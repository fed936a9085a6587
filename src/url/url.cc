// The basic URL parser (URL Standard section 4.4), written from the spec's state machine, and
// the URL serializer. The path is kept serialized ("/a/b"): segments never hold a '/', so the
// spec's list operations (append, shorten, size) are operations on the string.
#include <charconv>
#include <cstddef>
#include <string>

#include "url/host.h"
#include "url/percent.h"
#include "url/record.h"

namespace evnode::url {

namespace {

constexpr int kEof = -1;

// Leading and trailing C0 controls and spaces go (only when parsing a whole URL), and every
// tab, LF and CR anywhere.
std::string preprocess(std::string_view in, bool trim) {
  if (trim) {
    while (!in.empty() && static_cast<unsigned char>(in.front()) <= 0x20) in.remove_prefix(1);
    while (!in.empty() && static_cast<unsigned char>(in.back()) <= 0x20) in.remove_suffix(1);
  }
  std::string out;
  out.reserve(in.size());
  for (char c : in) {
    if (c != '\t' && c != '\n' && c != '\r') out += c;
  }
  return out;
}

// Two code points: an ASCII letter and ':' or '|' ("C:", "c|").
bool isWindowsDriveLetter(std::string_view s) {
  return s.size() == 2 && isAsciiAlpha(static_cast<unsigned char>(s[0])) &&
         (s[1] == ':' || s[1] == '|');
}

bool isNormalizedWindowsDriveLetter(std::string_view s) {
  return isWindowsDriveLetter(s) && s[1] == ':';
}

// "C:" or "C|" followed by nothing or by '/', '\', '?' or '#'.
bool startsWithWindowsDriveLetter(std::string_view s) {
  return s.size() >= 2 && isWindowsDriveLetter(s.substr(0, 2)) &&
         (s.size() == 2 || s[2] == '/' || s[2] == '\\' || s[2] == '?' || s[2] == '#');
}

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (asciiLower(a[i]) != asciiLower(b[i])) return false;
  }
  return true;
}

// "." or "%2e" (any case).
bool isSingleDot(std::string_view s) { return s == "." || equalsIgnoreCase(s, "%2e"); }

// "..", ".%2e", "%2e." or "%2e%2e" (any case).
bool isDoubleDot(std::string_view s) {
  return s == ".." || equalsIgnoreCase(s, ".%2e") || equalsIgnoreCase(s, "%2e.") ||
         equalsIgnoreCase(s, "%2e%2e");
}

// The first segment of a serialized path ("C:" for "/C:/a"); empty if there is none.
std::string_view firstSegment(std::string_view path) {
  if (path.empty()) return {};
  auto next = path.find('/', 1);
  return path.substr(1, next == std::string_view::npos ? next : next - 1);
}

// "shorten a URL's path": drops the last segment, but never a file: URL's lone drive letter.
void shortenPath(URLRecord& url) {
  const std::string& path = url.path;
  if (url.scheme == "file" && !path.empty() && path.find('/', 1) == std::string::npos &&
      isNormalizedWindowsDriveLetter(firstSegment(path))) {
    return;
  }
  if (!path.empty()) url.path.erase(path.rfind('/'));
}

}  // namespace

bool isSpecialScheme(std::string_view s) {
  return s == "http" || s == "https" || s == "ws" || s == "wss" || s == "ftp" || s == "file";
}

int defaultPort(std::string_view s) {
  if (s == "http" || s == "ws") return 80;
  if (s == "https" || s == "wss") return 443;
  if (s == "ftp") return 21;
  return -1;
}

bool includesCredentials(const URLRecord& url) {
  return !url.username.empty() || !url.password.empty();
}

bool cannotHaveCredentialsOrPort(const URLRecord& url) {
  return !url.host || url.host->empty() || url.scheme == "file";
}

void stripTrailingSpacesFromOpaquePath(URLRecord& url) {
  if (!url.opaquePath || url.fragment || url.query) return;
  while (!url.path.empty() && url.path.back() == ' ') url.path.pop_back();
}

bool basicParse(std::string_view rawInput, const URLRecord* base, URLRecord& url,
                State stateOverride) {
  const bool override = stateOverride != State::None;
  const std::string in = preprocess(rawInput, !override);
  const auto n = static_cast<std::ptrdiff_t>(in.size());
  State state = override ? stateOverride : State::SchemeStart;
  std::string buffer;
  bool atSignSeen = false, insideBrackets = false, passwordTokenSeen = false;
  bool special = isSpecialScheme(url.scheme);  // kept in step with url.scheme
  std::ptrdiff_t p = 0;

  // What follows the code point at p.
  auto remaining = [&]() -> std::string_view {
    return p + 1 <= n ? std::string_view(in).substr(p + 1) : std::string_view();
  };
  auto fromPointer = [&]() -> std::string_view {
    return p <= n ? std::string_view(in).substr(p) : std::string_view();
  };

  for (;; ++p) {
    const int c = p < n ? static_cast<unsigned char>(in[p]) : kEof;
    switch (state) {
      case State::None:
        return false;

      case State::SchemeStart:
        if (c != kEof && isAsciiAlpha(static_cast<unsigned char>(c))) {
          buffer += asciiLower(static_cast<char>(c));
          state = State::Scheme;
        } else if (!override) {
          state = State::NoScheme;
          --p;
        } else {
          return false;
        }
        break;

      case State::Scheme:
        if (c != kEof &&
            (isAsciiAlpha(static_cast<unsigned char>(c)) ||
             isAsciiDigit(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.')) {
          buffer += asciiLower(static_cast<char>(c));
        } else if (c == ':') {
          if (override) {
            // A setter cannot move a URL between special and non-special schemes, give
            // credentials or a port to file:, or take file: away from an empty host.
            if (special != isSpecialScheme(buffer)) return true;
            if ((includesCredentials(url) || url.port >= 0) && buffer == "file") return true;
            if (url.scheme == "file" && url.host && url.host->empty()) return true;
          }
          url.scheme = buffer;
          special = isSpecialScheme(url.scheme);
          if (override) {
            if (url.port == defaultPort(url.scheme)) url.port = -1;
            return true;
          }
          buffer.clear();
          if (url.scheme == "file") {
            state = State::File;
          } else if (special && base && base->scheme == url.scheme) {
            state = State::SpecialRelativeOrAuthority;
          } else if (special) {
            state = State::SpecialAuthoritySlashes;
          } else if (remaining().starts_with('/')) {
            state = State::PathOrAuthority;
            ++p;
          } else {
            url.path.clear();
            url.opaquePath = true;
            state = State::OpaquePath;
          }
        } else if (!override) {
          // Not a scheme after all: start over, as a relative URL.
          buffer.clear();
          state = State::NoScheme;
          p = -1;
        } else {
          return false;
        }
        break;

      case State::NoScheme:
        if (!base || (base->opaquePath && c != '#')) return false;
        if (base->opaquePath && c == '#') {
          url.scheme = base->scheme;
          special = isSpecialScheme(url.scheme);
          url.path = base->path;
          url.opaquePath = true;
          url.query = base->query;
          url.fragment = "";
          state = State::Fragment;
        } else if (base->scheme != "file") {
          state = State::Relative;
          --p;
        } else {
          state = State::File;
          --p;
        }
        break;

      case State::SpecialRelativeOrAuthority:
        if (c == '/' && remaining().starts_with('/')) {
          state = State::SpecialAuthorityIgnoreSlashes;
          ++p;
        } else {
          state = State::Relative;
          --p;
        }
        break;

      case State::PathOrAuthority:
        if (c == '/') {
          state = State::Authority;
        } else {
          state = State::Path;
          --p;
        }
        break;

      case State::Relative:
        url.scheme = base->scheme;
        special = isSpecialScheme(url.scheme);
        if (c == '/' || (special && c == '\\')) {
          state = State::RelativeSlash;
        } else {
          url.username = base->username;
          url.password = base->password;
          url.host = base->host;
          url.port = base->port;
          url.path = base->path;
          url.opaquePath = base->opaquePath;
          url.query = base->query;
          if (c == '?') {
            url.query = "";
            state = State::Query;
          } else if (c == '#') {
            url.fragment = "";
            state = State::Fragment;
          } else if (c != kEof) {
            url.query.reset();
            shortenPath(url);
            state = State::Path;
            --p;
          }
        }
        break;

      case State::RelativeSlash:
        if (special && (c == '/' || c == '\\')) {
          state = State::SpecialAuthorityIgnoreSlashes;
        } else if (c == '/') {
          state = State::Authority;
        } else {
          url.username = base->username;
          url.password = base->password;
          url.host = base->host;
          url.port = base->port;
          state = State::Path;
          --p;
        }
        break;

      case State::SpecialAuthoritySlashes:
        if (c == '/' && remaining().starts_with('/')) {
          state = State::SpecialAuthorityIgnoreSlashes;
          ++p;
        } else {
          state = State::SpecialAuthorityIgnoreSlashes;
          --p;
        }
        break;

      case State::SpecialAuthorityIgnoreSlashes:
        if (c != '/' && c != '\\') {
          state = State::Authority;
          --p;
        }
        break;

      case State::Authority:
        if (c == '@') {
          // Everything before the last '@' is user info; an earlier '@' is part of it.
          if (atSignSeen) buffer.insert(0, "%40");
          atSignSeen = true;
          for (char ch : buffer) {
            if (ch == ':' && !passwordTokenSeen) {
              passwordTokenSeen = true;
              continue;
            }
            appendEncoded(passwordTokenSeen ? url.password : url.username, ch, EncodeSet::Userinfo);
          }
          buffer.clear();
        } else if (c == kEof || c == '/' || c == '?' || c == '#' || (special && c == '\\')) {
          if (atSignSeen && buffer.empty()) return false;  // "http://user@/"
          p -= static_cast<std::ptrdiff_t>(buffer.size()) + 1;
          buffer.clear();
          state = State::Host;
        } else {
          buffer += static_cast<char>(c);
        }
        break;

      case State::Host:
      case State::Hostname:
        if (override && url.scheme == "file") {
          --p;
          state = State::FileHost;
        } else if (c == ':' && !insideBrackets) {
          if (buffer.empty()) return false;
          if (stateOverride == State::Hostname) return false;
          auto host = parseHost(buffer, !special);
          if (!host) return false;
          url.host = std::move(*host);
          buffer.clear();
          state = State::Port;
        } else if (c == kEof || c == '/' || c == '?' || c == '#' || (special && c == '\\')) {
          --p;
          if (special && buffer.empty()) return false;
          if (override && buffer.empty() && (includesCredentials(url) || url.port >= 0)) {
            return false;
          }
          auto host = parseHost(buffer, !special);
          if (!host) return false;
          url.host = std::move(*host);
          buffer.clear();
          state = State::PathStart;
          if (override) return true;
        } else {
          if (c == '[') insideBrackets = true;
          if (c == ']') insideBrackets = false;
          buffer += static_cast<char>(c);
        }
        break;

      case State::Port:
        if (c != kEof && isAsciiDigit(static_cast<unsigned char>(c))) {
          buffer += static_cast<char>(c);
        } else if (c == kEof || c == '/' || c == '?' || c == '#' || (special && c == '\\') ||
                   override) {
          if (!buffer.empty()) {
            long port = 0;
            for (char d : buffer) {
              port = port * 10 + (d - '0');
              if (port > 65535) return false;
            }
            url.port = port == defaultPort(url.scheme) ? -1 : static_cast<int>(port);
            buffer.clear();
            if (override) return true;
          }
          if (override) return false;
          state = State::PathStart;
          --p;
        } else {
          return false;
        }
        break;

      case State::File:
        url.scheme = "file";
        special = true;
        url.host = "";
        if (c == '/' || c == '\\') {
          state = State::FileSlash;
        } else if (base && base->scheme == "file") {
          url.host = base->host;
          url.path = base->path;
          url.opaquePath = false;
          url.query = base->query;
          if (c == '?') {
            url.query = "";
            state = State::Query;
          } else if (c == '#') {
            url.fragment = "";
            state = State::Fragment;
          } else if (c != kEof) {
            url.query.reset();
            if (!startsWithWindowsDriveLetter(fromPointer())) {
              shortenPath(url);
            } else {
              url.path.clear();
            }
            state = State::Path;
            --p;
          }
        } else {
          state = State::Path;
          --p;
        }
        break;

      case State::FileSlash:
        if (c == '/' || c == '\\') {
          state = State::FileHost;
        } else {
          if (base && base->scheme == "file") {
            url.host = base->host;
            std::string_view drive = firstSegment(base->path);
            if (!startsWithWindowsDriveLetter(fromPointer()) &&
                isNormalizedWindowsDriveLetter(drive)) {
              url.path += '/';
              url.path += drive;
            }
          }
          state = State::Path;
          --p;
        }
        break;

      case State::FileHost:
        if (c == kEof || c == '/' || c == '\\' || c == '?' || c == '#') {
          --p;
          if (!override && isWindowsDriveLetter(buffer)) {
            // "file://C:/x": the drive letter is the path's, not a host (the buffer is kept
            // for the path state).
            state = State::Path;
          } else if (buffer.empty()) {
            url.host = "";
            if (override) return true;
            state = State::PathStart;
          } else {
            auto host = parseHost(buffer, !special);
            if (!host) return false;
            if (*host == "localhost") host->clear();
            url.host = std::move(*host);
            if (override) return true;
            buffer.clear();
            state = State::PathStart;
          }
        } else {
          buffer += static_cast<char>(c);
        }
        break;

      case State::PathStart:
        if (special) {
          state = State::Path;
          if (c != '/' && c != '\\') --p;
        } else if (!override && c == '?') {
          url.query = "";
          state = State::Query;
        } else if (!override && c == '#') {
          url.fragment = "";
          state = State::Fragment;
        } else if (c != kEof) {
          state = State::Path;
          if (c != '/') --p;
        } else if (override && !url.host) {
          url.path += '/';
        }
        break;

      case State::Path: {
        const bool slash = c == '/' || (special && c == '\\');
        if (c == kEof || slash || (!override && (c == '?' || c == '#'))) {
          if (isDoubleDot(buffer)) {
            shortenPath(url);
            if (!slash) url.path += '/';
          } else if (isSingleDot(buffer) && !slash) {
            url.path += '/';
          } else if (!isSingleDot(buffer)) {
            if (url.scheme == "file" && url.path.empty() && isWindowsDriveLetter(buffer)) {
              buffer[1] = ':';
            }
            url.path += '/';
            url.path += buffer;
          }
          buffer.clear();
          if (c == '?') {
            url.query = "";
            state = State::Query;
          } else if (c == '#') {
            url.fragment = "";
            state = State::Fragment;
          }
        } else {
          appendEncoded(buffer, static_cast<char>(c), EncodeSet::Path);
        }
        break;
      }

      case State::OpaquePath:
        if (c == '?') {
          url.query = "";
          state = State::Query;
        } else if (c == '#') {
          url.fragment = "";
          state = State::Fragment;
        } else if (c != kEof) {
          appendEncoded(url.path, static_cast<char>(c), EncodeSet::C0Control);
        }
        break;

      case State::Query:
        if (!override && c == '#') {
          url.fragment = "";
          state = State::Fragment;
        } else if (c != kEof) {
          appendEncoded(*url.query, static_cast<char>(c),
                        special ? EncodeSet::SpecialQuery : EncodeSet::Query);
        }
        break;

      case State::Fragment:
        if (c != kEof) appendEncoded(*url.fragment, static_cast<char>(c), EncodeSet::Fragment);
        break;
    }
    if (p >= n) break;
  }
  return true;
}

std::string serialize(const URLRecord& url, bool excludeFragment) {
  // Sized once: an http(s) URL's href would otherwise grow out of the short-string buffer and
  // reallocate on the way (fetch() gives every response its url).
  std::size_t size = url.scheme.size() + 1 + url.path.size() + 2;
  if (url.host) size += 2 + url.host->size() + 6 + url.username.size() + url.password.size() + 2;
  if (url.query) size += 1 + url.query->size();
  if (!excludeFragment && url.fragment) size += 1 + url.fragment->size();
  std::string out;
  out.reserve(size);
  out += url.scheme;
  out += ':';
  if (url.host) {
    out += "//";
    if (includesCredentials(url)) {
      out += url.username;
      if (!url.password.empty()) {
        out += ':';
        out += url.password;
      }
      out += '@';
    }
    out += *url.host;
    if (url.port >= 0) {
      char digits[8];
      auto [end, ec] = std::to_chars(digits, digits + sizeof digits, url.port);
      out += ':';
      out.append(digits, static_cast<std::size_t>(end - digits));
    }
  } else if (!url.opaquePath && url.path.starts_with("//")) {
    // Without "/." the path's empty first segment would read back as a host ("web+demo:/.//x").
    out += "/.";
  }
  out += url.path;
  if (url.query) {
    out += '?';
    out += *url.query;
  }
  if (!excludeFragment && url.fragment) {
    out += '#';
    out += *url.fragment;
  }
  return out;
}

}  // namespace evnode::url
