// permessage-deflate (RFC 7692): the Sec-WebSocket-Extensions negotiation, and the per-connection
// compressor and decompressor over zlib's raw deflate.
#pragma once

#include <zlib.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "evnode/ws.h"

namespace evnode::ws::detail {

// One extension offer or answer: its name and parameters (value "" when given without one;
// `hasValue` tells "x" from "x=").
struct ExtensionParam {
  std::string name, value;
  bool hasValue = false;
};
struct Extension {
  std::string name;
  std::vector<ExtensionParam> params;
};
// Parses a Sec-WebSocket-Extensions value (RFC 6455 §9.1, quoted values allowed). nullopt when
// malformed.
std::optional<std::vector<Extension>> parseExtensions(std::string_view header);

// What both ends agreed on.
struct DeflateParams {
  bool serverNoContextTakeover = false;
  bool clientNoContextTakeover = false;
  int serverMaxWindowBits = 15;
  int clientMaxWindowBits = 15;
  bool sendServerBits = false;  // name server_max_window_bits in the response
  bool sendClientBits = false;  // name client_max_window_bits in the response
};

// Server: picks the first acceptable permessage-deflate offer. `error` is set (and nullopt
// returned) when an offer is malformed, which fails the handshake with 400; nullopt without
// error means no offer was acceptable (the connection goes on uncompressed).
std::optional<DeflateParams> acceptOffer(const std::vector<Extension>& offers,
                                         const PerMessageDeflateOptions& config,
                                         std::string& error);
// The response header value for what acceptOffer() agreed.
std::string formatResponse(const DeflateParams& p);

// Client: the offer, and the server's answer checked against it (nullopt + error if invalid).
std::string formatOffer(const PerMessageDeflateOptions& config);
std::optional<DeflateParams> acceptResponse(const std::vector<Extension>& answer,
                                            const PerMessageDeflateOptions& config,
                                            std::string& error);

// The compressor and decompressor of one connection. Each zlib stream is made on first use and,
// with no context takeover, freed after every message, so an idle connection holds none.
class PerMessageDeflate {
 public:
  PerMessageDeflate(const DeflateParams& params, bool isServer, int level, std::size_t threshold);
  ~PerMessageDeflate();
  PerMessageDeflate(const PerMessageDeflate&) = delete;
  PerMessageDeflate& operator=(const PerMessageDeflate&) = delete;

  std::size_t threshold() const { return threshold_; }

  // Compresses one fragment, appending to `out` (after `out`'s existing bytes). `fin`: the last
  // fragment of the message (its 4-byte sync tail is removed, RFC 7692 §7.2.1). False on a zlib
  // failure.
  bool compress(const std::uint8_t* p, std::size_t n, bool fin, std::vector<std::uint8_t>& out);

  enum class Inflate { kOk, kTooBig, kError };
  // Decompresses bytes of a message, appending to `out`, which may not grow past `limit`.
  // `fin`: these are the message's last bytes (the sync tail is added).
  Inflate decompress(const std::uint8_t* p, std::size_t n, bool fin, std::size_t limit,
                     std::vector<std::uint8_t>& out);

 private:
  Inflate inflateSome(const std::uint8_t* p, std::size_t n, std::size_t limit,
                      std::vector<std::uint8_t>& out);
  DeflateParams params_;
  bool isServer_;
  int level_;
  std::size_t threshold_;
  std::unique_ptr<z_stream> deflate_, inflate_;
};

}  // namespace evnode::ws::detail
