// Internal: Node's autoSelectFamily for net::Socket::connect — the addresses of a host name tried
// one after another (happy eyeballs, RFC 8305, without parallel attempts, as Node does it).
//
// The families alternate from the first address looked up. An attempt that has not connected
// within the attempt timeout is given up (its descriptor closed) for the next address; one that
// fails moves on at once; the last address gets no timeout of its own. The first connection
// wins; when every attempt has failed, the socket is destroyed with an error holding them all.
//
// A socket makes this only when a name gives two addresses or more, and keeps it in its connect
// state (Socket::State::Connecting), so that a connect to an IP literal costs nothing more.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "evnode/dns.h"
#include "evnode/loop.h"
#include "evnode/net.h"

namespace evnode::net {

class ConnectAttempts {
 public:
  // `addresses` as order() gives them, two or more.
  ConnectAttempts(Socket& socket, std::vector<dns::LookupAddress> addresses, int port,
                  int localPort, std::uint64_t attemptTimeoutMs);
  ~ConnectAttempts() { stop(); }
  ConnectAttempts(const ConnectAttempts&) = delete;
  ConnectAttempts& operator=(const ConnectAttempts&) = delete;

  // Starts the next attempt, passing over those that fail at once; with none left, destroys
  // the socket with every attempt's error.
  void next();
  // The attempt under way has an outcome: false if it connected (the socket carries on as
  // connected), true if it failed and next() took over.
  bool settle(int status);
  // The connect is over (connected, or the socket destroyed): no timer, no more attempts. Only
  // attempted() is kept.
  void stop();
  const std::vector<std::string>& attempted() const { return attempted_; }

  // The looked-up addresses to try, in Node's order: IP literals of family 4 or 6 only, each
  // once, the families alternating from the first one's.
  static std::vector<dns::LookupAddress> order(const std::vector<dns::LookupAddress>& found);
  // The attempt timeout for ConnectOptions::autoSelectFamilyAttemptTimeout (0: the default).
  static std::uint64_t attemptTimeout(std::uint64_t option);

 private:
  void onTimeout();
  void failed(const dns::LookupAddress& a, Error err);
  Error aggregate() const;

  Socket& socket_;
  std::vector<dns::LookupAddress> addresses_;
  std::vector<Error> errors_;
  std::vector<std::string> attempted_;  // "ip:port", Node's autoSelectFamilyAttemptedAddresses
  TimeoutPtr timer_;
  std::size_t next_ = 0;  // addresses_[next_ - 1] is the attempt under way
  std::uint64_t timeoutMs_;
  int port_;
  int localPort_;
  bool stopped_ = false;
};

namespace internal {
// The socket's part (socket.cc). Closes the descriptor of the previous attempt if one is open,
// opens one for `ip`, binds it to localPort (if not 0) and starts connecting it; an empty Error
// when that is under way (the outcome then comes to ConnectAttempts::settle), else the error met
// at once.
Error startAttempt(Socket& socket, const std::string& ip, int family, int port, int localPort);
}  // namespace internal

}  // namespace evnode::net
