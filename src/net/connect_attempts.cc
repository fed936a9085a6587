// Node's autoSelectFamily: the order of the attempts, their timer, the error of them all, and
// the module's defaults (see connect_attempts.h).
#include "net/connect_attempts.h"

#include <uv.h>

#include <algorithm>
#include <utility>

namespace evnode::net {

namespace {
// Per thread, as dns's default result order: each thread has its own loop.
thread_local bool defaultAutoSelectFamily = true;
thread_local std::uint64_t defaultAttemptTimeout = 250;

constexpr std::uint64_t kMinAttemptTimeout = 10;  // Node raises anything shorter to this
constexpr std::uint64_t kMaxAttemptTimeout = 0x7FFFFFFF;
}  // namespace

bool getDefaultAutoSelectFamily() { return defaultAutoSelectFamily; }
void setDefaultAutoSelectFamily(bool value) { defaultAutoSelectFamily = value; }
std::uint64_t getDefaultAutoSelectFamilyAttemptTimeout() { return defaultAttemptTimeout; }

void setDefaultAutoSelectFamilyAttemptTimeout(std::uint64_t ms) {
  if (ms < 1 || ms > kMaxAttemptTimeout) {
    throwOutOfRange("value", ">= 1 && <= 2147483647", static_cast<long long>(ms));
  }
  defaultAttemptTimeout = std::max(ms, kMinAttemptTimeout);
}

std::uint64_t ConnectAttempts::attemptTimeout(std::uint64_t option) {
  return option ? std::max(option, kMinAttemptTimeout) : defaultAttemptTimeout;
}

std::vector<dns::LookupAddress> ConnectAttempts::order(
    const std::vector<dns::LookupAddress>& found) {
  // The first usable address's family leads; within a family the resolver's order is kept.
  std::vector<dns::LookupAddress> lead, other;
  int leadFamily = 0;
  for (const dns::LookupAddress& a : found) {
    if ((a.family != 4 && a.family != 6) || isIP(a.address) == 0) continue;
    if (leadFamily == 0) leadFamily = a.family;
    std::vector<dns::LookupAddress>& group = a.family == leadFamily ? lead : other;
    auto same = [&a](const dns::LookupAddress& b) { return b.address == a.address; };
    if (std::none_of(group.begin(), group.end(), same)) group.push_back(a);
  }
  std::vector<dns::LookupAddress> out;
  out.reserve(lead.size() + other.size());
  for (std::size_t i = 0; i < std::max(lead.size(), other.size()); ++i) {
    if (i < lead.size()) out.push_back(std::move(lead[i]));
    if (i < other.size()) out.push_back(std::move(other[i]));
  }
  return out;
}

ConnectAttempts::ConnectAttempts(Socket& socket, std::vector<dns::LookupAddress> addresses,
                                 int port, int localPort, std::uint64_t attemptTimeoutMs)
    : socket_(socket),
      addresses_(std::move(addresses)),
      timeoutMs_(attemptTimeoutMs),
      port_(port),
      localPort_(localPort) {
  attempted_.reserve(addresses_.size());
}

void ConnectAttempts::next() {
  while (!stopped_ && next_ < addresses_.size()) {
    // A copy: a listener that destroys the socket empties addresses_ (stop()).
    const dns::LookupAddress a = addresses_[next_++];
    socket_.emit(Socket::Events::connectionAttempt, a.address, port_, a.family);
    if (stopped_) return;
    attempted_.push_back(a.address + ":" + std::to_string(port_));
    Error err = internal::startAttempt(socket_, a.address, a.family, port_, localPort_);
    if (!err) {
      // The last address waits for the system's own connect timeout, as in Node.
      if (next_ < addresses_.size()) {
        timer_ = setTimeout([this] { onTimeout(); }, timeoutMs_);
      }
      return;
    }
    failed(a, std::move(err));
  }
  if (stopped_) return;
  Error all = aggregate();
  stop();
  socket_.destroy(all);
}

bool ConnectAttempts::settle(int status) {
  if (stopped_ || next_ == 0) return false;
  if (timer_) {
    timer_->close();
    timer_.reset();
  }
  if (status >= 0) {
    stop();
    return false;
  }
  const dns::LookupAddress a = addresses_[next_ - 1];
  failed(a, Error::fromUv(status, "connect", a.address, port_));
  next();
  return true;
}

void ConnectAttempts::failed(const dns::LookupAddress& a, Error err) {
  errors_.push_back(err);
  socket_.emit(Socket::Events::connectionAttemptFailed, a.address, port_, a.family, err);
}

void ConnectAttempts::onTimeout() {
  timer_.reset();
  if (stopped_) return;
  const dns::LookupAddress a = addresses_[next_ - 1];
  socket_.emit(Socket::Events::connectionAttemptTimeout, a.address, port_, a.family);
  if (stopped_) return;
  errors_.push_back(Error::fromUv(UV_ETIMEDOUT, "connect", a.address, port_));
  next();  // closes this attempt's descriptor as it opens the next one's
}

void ConnectAttempts::stop() {
  stopped_ = true;
  if (timer_) {
    timer_->close();
    timer_.reset();
  }
  // What a connected socket keeps of this: the addresses it tried.
  addresses_ = {};
  errors_ = {};
}

Error ConnectAttempts::aggregate() const {
  if (errors_.empty()) {
    return Error("ERR_SOCKET_CONNECTION_TIMEOUT", "Socket connection timeout");
  }
  // Node's NodeAggregateError: the first error's code. Node leaves the message empty; here it
  // lists each attempt, so that one line says what was tried.
  const Error& first = errors_.front();
  Error e(first.code, "");
  e.errnum = first.errnum;
  e.syscall = first.syscall;
  for (const Error& each : errors_) {
    if (!e.message.empty()) e.message += ", ";
    e.message += each.message;
  }
  e.errors = errors_;
  return e;
}

}  // namespace evnode::net
