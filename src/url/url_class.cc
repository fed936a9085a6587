// evnode::URL: the constructors, getters and setters of the URL Standard's API (section 6.1)
// over the parser in url.cc, and the link to its URLSearchParams.
#include <utility>

#include "evnode/error.h"
#include "evnode/url.h"
#include "url/host.h"
#include "url/percent.h"
#include "url/record.h"

namespace evnode {

using url::URLRecord;

namespace {

[[noreturn]] void invalidUrl(std::string_view input) {
  throw Exception("ERR_INVALID_URL", "Invalid URL: " + std::string(input));
}

std::optional<URLRecord> parseRecord(std::string_view input, const URLRecord* base) {
  URLRecord rec;
  if (!url::basicParse(url::toUSVString(input), base, rec)) return std::nullopt;
  return rec;
}

// The origin's serialization for a tuple origin: "https://example.com:8080".
std::string tupleOrigin(const URLRecord& r) {
  std::string out = r.scheme + "://" + r.host.value_or("");
  if (r.port >= 0) out += ":" + std::to_string(r.port);
  return out;
}

}  // namespace

URL::URL(std::string_view input) { parse(input, nullptr); }

URL::URL(std::string_view input, std::string_view base) {
  auto b = parseRecord(base, nullptr);
  if (!b) invalidUrl(input);
  parse(input, &*b);
}

URL::URL(std::string_view input, const URL& base) { parse(input, &base.rec_); }

URL::URL(const URL& other) : rec_(other.rec_), params_(other.params_) { params_.url_ = this; }

URL::URL(URL&& other) noexcept : rec_(std::move(other.rec_)) {
  params_.list_ = std::move(other.params_.list_);
  params_.url_ = this;
}

URL& URL::operator=(const URL& other) {
  if (this != &other) {
    rec_ = other.rec_;
    params_.list_ = other.params_.list_;
  }
  return *this;
}

URL& URL::operator=(URL&& other) noexcept {
  if (this != &other) {
    rec_ = std::move(other.rec_);
    params_.list_ = std::move(other.params_.list_);
  }
  return *this;
}

void URL::parse(std::string_view input, const URLRecord* base) {
  auto rec = parseRecord(input, base);
  if (!rec) invalidUrl(input);
  rec_ = std::move(*rec);
  params_.url_ = this;
  queryChanged();
}

void URL::queryChanged() {
  params_.list_ =
      rec_.query ? URLSearchParams::parse(*rec_.query) : std::vector<URLSearchParams::value_type>{};
}

bool URL::canParse(std::string_view input) { return parseRecord(input, nullptr).has_value(); }

bool URL::canParse(std::string_view input, std::string_view base) {
  auto b = parseRecord(base, nullptr);
  return b && parseRecord(input, &*b).has_value();
}

std::string URL::href() const { return url::serialize(rec_); }

std::string URL::origin() const {
  if (rec_.scheme == "blob") {
    // A blob: URL has the origin of the URL in its path, when that is an http(s) one.
    auto inner = parseRecord(rec_.path, nullptr);
    if (inner && (inner->scheme == "http" || inner->scheme == "https")) return tupleOrigin(*inner);
    return "null";
  }
  if (url::isSpecialScheme(rec_.scheme) && rec_.scheme != "file") return tupleOrigin(rec_);
  return "null";
}

std::string URL::protocol() const { return rec_.scheme + ":"; }

std::string URL::host() const {
  if (!rec_.host) return "";
  if (rec_.port < 0) return *rec_.host;
  return *rec_.host + ":" + std::to_string(rec_.port);
}

std::string URL::hostname() const { return rec_.host.value_or(""); }

std::string URL::port() const { return rec_.port < 0 ? "" : std::to_string(rec_.port); }

std::string URL::pathname() const { return rec_.path; }

std::string URL::search() const {
  return rec_.query && !rec_.query->empty() ? "?" + *rec_.query : "";
}

std::string URL::hash() const {
  return rec_.fragment && !rec_.fragment->empty() ? "#" + *rec_.fragment : "";
}

void URL::setHref(std::string_view value) {
  auto rec = parseRecord(value, nullptr);
  if (!rec) invalidUrl(value);
  rec_ = std::move(*rec);
  queryChanged();
}

void URL::setProtocol(std::string_view value) {
  url::basicParse(url::toUSVString(value) + ":", nullptr, rec_, url::State::SchemeStart);
}

void URL::setUsername(std::string_view value) {
  if (url::cannotHaveCredentialsOrPort(rec_)) return;
  rec_.username.clear();
  url::appendEncoded(rec_.username, url::toUSVString(value), url::EncodeSet::Userinfo);
}

void URL::setPassword(std::string_view value) {
  if (url::cannotHaveCredentialsOrPort(rec_)) return;
  rec_.password.clear();
  url::appendEncoded(rec_.password, url::toUSVString(value), url::EncodeSet::Userinfo);
}

void URL::setHost(std::string_view value) {
  if (rec_.opaquePath) return;
  url::basicParse(url::toUSVString(value), nullptr, rec_, url::State::Host);
}

void URL::setHostname(std::string_view value) {
  if (rec_.opaquePath) return;
  url::basicParse(url::toUSVString(value), nullptr, rec_, url::State::Hostname);
}

void URL::setPort(std::string_view value) {
  if (url::cannotHaveCredentialsOrPort(rec_)) return;
  if (value.empty()) {
    rec_.port = -1;
    return;
  }
  url::basicParse(url::toUSVString(value), nullptr, rec_, url::State::Port);
}

void URL::setPathname(std::string_view value) {
  if (rec_.opaquePath) return;
  rec_.path.clear();
  url::basicParse(url::toUSVString(value), nullptr, rec_, url::State::PathStart);
}

void URL::setSearch(std::string_view value) {
  if (value.empty()) {
    rec_.query.reset();
    params_.list_.clear();
    url::stripTrailingSpacesFromOpaquePath(rec_);
    return;
  }
  std::string input = url::toUSVString(value);
  if (input.front() == '?') input.erase(0, 1);
  rec_.query = "";
  url::basicParse(input, nullptr, rec_, url::State::Query);
  params_.list_ = URLSearchParams::parse(input);
}

void URL::setHash(std::string_view value) {
  if (value.empty()) {
    rec_.fragment.reset();
    url::stripTrailingSpacesFromOpaquePath(rec_);
    return;
  }
  std::string input = url::toUSVString(value);
  if (input.front() == '#') input.erase(0, 1);
  rec_.fragment = "";
  url::basicParse(input, nullptr, rec_, url::State::Fragment);
}

std::string domainToASCII(std::string_view domain) {
  if (domain.empty()) return "";
  return url::parseHost(url::toUSVString(domain), false).value_or("");
}

}  // namespace evnode
