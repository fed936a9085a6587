// evnode/http_methods.h — Node's http.METHODS: the request methods llhttp knows, sorted.
// evnode's parser accepts any token method; this is the list applications usually check.
#pragma once

#include <array>
#include <string_view>

namespace evnode::http {

/// Node's http.METHODS: the methods llhttp knows, sorted. The parser accepts any token method.
inline constexpr std::array<std::string_view, 35> METHODS = {
    "ACL",       "BIND",      "CHECKOUT", "CONNECT",  "COPY",   "DELETE",     "GET",
    "HEAD",      "LINK",      "LOCK",     "M-SEARCH", "MERGE",  "MKACTIVITY", "MKCALENDAR",
    "MKCOL",     "MOVE",      "NOTIFY",   "OPTIONS",  "PATCH",  "POST",       "PROPFIND",
    "PROPPATCH", "PURGE",     "PUT",      "QUERY",    "REBIND", "REPORT",     "SEARCH",
    "SOURCE",    "SUBSCRIBE", "TRACE",    "UNBIND",   "UNLINK", "UNLOCK",     "UNSUBSCRIBE",
};

}  // namespace evnode::http
