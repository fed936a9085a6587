// permessage-deflate: negotiation (RFC 7692 §7.1) and the zlib streams (see deflate.h).
#include "ws/deflate.h"

#include <algorithm>
#include <cstring>

namespace evnode::ws::detail {

namespace {
bool isTokenChar(char c) {
  if (c <= 32 || c >= 127) return false;
  return std::strchr("()<>@,;:\\\"/[]?={}", c) == nullptr;
}
void skipSpace(std::string_view s, std::size_t& i) {
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
}
std::string token(std::string_view s, std::size_t& i) {
  std::size_t start = i;
  while (i < s.size() && isTokenChar(s[i])) ++i;
  return std::string(s.substr(start, i - start));
}
// "8".."15" → 8..15; anything else (leading zeros, signs, other numbers) → 0.
int windowBits(const ExtensionParam& p) {
  if (!p.hasValue || p.value.empty() || p.value.size() > 2 || p.value[0] == '0') return 0;
  int v = 0;
  for (char c : p.value) {
    if (c < '0' || c > '9') return 0;
    v = v * 10 + (c - '0');
  }
  return v >= 8 && v <= 15 ? v : 0;
}

// The parameters of one permessage-deflate offer or answer, checked: each at most once, with a
// value only where the RFC allows one.
struct Parsed {
  bool snct = false, cnct = false;
  int smwb = 0;       // 0: absent
  bool cmwb = false;  // client_max_window_bits present
  int cmwbValue = 0;  // its value (0: none)
};
bool parseParams(const Extension& e, bool isOffer, Parsed& out, std::string& error) {
  std::vector<std::string> seen;
  for (const auto& p : e.params) {
    if (std::find(seen.begin(), seen.end(), p.name) != seen.end()) {
      error = "Duplicate parameter \"" + p.name + "\"";
      return false;
    }
    seen.push_back(p.name);
    if (p.name == "server_no_context_takeover" || p.name == "client_no_context_takeover") {
      if (p.hasValue) {
        error = "Invalid value for parameter \"" + p.name + "\"";
        return false;
      }
      (p.name[0] == 's' ? out.snct : out.cnct) = true;
    } else if (p.name == "server_max_window_bits") {
      out.smwb = windowBits(p);
      if (!out.smwb) {
        error = "Invalid value for parameter \"" + p.name + "\"";
        return false;
      }
    } else if (p.name == "client_max_window_bits") {
      out.cmwb = true;
      if (p.hasValue || !isOffer) {
        out.cmwbValue = windowBits(p);
        if (!out.cmwbValue) {
          error = "Invalid value for parameter \"" + p.name + "\"";
          return false;
        }
      }
    } else {
      error = "Unknown parameter \"" + p.name + "\"";
      return false;
    }
  }
  return true;
}
}  // namespace

std::optional<std::vector<Extension>> parseExtensions(std::string_view s) {
  std::vector<Extension> out;
  std::size_t i = 0;
  skipSpace(s, i);
  if (i == s.size()) return out;
  while (true) {
    skipSpace(s, i);
    Extension e;
    e.name = token(s, i);
    if (e.name.empty()) return std::nullopt;
    skipSpace(s, i);
    while (i < s.size() && s[i] == ';') {
      ++i;
      skipSpace(s, i);
      ExtensionParam p;
      p.name = token(s, i);
      if (p.name.empty()) return std::nullopt;
      skipSpace(s, i);
      if (i < s.size() && s[i] == '=') {
        ++i;
        skipSpace(s, i);
        p.hasValue = true;
        if (i < s.size() && s[i] == '"') {
          ++i;
          std::size_t start = i;
          while (i < s.size() && s[i] != '"') ++i;
          if (i == s.size()) return std::nullopt;
          p.value = std::string(s.substr(start, i - start));
          ++i;
          for (char c : p.value) {
            if (!isTokenChar(c)) return std::nullopt;  // §9.1: a quoted value is still a token
          }
        } else {
          p.value = token(s, i);
        }
        if (p.value.empty()) return std::nullopt;
        skipSpace(s, i);
      }
      e.params.push_back(std::move(p));
    }
    out.push_back(std::move(e));
    if (i == s.size()) return out;
    if (s[i] != ',') return std::nullopt;
    ++i;
  }
}

std::optional<DeflateParams> acceptOffer(const std::vector<Extension>& offers,
                                         const PerMessageDeflateOptions& config,
                                         std::string& error) {
  for (const auto& e : offers) {
    if (e.name != "permessage-deflate") continue;
    Parsed o;
    if (!parseParams(e, true, o, error)) return std::nullopt;
    if (!config.enabled) continue;
    DeflateParams r;
    r.serverNoContextTakeover = o.snct || config.serverNoContextTakeover;
    r.clientNoContextTakeover = o.cnct || config.clientNoContextTakeover;
    int smwb = o.smwb ? o.smwb : 15;
    if (config.serverMaxWindowBits) smwb = std::min(smwb, config.serverMaxWindowBits);
    // zlib's raw deflate has no 256-byte window: an offer that insists on it is declined.
    if (smwb < 9) continue;
    r.serverMaxWindowBits = smwb;
    r.sendServerBits = o.smwb != 0 || config.serverMaxWindowBits != 0;
    if (o.cmwb) {
      int cmwb = o.cmwbValue ? o.cmwbValue : 15;
      if (config.clientMaxWindowBits) cmwb = std::min(cmwb, config.clientMaxWindowBits);
      r.clientMaxWindowBits = cmwb;
      r.sendClientBits = o.cmwbValue != 0 || config.clientMaxWindowBits != 0;
    }
    return r;
  }
  return std::nullopt;
}

std::string formatResponse(const DeflateParams& p) {
  std::string s = "permessage-deflate";
  if (p.serverNoContextTakeover) s += "; server_no_context_takeover";
  if (p.clientNoContextTakeover) s += "; client_no_context_takeover";
  if (p.sendServerBits) s += "; server_max_window_bits=" + std::to_string(p.serverMaxWindowBits);
  if (p.sendClientBits) s += "; client_max_window_bits=" + std::to_string(p.clientMaxWindowBits);
  return s;
}

std::string formatOffer(const PerMessageDeflateOptions& config) {
  std::string s = "permessage-deflate";
  if (config.serverNoContextTakeover) s += "; server_no_context_takeover";
  if (config.clientNoContextTakeover) s += "; client_no_context_takeover";
  if (config.serverMaxWindowBits) {
    s += "; server_max_window_bits=" + std::to_string(config.serverMaxWindowBits);
  }
  s += "; client_max_window_bits";
  if (config.clientMaxWindowBits) s += "=" + std::to_string(config.clientMaxWindowBits);
  return s;
}

std::optional<DeflateParams> acceptResponse(const std::vector<Extension>& answer,
                                            const PerMessageDeflateOptions& config,
                                            std::string& error) {
  if (answer.size() != 1 || answer[0].name != "permessage-deflate") {
    error = "Server indicated an extension that was not requested";
    return std::nullopt;
  }
  Parsed a;
  if (!parseParams(answer[0], false, a, error)) return std::nullopt;
  if (config.serverNoContextTakeover && !a.snct) {
    error = "Expected parameter \"server_no_context_takeover\"";
    return std::nullopt;
  }
  if (config.serverMaxWindowBits && (!a.smwb || a.smwb > config.serverMaxWindowBits)) {
    error = "Unexpected or invalid parameter \"server_max_window_bits\"";
    return std::nullopt;
  }
  DeflateParams r;
  r.serverNoContextTakeover = a.snct;
  r.clientNoContextTakeover = a.cnct || config.clientNoContextTakeover;
  r.serverMaxWindowBits = a.smwb ? a.smwb : 15;
  r.clientMaxWindowBits =
      a.cmwb ? a.cmwbValue : (config.clientMaxWindowBits ? config.clientMaxWindowBits : 15);
  if (config.clientMaxWindowBits && r.clientMaxWindowBits > config.clientMaxWindowBits) {
    error = "Unexpected or invalid parameter \"client_max_window_bits\"";
    return std::nullopt;
  }
  if (r.clientMaxWindowBits < 9) {
    error = "Unsupported parameter \"client_max_window_bits\" value 8";
    return std::nullopt;
  }
  return r;
}

PerMessageDeflate::PerMessageDeflate(const DeflateParams& params, bool isServer, int level,
                                     std::size_t threshold)
    : params_(params), isServer_(isServer), level_(level), threshold_(threshold) {}

PerMessageDeflate::~PerMessageDeflate() {
  if (deflate_) deflateEnd(deflate_.get());
  if (inflate_) inflateEnd(inflate_.get());
}

bool PerMessageDeflate::compress(const std::uint8_t* p, std::size_t n, bool fin,
                                 std::vector<std::uint8_t>& out) {
  if (!deflate_) {
    deflate_ = std::make_unique<z_stream>();
    std::memset(deflate_.get(), 0, sizeof(z_stream));
    int bits = isServer_ ? params_.serverMaxWindowBits : params_.clientMaxWindowBits;
    if (deflateInit2(deflate_.get(), level_, Z_DEFLATED, -bits, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
      deflate_.reset();
      return false;
    }
  }
  z_stream& z = *deflate_;
  z.next_in = const_cast<Bytef*>(p);
  z.avail_in = 0;
  std::size_t left = n;
  while (true) {
    // Feed at most 1 GiB at a time (avail_in is 32 bits).
    if (z.avail_in == 0 && left > 0) {
      z.avail_in = static_cast<uInt>(std::min<std::size_t>(left, 1u << 30));
      left -= z.avail_in;
    }
    std::size_t old = out.size();
    std::size_t room = std::max<std::size_t>(256, deflateBound(&z, z.avail_in) + 16);
    out.resize(old + room);
    z.next_out = out.data() + old;
    z.avail_out = static_cast<uInt>(room);
    int rc = deflate(&z, left > 0 ? Z_NO_FLUSH : Z_SYNC_FLUSH);
    out.resize(out.size() - z.avail_out);
    if (rc != Z_OK && rc != Z_BUF_ERROR) return false;
    if (left == 0 && z.avail_in == 0 && z.avail_out != 0) break;
  }
  const bool reset = isServer_ ? params_.serverNoContextTakeover : params_.clientNoContextTakeover;
  if (fin) {
    if (out.size() >= 4 && std::memcmp(out.data() + out.size() - 4, "\x00\x00\xff\xff", 4) == 0) {
      out.resize(out.size() - 4);
    }
    if (reset) {
      deflateEnd(&z);
      deflate_.reset();
    }
  }
  return true;
}

PerMessageDeflate::Inflate PerMessageDeflate::inflateSome(const std::uint8_t* p, std::size_t n,
                                                          std::size_t limit,
                                                          std::vector<std::uint8_t>& out) {
  z_stream& z = *inflate_;
  z.next_in = const_cast<Bytef*>(p);
  z.avail_in = static_cast<uInt>(n);
  while (true) {
    std::size_t old = out.size();
    std::size_t room = std::clamp<std::size_t>(n * 4, 4096, 256 * 1024);
    if (old + room > limit + 1) room = limit + 1 - old;  // one byte past the limit tells enough
    out.resize(old + room);
    z.next_out = out.data() + old;
    z.avail_out = static_cast<uInt>(room);
    int rc = inflate(&z, Z_SYNC_FLUSH);
    out.resize(out.size() - z.avail_out);
    if (out.size() > limit) return Inflate::kTooBig;
    if (rc == Z_STREAM_END) {
      // The peer ended its deflate stream (BFINAL): the next bytes start a new one.
      inflateReset(&z);
      if (z.avail_in == 0) break;
      continue;
    }
    if (rc != Z_OK && rc != Z_BUF_ERROR) return Inflate::kError;
    // Done when the input is used up and zlib had room to spare (nothing held back).
    if (z.avail_out != 0 && (z.avail_in == 0 || rc == Z_BUF_ERROR)) break;
  }
  return Inflate::kOk;
}

PerMessageDeflate::Inflate PerMessageDeflate::decompress(const std::uint8_t* p, std::size_t n,
                                                         bool fin, std::size_t limit,
                                                         std::vector<std::uint8_t>& out) {
  if (!inflate_) {
    inflate_ = std::make_unique<z_stream>();
    std::memset(inflate_.get(), 0, sizeof(z_stream));
    // The largest window inflates anything a peer with a smaller one sends.
    if (inflateInit2(inflate_.get(), -15) != Z_OK) {
      inflate_.reset();
      return Inflate::kError;
    }
  }
  while (n > 0) {
    std::size_t take = std::min<std::size_t>(n, 1u << 30);
    Inflate r = inflateSome(p, take, limit, out);
    if (r != Inflate::kOk) return r;
    p += take;
    n -= take;
  }
  if (fin) {
    static const std::uint8_t kTail[4] = {0x00, 0x00, 0xff, 0xff};
    Inflate r = inflateSome(kTail, 4, limit, out);
    if (r != Inflate::kOk) return r;
    const bool reset =
        isServer_ ? params_.clientNoContextTakeover : params_.serverNoContextTakeover;
    if (reset) {
      inflateEnd(inflate_.get());
      inflate_.reset();
    }
  }
  return Inflate::kOk;
}

}  // namespace evnode::ws::detail
