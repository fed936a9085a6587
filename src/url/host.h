// The URL Standard's host parser (section 3.5) and domain to ASCII (section 3.3).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace evnode::url {

// Parses the host of a URL as written (percent-encoded, without port): "[v6]" as IPv6, else
// for a special scheme a domain (percent-decoded, IDNA to ASCII, lower case) or an IPv4 address
// in any of its forms ("0x7f.1", "2130706433"), else (isOpaque) an opaque host. Returns the
// serialized host ("[::1]", "127.0.0.1", "example.com"), or nullopt where the spec fails.
std::optional<std::string> parseHost(std::string_view input, bool isOpaque);

// "domain to ASCII" with beStrict false (UTS #46 through libidn2 for the labels that need it);
// nullopt on failure. Input is UTF-8.
std::optional<std::string> domainToAscii(std::string_view domain);

}  // namespace evnode::url
