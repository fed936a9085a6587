// The URL record's parser (the URL Standard's basic URL parser, section 4.4) and serializer,
// shared by evnode::URL's constructors and setters.
#pragma once

#include <string>
#include <string_view>

#include "evnode/url.h"

namespace evnode::url {

using detail::URLRecord;

// The parser's states; a setter starts the parser in one of them (the spec's state override).
enum class State {
  None,
  SchemeStart,
  Scheme,
  NoScheme,
  SpecialRelativeOrAuthority,
  PathOrAuthority,
  Relative,
  RelativeSlash,
  SpecialAuthoritySlashes,
  SpecialAuthorityIgnoreSlashes,
  Authority,
  Host,
  Hostname,
  Port,
  File,
  FileSlash,
  FileHost,
  PathStart,
  Path,
  OpaquePath,
  Query,
  Fragment,
};

// Parses input (valid UTF-8) into url, relative to base if given. Without an override, url
// should be empty and false means failure. With one, url is modified in place and may be
// changed in part even when the parser stops early (as the spec's setters are); the result
// says whether it stopped on a failure.
bool basicParse(std::string_view input, const URLRecord* base, URLRecord& url,
                State stateOverride = State::None);

// The URL serializer: href (without the fragment if excludeFragment).
std::string serialize(const URLRecord& url, bool excludeFragment = false);

// http, https, ws, wss, ftp and file.
bool isSpecialScheme(std::string_view scheme);
// 80, 443, 21 for the special schemes that have one; -1 otherwise.
int defaultPort(std::string_view scheme);
bool includesCredentials(const URLRecord& url);
// No host, an empty one, or file: (the username, password and port setters do nothing).
bool cannotHaveCredentialsOrPort(const URLRecord& url);
// "potentially strip trailing spaces from an opaque path": once a URL with an opaque path has
// neither query nor fragment, spaces at its end would not survive a reparse.
void stripTrailingSpacesFromOpaquePath(URLRecord& url);

}  // namespace evnode::url
