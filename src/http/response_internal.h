// Internal: what the server connection needs from ServerResponse.
#pragma once

#include "evnode/http.h"
#include "http/parser.h"

namespace evnode::http {

class Connection;

struct ResponseInternal {
  static ResponsePtr make(const RequestPtr& req, const SocketPtr& socket, Connection* conn);
  // Framing and keep-alive decisions from the request (its head's views are gone by then:
  // only its flags are read).
  static void setup(ServerResponse& res, const IncomingMessage& req, const RequestHead& head,
                    const ServerOptions& o, bool forceClose);
  static bool closesConnection(const ServerResponse& res) { return res.closeAfter_; }
  static void detach(ServerResponse& res) { res.conn_ = nullptr; }
  // Once the head is out: whether the body goes on the wire as it is (no chunked framing, and
  // not a HEAD/204/304 response), as send_file.cc needs.
  static bool rawBody(const ServerResponse& res) { return !res.noBody_ && !res.chunked_; }
};

}  // namespace evnode::http
