// Internal: what the server connection needs from ServerResponse.
#pragma once

#include "evnode/http.h"
#include "http/parser.h"

namespace evnode::http {

class Connection;

struct ResponseInternal {
  static ResponsePtr make(const RequestPtr& req, const SocketPtr& socket, Connection* conn);
  // Framing and keep-alive decisions from the request head.
  static void setup(ServerResponse& res, const RequestHead& head, const ServerOptions& o, bool forceClose);
  static bool closesConnection(const ServerResponse& res) { return res.closeAfter_; }
  static void detach(ServerResponse& res) { res.conn_ = nullptr; }
};

// "Date: Mon, 23 Nov 2026 10:33:17 GMT\r\n", formatted at most once per second.
std::string_view httpDateLine();

}  // namespace evnode::http
